"""scripts/check_system.sh and make_venv.sh against fake dpkg, apt-get, sudo, id and python: what they install, and
when they only say how."""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"

# Each shim logs how it was called to $FAKE_STATE, so nothing real is ever queried or installed.
SHIMS = {
    "dpkg": """#!/bin/sh
[ "$1" = -s ] || exit 2
if grep -qxF -e "$2" "$FAKE_STATE/missing"; then echo "package '$2' is not installed" >&2; exit 1; fi
printf 'Package: %s\\nStatus: install ok installed\\n' "$2"
""",
    "apt-get": """#!/bin/sh
echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> "$FAKE_STATE/apt-get.log"
if [ "$1" = install ]; then
  for arg in "$@"; do grep -vxF -e "$arg" "$FAKE_STATE/missing" > "$FAKE_STATE/left" || true
    mv "$FAKE_STATE/left" "$FAKE_STATE/missing"; done
fi
""",
    "sudo": """#!/bin/sh
echo "$*" >> "$FAKE_STATE/sudo.log"
[ "$FAKE_SUDO" = passwordless ] || { echo "sudo: a password is required" >&2; exit 1; }
[ "$1" = -n ] && shift
exec "$@"
""",
    "id": """#!/bin/sh
[ "$1" = -u ] && echo "$FAKE_UID"
""",
    # A Python 3.11 whose venv module comes with the python3-venv package, as on Debian.
    "python3.11": """#!/bin/sh
case "$*" in
  "-c import ensurepip, venv") ! grep -qx python3-venv "$FAKE_STATE/missing" ;;
  "-c import sys; sys.exit(sys.version_info < (3, 11))") exit 0 ;;
  "-m venv "*) echo "$*" >> "$FAKE_STATE/python.log" ;;
  *) exit 2 ;;
esac
""",
}


def run_check(tmp_path: Path, *, uid: int, sudo: str, missing: list[str],
              command: tuple[str, ...] = ("check_system.sh", "test")) -> tuple[subprocess.CompletedProcess, Path]:
    shims, state = tmp_path / "bin", tmp_path / "state"
    shims.mkdir()
    state.mkdir()
    for name, body in SHIMS.items():
        (shims / name).write_text(body)
        (shims / name).chmod(stat.S_IRWXU)
    (state / "missing").write_text("".join(f"{p}\n" for p in missing))
    env = {"PATH": f"{shims}:/usr/bin:/bin", "FAKE_STATE": str(state), "FAKE_UID": str(uid), "FAKE_SUDO": sudo,
           "HOME": os.environ.get("HOME", "/tmp")}
    proc = subprocess.run(["bash", str(SCRIPTS / command[0]), *command[1:]], env=env, capture_output=True, text=True,
                          timeout=30)
    return proc, state


def log_lines(state: Path, name: str) -> list[str]:
    path = state / f"{name}.log"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.timeout(60)
def test_as_root_a_missing_chromium_is_installed_and_setup_goes_on(tmp_path):
    proc, state = run_check(tmp_path, uid=0, sudo="none", missing=["chromium"])

    assert proc.returncode == 0, proc.stderr
    assert log_lines(state, "apt-get") == [
        "DEBIAN_FRONTEND=noninteractive update -qq",
        "DEBIAN_FRONTEND=noninteractive install -y -qq chromium",
    ]
    assert log_lines(state, "sudo") == []  # root does not go through sudo
    assert "Installing missing system packages: chromium" in proc.stdout


@pytest.mark.timeout(60)
def test_without_root_or_sudo_it_prints_the_one_command_and_stops(tmp_path):
    proc, state = run_check(tmp_path, uid=1000, sudo="password", missing=["chromium", "poppler-utils"])

    assert proc.returncode == 1
    assert log_lines(state, "apt-get") == []
    assert log_lines(state, "sudo") == ["-n true"]  # asked, never prompted
    assert "sudo apt-get update && sudo apt-get install -y poppler-utils chromium" in proc.stderr
    assert (state / "missing").read_text().split() == ["chromium", "poppler-utils"]


@pytest.mark.timeout(60)
def test_with_passwordless_sudo_it_installs_through_sudo(tmp_path):
    proc, state = run_check(tmp_path, uid=1000, sudo="passwordless", missing=["libreoffice-calc-nogui"])

    assert proc.returncode == 0, proc.stderr
    assert log_lines(state, "sudo") == [
        "-n true",
        "-n env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "-n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui",
    ]
    assert len(log_lines(state, "apt-get")) == 2


