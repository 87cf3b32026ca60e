"""Bad input is one student's problem, never the class's: special files in a submission."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from conftest import EXAMPLES, ROOT


def test_a_fifo_in_a_submission_neither_hangs_the_grader_nor_reaches_the_programs(tmp_path):
    student = tmp_path / "class" / "alice"
    shutil.copytree(EXAMPLES / "alice", student)
    os.mkfifo(student / "notes.fifo")
    os.mkfifo(student / "serverudp.pyc")
    done = subprocess.run([sys.executable, "-m", "grader", str(student), "--spec", "udp-echo", "--test",
                           "server binds UDP 9999", "--cache-dir", str(tmp_path / "cache"),
                           "--json", str(tmp_path / "out.json")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    [record] = json.loads((tmp_path / "out.json").read_text())
    assert record["score"] == record["max_score"] > 0


def test_file_modes_the_cache_key_leaves_out_do_not_change_what_identical_sources_do(tmp_path):
    # Identical sources share a cache key (and are graded once): a copy made unreadable must not
    # hand its 0 to the honest student graded under the same key.
    from grader.grading import api
    for name in ("a_unreadable", "b_honest"):
        shutil.copytree(EXAMPLES / "alice", tmp_path / "class" / name)
    (tmp_path / "class" / "a_unreadable" / "serverudp.py").chmod(0o000)
    run = api.grade_class(tmp_path / "class", specs=["udp-echo"], tests=["server binds UDP 9999"],
                          cache_dir=str(tmp_path / "cache"))
    assert {r.student: r.score for r in run.results} == {"a_unreadable": 2, "b_honest": 2}
