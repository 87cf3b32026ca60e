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

import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, REFERENCE, SPECS
from installs import run, said, system_python, user_env
from test_example_students import EXPECTED

def test_the_wheel_carries_the_shipped_specs_and_reference_programs(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for folder, pattern in ((SPECS, "*.yaml"), (REFERENCE, "*.py")):
        shipped = {p.name for p in folder.glob(pattern)}
        carried = {Path(n).name for n in names if Path(n).parent.parts[-3:] == ("share", "sockgrade", folder.name)}
        assert shipped and carried == shipped, (folder.name, sorted(carried))
    assert "grader/specfile/schema.yaml" in names and "grader/input/course_schema.yaml" in names


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