@pytest.mark.timeout(60)
def test_nothing_missing_means_no_apt_get_at_all(tmp_path):
    proc, state = run_check(tmp_path, uid=0, sudo="none", missing=[])

    assert proc.returncode == 0, proc.stderr
    assert log_lines(state, "apt-get") == []
    assert proc.stdout == ""


@pytest.mark.timeout(60)
def test_test_scope_leaves_the_python_packages_alone(tmp_path):
    proc, state = run_check(tmp_path, uid=0, sudo="none", missing=["python3-venv"])

    assert proc.returncode == 0, proc.stderr
    assert log_lines(state, "apt-get") == []


@pytest.mark.timeout(60)
def test_make_venv_installs_debians_venv_module_when_python_lacks_it(tmp_path):
    venv = tmp_path / "venv"
    proc, state = run_check(tmp_path, uid=0, sudo="none", missing=["python3-venv", "chromium"],
                            command=("make_venv.sh", str(venv)))

    assert proc.returncode == 0, proc.stderr
    assert log_lines(state, "apt-get") == [
        "DEBIAN_FRONTEND=noninteractive update -qq",
        "DEBIAN_FRONTEND=noninteractive install -y -qq python3-venv",  # chromium is make test's business
    ]
    assert log_lines(state, "python") == [f"-m venv {venv}"]


def test_ci_and_make_read_the_one_package_list():
    # .ci/run and the Makefile call the script rather than keeping a list of their own.
    listed = [line.split()[0] for line in (ROOT / "scripts/system-packages.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert {"chromium", "poppler-utils", "libpango-1.0-0", "libreoffice-calc-nogui"} <= set(listed)
    ci = (ROOT / ".ci/run").read_text()
    assert "scripts/check_system.sh test" in ci
    assert "apt-get" not in ci and "dpkg" not in ci and "chromium" not in ci
    assert "@test -x $(BIN)/python || scripts/make_venv.sh" in (ROOT / "Makefile").read_text()


def _listed(scope: str) -> set[str]:
    rows = [line.split("#")[0].split() for line in (ROOT / "scripts/system-packages.txt").read_text().splitlines()]
    return {row[0] for row in rows if len(row) >= 2 and row[1] == scope}


# The programs the suite runs (as the tests name them) -> the Debian package that installs them.
PROGRAMS = {
    "redis-server": "redis-server",  # tests/config/redis_server.py, the broker and fault tests
    "initdb": "postgresql",  # tests/faults/test_database_restart.py's private cluster
    "pg_ctl": "postgresql",
    "pdftotext": "poppler-utils",
    "soffice": "libreoffice-calc-nogui",
    "/usr/bin/chromium": "chromium",
}


def test_every_program_the_suite_runs_comes_from_a_listed_test_package():
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("*.py") if p.name != "test_system_setup.py")
    run = {program for program in PROGRAMS if program in sources}
    assert {"redis-server", "initdb", "pg_ctl", "pdftotext", "soffice", "/usr/bin/chromium"} <= run
    packages = _listed("test") | _listed("run")
    assert {program: PROGRAMS[program] for program in run if PROGRAMS[program] not in packages} == {}
    assert {"redis-server", "postgresql"} <= _listed("test")  # make test (and .ci/run) install the servers


@pytest.mark.timeout(60)
def test_a_fresh_machine_gets_redis_and_postgresql_for_make_test(tmp_path):
    proc, state = run_check(tmp_path, uid=0, sudo="none", missing=["redis-server", "postgresql"])

    assert proc.returncode == 0, proc.stderr
    assert log_lines(state, "apt-get")[-1] == "DEBIAN_FRONTEND=noninteractive install -y -qq redis-server postgresql"
    assert (state / "missing").read_text() == ""


@pytest.mark.timeout(60)
def test_without_root_the_one_command_names_the_servers(tmp_path):
    proc, state = run_check(tmp_path, uid=1000, sudo="password", missing=["postgresql", "redis-server"])

    assert proc.returncode == 1 and log_lines(state, "apt-get") == []
    assert "sudo apt-get update && sudo apt-get install -y redis-server postgresql" in proc.stderr


@pytest.mark.timeout(60)
def test_make_run_does_not_install_the_test_servers(tmp_path):
    proc, state = run_check(tmp_path, uid=0, sudo="none", missing=["redis-server", "postgresql"],
                            command=("check_system.sh", "run"))

    assert proc.returncode == 0, proc.stderr
    assert log_lines(state, "apt-get") == []  # the embedded default needs neither
