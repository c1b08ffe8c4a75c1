"""deploy/*.sh: syntax, shellcheck, argument checks, and a real install in a chroot.

The chroot test copies a debootstrap root (YAMORI_TEST_CHROOT, default
/tmp/fresh-bookworm: Debian bookworm minbase with python3), runs the installer
there with --no-suricata --no-start (no systemd as PID 1 in a chroot), checks
the files, the user, the venv, `yamori --version` and `yamori agent
check-config`, reruns it (nothing changes), then uninstalls and checks that
no trace is left. It takes minutes (pip downloads), so it runs only with
YAMORI_SLOW_TESTS=1 and root.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "deploy" / "install.sh"
SCRIPTS = sorted((ROOT / "deploy").glob("*.sh"))
BUILD_AND_PUBLISH = ROOT / "deploy" / "rules-build-and-publish.sh"
FRESH = Path(os.environ.get("YAMORI_TEST_CHROOT", "/tmp/fresh-bookworm"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_parses(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_is_shellcheck_clean(script: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed")
    subprocess.run(["shellcheck", str(script)], check=True)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_is_strict(script: Path) -> None:
    assert "set -euo pipefail" in script.read_text()


def test_installer_requires_a_collector() -> None:
    out = subprocess.run(["bash", str(INSTALL), "--no-start"], capture_output=True, text=True)
    assert out.returncode != 0 and "--collector is required" in out.stderr


def test_every_unit_script_is_shipped() -> None:
    # yamori-rules-build.service runs this script (installed as /opt/yamori/bin/...).
    assert BUILD_AND_PUBLISH in SCRIPTS


@pytest.mark.parametrize(("args", "message"), [
    ([], "--collector (or YAMORI_COLLECTOR_URL) is required"),
    (["--collector", "http://127.0.0.1:9"], "--admin-token-file"),
    (["--collector", "http://127.0.0.1:9", "--admin-token-file", "/nonexistent/token"],
     "cannot read the admin token file /nonexistent/token"),
    (["--bogus"], "unknown option --bogus"),
])
def test_build_and_publish_refuses_incomplete_settings(args: list[str], message: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YAMORI_")}
    out = subprocess.run(["bash", str(BUILD_AND_PUBLISH), *args], capture_output=True,
                         text=True, env=env)
    assert out.returncode != 0 and message in out.stderr


def test_build_and_publish_needs_a_readable_build_config(tmp_path: Path) -> None:
    token = tmp_path / "admin.token"
    token.write_text("t\n")
    out = subprocess.run(["bash", str(BUILD_AND_PUBLISH), "--collector", "http://127.0.0.1:9",
                          "--admin-token-file", str(token), "--config", str(tmp_path / "no.toml")],
                         capture_output=True, text=True)
    assert out.returncode != 0 and f"cannot read the build config {tmp_path}/no.toml" in out.stderr


def test_template_has_every_placeholder_the_installer_fills() -> None:
    text = (ROOT / "deploy" / "templates" / "agent.toml.in").read_text()
    for key in ("@DATE@", "@SENSOR_ID@", "@TENANT_LINE@", "@INTERFACE@", "@ENGINE@",
                "@COLLECTOR@"):
        assert key in text


slow = pytest.mark.skipif(
    os.environ.get("YAMORI_SLOW_TESTS") != "1" or os.geteuid() != 0 or not FRESH.is_dir(),
    reason="chroot install test: needs YAMORI_SLOW_TESTS=1, root and a debootstrap root")


def sh(root: Path, command: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["chroot", str(root), "/bin/bash", "-c", command],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def chroot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the debootstrap root with proc/sys/dev mounted and the source tree in /src."""
    root = tmp_path_factory.mktemp("chroot") / "root"
    subprocess.run(["cp", "-a", str(FRESH), str(root)], check=True)
    shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
    # Sandbox quirk, not the installer's job: this network's TLS goes through its own CA.
    for crt in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        shutil.copy(crt, root / "usr/local/share/ca-certificates" / crt.name)
    mounts = [(["-t", "proc", "proc"], "proc"), (["-t", "sysfs", "sysfs"], "sys"),
              (["--bind", "/dev"], "dev")]
    for how, dst in mounts:
        subprocess.run(["mount", *how, str(root / dst)], check=True)
    try:
        sh(root, "update-ca-certificates >/dev/null 2>&1 || true")
        src = root / "src"
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
            ".venv", ".git", "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache",
            ".pytest_cache", ".hypothesis", "build"))
        yield root
    finally:
        for _how, dst in reversed(mounts):
            subprocess.run(["umount", "-l", str(root / dst)], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


INSTALL_CMD = ("/src/deploy/install.sh --collector https://soc.example.invalid "
           "--token s3cret-token --interface eth9 --sensor-id box-1 --tenant tanaka "
           "--no-suricata --no-start --no-enroll")


@slow
def test_install_check_reinstall_and_uninstall_leave_no_trace(chroot: Path) -> None:
    before = sh(chroot, "find /etc /opt /var/lib /usr/local -xdev | sort").stdout.splitlines()
    first = sh(chroot, INSTALL_CMD)
    assert "created system user yamori" in first.stdout
    assert "wrote /etc/yamori/agent.toml" in first.stdout

    assert sh(chroot, "id -u yamori").stdout.strip()
    assert sh(chroot, "/opt/yamori/venv/bin/yamori --version").stdout.startswith("yamori ")
    assert "ok" in sh(chroot, "runuser -u yamori -- /opt/yamori/venv/bin/yamori agent "
                              "check-config --config /etc/yamori/agent.toml").stdout
    assert sh(chroot, "stat -c '%a %U' /etc/yamori/sensor.token").stdout.strip() == "600 yamori"
    assert sh(chroot, "cat /etc/yamori/sensor.token").stdout.strip() == "s3cret-token"
    conf = (chroot / "etc/yamori/agent.toml").read_text()
    assert 'interface = "eth9"' in conf and 'tenant = "tanaka"' in conf
    assert (chroot / "etc/systemd/system/yamori-agent.service").is_file()

    again = sh(chroot, INSTALL_CMD).stdout
    assert "already installed" in again and "left as it is" in again and "unchanged" in again

    gone = sh(chroot, "/src/deploy/uninstall.sh").stdout
    assert "removed user yamori" in gone and "removed /opt/yamori" in gone
    after = sh(chroot, "find /etc /opt /var/lib /usr/local -xdev | sort").stdout.splitlines()
    # apt's and ldconfig's own state, and the backups shadow-utils keeps of
    # /etc/shadow and /etc/gshadow on every useradd/userdel, are the only
    # differences: system files, not the installer's.
    leftover = [p for p in set(after) - set(before)
                if not p.startswith(("/var/lib/apt", "/var/lib/dpkg", "/var/cache",
                                     "/etc/ld.so.cache", "/usr/local/share/ca-certificates",
                                     "/etc/ssl/certs", "/etc/ca-certificates",
                                     "/etc/shadow-", "/etc/gshadow-"))]
    assert leftover == []
    assert "yamori" not in sh(chroot, "getent passwd; getent group").stdout
    assert "nothing to remove" in sh(chroot, "/src/deploy/uninstall.sh").stdout
