"""A small class as a teacher downloads it: folders, a zip per student, a Unicode name, broken zips.

Shared by tests/test_batch*.py and tests/test_reports*.py.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import EXAMPLES, REFERENCE, ROOT, SPECS

HIDDEN_TEST = "server keeps answering after many datagrams"
SPEC_ARGS = ("--spec", "udp-contacts")      # plus --spec hidden_spec(...)
JOBS = 12            # the tests mostly wait on students' 1 s sleeps


def zip_folder(folder: Path, archive: Path, wrap: str | None = None) -> Path:
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                z.write(path, f"{wrap}/{name}" if wrap else name)
    return archive


def hidden_spec(folder: Path) -> Path:
    """udp-echo with one test hidden (it fails for frank and ivan), as a teacher's own spec file."""
    text = (SPECS / "udp-echo.yaml").read_text(encoding="utf-8")
    text = text.replace("id: udp-echo", "id: udp-echo-h").replace("../reference/", f"{REFERENCE}/")
    text = text.replace(f"  - name: {HIDDEN_TEST}\n", f"  - name: {HIDDEN_TEST}\n    hidden: true\n")
    assert "hidden: true" in text
    path = folder / "udp-echo-h.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def build_class(root: Path) -> Path:
    """alice and 张三 (a copy of her) and erin as folders, frank and ivan as zips, a zip that is
    not one, a zip reaching outside its folder, and a student whose files have the wrong names."""
    klass = root / "class"
    klass.mkdir(parents=True)
    shutil.copytree(EXAMPLES / "alice", klass / "alice")
    shutil.copytree(EXAMPLES / "alice", klass / "张三")
    shutil.copytree(EXAMPLES / "erin", klass / "erin")
    zip_folder(EXAMPLES / "frank", klass / "frank.zip", wrap="frank")     # files inside a folder
    zip_folder(EXAMPLES / "ivan", klass / "ivan.zip")                      # files at the top
    (klass / "oscar.zip").write_bytes(b"this is not a zip file\n")
    with zipfile.ZipFile(klass / "trudy.zip", "w") as z:
        z.writestr("serverudp.py", "print('hi')\n")
        z.writestr("../../escaped.py", "print('I got out')\n")
    (klass / "peggy").mkdir()
    (klass / "peggy" / "my_server.py").write_text("print('wrong name')\n", encoding="utf-8")
    return klass


def grade(*args, check: bool = False) -> subprocess.CompletedProcess:
    """``grade ...`` from this checkout, as a user runs it (not a terminal: no progress bar)."""
    proc = subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "200"}, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@dataclass
class GradedClass:
    root: Path
    klass: Path
    spec: Path
    out: Path
    cache: Path
    proc: subprocess.CompletedProcess
    records: list[dict]

    def args(self) -> list:
        """The spec options of the run."""
        return ["--spec", self.spec, *SPEC_ARGS]


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory) -> GradedClass:
    """The class graded once with every output, --stable, a cache of its own and --fail-under 50."""
    root = tmp_path_factory.mktemp("school")
    klass = build_class(root)
    spec = hidden_spec(root)
    out = root / "out"
    proc = grade(klass, "--spec", spec, *SPEC_ARGS, "--cache-dir", root / "cache", "--stable", "-j", JOBS,
                 "--json", out / "run1.json", "--csv", out / "grades.csv", "--junit", out / "junit.xml",
                 "--feedback", out / "feedback", "--report", out / "report.html", "--fail-under", 50)
    assert (out / "run1.json").is_file(), proc.stdout + proc.stderr
    records = json.loads((out / "run1.json").read_text(encoding="utf-8"))
    return GradedClass(root, klass, spec, out, root / "cache", proc, records)
