"""`grade new` gives commands that work as printed: pasted in another folder, each one the
next-step message prints and each one the spec's comments give runs as it says; an unknown spec
id says that a file's path or --specs-dir works too."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys

from conftest import EXAMPLES


def grade(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def pasted(command: str, cwd) -> subprocess.CompletedProcess:
    words = shlex.split(command)
    assert words[0] == "grade", command
    return grade(*words[1:], cwd=cwd)


def test_every_command_grade_new_gives_works_pasted_anywhere(tmp_path):
    start, elsewhere = tmp_path / "start", tmp_path / "elsewhere"
    start.mkdir()
    elsewhere.mkdir()
    made = grade("new", "my assign", "--dir", "sub dir", cwd=start)
    assert made.returncode == 2                                  # not an id: nothing written
    made = grade("new", "myassign", "--dir", "sub dir", cwd=start)
    assert made.returncode == 0, made.stderr
    printed = [line.strip() for line in made.stdout.splitlines() if line.startswith("  grade ")]
    spec = (start / "sub dir" / "myassign.yaml").read_text(encoding="utf-8")
    commented = re.findall(r"`(grade check [^`]+)`", spec)
    commented += [line.lstrip("# ").strip() for line in spec.splitlines() if line.startswith("#   grade ")]
    assert len(printed) == 2 and len(commented) == 3
    # The id alone names only a shipped spec: it is given with its folder, never by itself.
    assert all("--specs-dir" in line for line in spec.splitlines() if "--spec myassign" in line)
    for command in dict.fromkeys(printed + commented):
        done = pasted(command, elsewhere)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        if command.startswith("grade check"):
            assert "READY: the reference passes every test" in done.stdout
        else:
            assert "score 11 / 11" in done.stdout, (command, done.stdout)


def test_an_unknown_spec_id_says_a_path_or_specs_dir_works(tmp_path):
    done = grade(str(EXAMPLES / "alice"), "--spec", "myassign", cwd=tmp_path)
    assert done.returncode == 2
    assert "no spec with id 'myassign'" in done.stderr
    assert "udp-echo" in done.stderr and "--specs-dir DIR" in done.stderr and "path" in done.stderr
