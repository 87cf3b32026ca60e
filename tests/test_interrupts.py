"""Stopping the grader: SIGTERM or Ctrl-C in the middle of a class kills every running test with its
namespaces and leaves no process and no scratch folder behind."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

from conftest import EXAMPLES, REFERENCE, ROOT, processes_with

SLOW_SERVER = (REFERENCE / "udp_echo_server.py").read_text().replace("def main():", """def main():
    import subprocess, sys
    subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); time.sleep(600)', 'MARKER'])""")


def _class(tmp_path, marker: str):
    folder = tmp_path / "class"
    for n in range(4):
        student = folder / f"student{n}"
        shutil.copytree(EXAMPLES / "alice", student)
        (student / "serverudp.py").write_text(SLOW_SERVER.replace("MARKER", marker) + f"\n# {n}\n")
    return folder


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("how, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_grader_leaves_nothing_behind(how, status, tmp_path):
    marker = f"sockgrade-interrupt-{uuid.uuid4().hex}"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out.json"
    grade = subprocess.Popen([sys.executable, "-m", "grader", str(_class(tmp_path, marker)), "--spec", "udp-echo",
                              "--no-cache", "-j", "4", "--json", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "TMPDIR": str(scratch)})
    try:
        assert _wait_for(lambda: processes_with(marker), 60), "no test started"
        grade.send_signal(how)
        if how == signal.SIGINT:
            time.sleep(0.2)
            grade.send_signal(how)         # impatient: a second Ctrl-C
        assert grade.wait(30) == status, grade.stderr.read().decode()
        # The outputs are written for what was graded; what was stopped says so and is no grade.
        records = json.loads(out.read_text())
        stopped = [t for r in records for t in r["tests"] if t["extra_data"]["status"] == "grading_failed"]
        assert stopped and all(t["score"] == 0 and "interrupted" in t["output"] for t in stopped), stopped
        assert "grading was interrupted" in grade.stdout.read().decode()
        assert _wait_for(lambda: not processes_with(marker) and not processes_with(str(scratch)), 5)
        # The folder of users' claims is kept on purpose (a lock per uid); nothing else may stay.
        left = {p.name: "folder" if p.is_dir() else p.read_bytes()[:40] for p in scratch.iterdir()
                if p.name != "sockgrade-users"}
        assert left == {}
    finally:
        if grade.poll() is None:
            grade.kill()
            grade.wait()
