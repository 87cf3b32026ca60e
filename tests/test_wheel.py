"""The wheel a teacher or a student installs: built from the repository's tracked files, it carries the shipped
specs and reference programs, and finds them wherever it is installed.

- In a fresh virtualenv (not editable), ``grade`` run from a folder outside the repository grades a copy of
  the example class with the scores the checkout gives (tests/test_example_students.py).
- With ``pip install --user`` into a system Python, the specs are found under the user's data folder
  (``PYTHONUSERBASE``, here in tmp), not under ``sys.prefix``: ``grade check udp-echo`` passes.

Dependencies come from the package index, as for a user (through pip's cache). About a minute with -n 2 on
an idle 2-core machine, most of it grading; several minutes under a busy suite.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, REFERENCE, ROOT, SPECS
from test_example_students import EXPECTED

INSTALL_TIMEOUT = 600      # a safety net for a hung download, not a measure


def run(argv: list, cwd: Path, env: dict, timeout: float = INSTALL_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def said(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"


def user_env(**extra) -> dict:
    """The environment of a user outside the checkout: no virtualenv of ours on the PATH, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONNOUSERSITE")}
    ours = {Path(sys.prefix).resolve(), ROOT.resolve()}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and not any(Path(p).resolve().is_relative_to(o) for o in ours))
    env["COLUMNS"] = "200"          # the whole table, assignment ids unshortened
    # pip's cache where the user has it: conftest moves XDG_CACHE_HOME, where pip looks, into tmp, and a
    # cold cache triples an install's time (45 s against 16 s here).
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    return {**env, **extra}


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """``python -m build`` on a copy of the tracked files: the sdist, then the wheel built from it. Built
    once for the session's test processes (pytest-xdist), in the folder they share."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    with open(shared / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dist = shared / "wheel-dist"
        if not list(dist.glob("sockgrade-*.whl")):
            build_wheel(shared / "wheel-source", dist)
    wheels = list(dist.glob("sockgrade-*.whl"))
    assert len(wheels) == 1, sorted(p.name for p in dist.iterdir())
    return wheels[0]


def build_wheel(source: Path, dist: Path) -> None:
    shutil.rmtree(source, ignore_errors=True)
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():             # not deleted in the work tree
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name, follow_symlinks=False)
    built = run([sys.executable, "-m", "build", "--outdir", dist, source], cwd=source, env=user_env())
    assert built.returncode == 0, said(built)


def test_the_wheel_carries_the_shipped_specs_and_reference_programs(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for folder, pattern in ((SPECS, "*.yaml"), (REFERENCE, "*.py")):
        shipped = {p.name for p in folder.glob(pattern)}
        carried = {Path(n).name for n in names if Path(n).parent.parts[-3:] == ("share", "sockgrade", folder.name)}
        assert shipped and carried == shipped, (folder.name, sorted(carried))
    assert "grader/spec/schema.yaml" in names


def table_rows(output: str) -> dict[str, dict[str, str]]:
    """The terminal's class table: student -> {column: cell}. A column is named by its header's first
    non-empty line: the assignment's id (above its maximum), total, %, problems."""
    def cells(line: str, bar: str) -> list[str]:
        return [c.strip() for c in line.strip().strip(bar).split(bar)]
    lines = output.splitlines()
    headers = [cells(line, "┃") for line in lines if line.startswith("┃")]
    columns = [next((h[i] for h in headers if h[i]), "") for i in range(len(headers[0]))]
    return {row[0]: dict(zip(columns, row)) for row in (cells(line, "│") for line in lines if line.startswith("│"))}


def test_a_venv_install_grades_the_example_class_from_elsewhere(wheel, tmp_path):
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=user_env())
    assert made.returncode == 0, said(made)
    env = user_env(PATH=f"{venv / 'bin'}{os.pathsep}{user_env()['PATH']}", VIRTUAL_ENV=str(venv))
    installed = run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], cwd=tmp_path, env=env)
    assert installed.returncode == 0, said(installed)

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(EXAMPLES, elsewhere / "class")
    where = run([venv / "bin" / "python", "-c",
                 "import grader, grader.paths as p; print(grader.__file__); print(p.shipped_specs_dir())"],
                cwd=elsewhere, env=env)
    module, specs = where.stdout.splitlines()
    assert Path(module).is_relative_to(venv), where.stdout         # the wheel's copy, not the checkout
    assert Path(specs) == (venv / "share" / "sockgrade" / "specs").resolve(), where.stdout

    graded = run([venv / "bin" / "grade", "class", "--cache-dir", tmp_path / "cache"], cwd=elsewhere, env=env)
    assert graded.returncode == 0, said(graded)
    rows = table_rows(graded.stdout)
    expected = {student: {a: score for a, (score, _, _) in assignments.items()}
                for student, assignments in EXPECTED.items()} | {"ivan": {"udp-echo": 0}}
    assert set(rows) == set(expected), said(graded)
    for student, scores in expected.items():
        row = rows[student]
        shown = {a: int(cell) for a, cell in row.items()
                 if a not in ("student", "total", "%", "bonus", "failed", "problems") and cell not in ("–", "-", "")}
        assert shown == scores, (student, row)
        assert int(row["total"]) == sum(scores.values()), (student, row)


def system_python() -> str | None:
    """A Python >= 3.11 of the machine's own, outside any virtualenv: where ``pip install --user`` goes."""
    for python in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(python):
            version = subprocess.run([python, "-c", "import sys; print(sys.version_info >= (3, 11))"],
                                     capture_output=True, text=True)
            if version.stdout.strip() == "True":
                return python
    return None


def test_a_user_install_finds_the_shipped_specs(wheel, tmp_path):
    python = system_python()
    if python is None:
        pytest.skip("no system python3 >= 3.11 for pip install --user")
    userbase = tmp_path / "userbase"
    env = user_env(PYTHONUSERBASE=str(userbase))
    # This test's pip drives the system Python (--python): the machine's may have no pip of its own.
    # Debian marks its Python as managed by apt; everything goes into PYTHONUSERBASE, in tmp.
    installed = run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--user",
                     "--break-system-packages", "--no-warn-script-location", wheel], cwd=tmp_path, env=env)
    assert installed.returncode == 0, said(installed)

    where = run([python, "-c", "import grader, grader.paths as p; print(grader.__file__); print(p.shipped_specs_dir())"],
                cwd=tmp_path, env=env)
    module, specs = where.stdout.splitlines()
    assert Path(module).is_relative_to(userbase), where.stdout
    assert Path(specs) == (userbase / "share" / "sockgrade" / "specs").resolve(), where.stdout

    checked = run([userbase / "bin" / "grade", "check", "udp-echo"], cwd=tmp_path, env=env)
    assert checked.returncode == 0, said(checked)
    assert str(userbase / "share" / "sockgrade" / "specs" / "udp-echo.yaml") in checked.stdout, said(checked)
    assert "READY" in checked.stdout, said(checked)
