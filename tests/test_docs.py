"""Documentation stays in step with the code.

Every registered rule keyword has a description and a link to Suricata's
documentation of the semantics it implements; every agent configuration key
appears in the commented example file; the README names the two commands.
"""

import tomllib
from pathlib import Path

from pydantic import BaseModel

from agent.config import AgentConfig
from agent.detect.keywords import TABLE

ROOT = Path(__file__).resolve().parents[1]


def test_every_keyword_is_documented() -> None:
    for name, keyword in TABLE.items():
        assert keyword.desc.strip(), f"keyword {name} has no description"
        assert keyword.doc_url.startswith("https://docs.suricata.io/"), \
            f"keyword {name} has no Suricata doc link"


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            keys += _keys(sub, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_every_agent_config_key_is_in_the_example() -> None:
    text = (ROOT / "deploy" / "agent.example.toml").read_text(encoding="utf-8")
    # Commented-out keys count: the example documents them without setting them.
    uncommented = "\n".join(line.lstrip("# ") for line in text.splitlines())
    example = tomllib.loads(_only_toml(uncommented))
    for key in _keys(AgentConfig):
        section, _, name = key.partition(".")
        assert name in example.get(section, {}), f"agent config key {key} is not in the example"


def _only_toml(text: str) -> str:
    """Keep the lines that parse as TOML assignments or tables (drop prose comments)."""
    kept = []
    for line in text.splitlines():
        try:
            tomllib.loads("\n".join([*kept, line]))
        except tomllib.TOMLDecodeError:
            continue
        kept.append(line)
    return "\n".join(kept)


def test_readme_names_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./dev.sh demo" in readme and "./dev.sh test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./dev.sh test" in ci
