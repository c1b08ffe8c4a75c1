# Thin wrappers around ./dev.sh, which works without make too.
.PHONY: setup demo demo-once test conformance
setup:
	./dev.sh setup
demo:
	./dev.sh demo
demo-once:
	./dev.sh demo --once
test:
	./dev.sh test
conformance:
	./dev.sh conformance
