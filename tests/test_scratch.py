"""A grading killed outright (kill -9: no `finally` runs) leaves its scratch folders in the
temporary folder; the next grading sweeps them, and never a folder of a process still alive."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conftest import EXAMPLES
from grader import scratch


def theirs(pid: int) -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob(f"sockgrade-*-p{pid}-*"))


def test_a_killed_gradings_folders_are_swept_and_a_live_ones_kept(tmp_path):
    mine = Path(scratch.make("test"))                   # this process is alive: its folder stays
    grading = subprocess.Popen([sys.executable, "-m", "grader", str(EXAMPLES / "alice"), "--spec", "udp-echo",
                                "--cache-dir", str(tmp_path / "cache")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(600):                           # until a test's copy of the student exists
            if any(p.name.startswith("sockgrade-test-") for p in theirs(grading.pid)) or grading.poll() is not None:
                break
            time.sleep(0.1)
        assert grading.poll() is None, "the grading ended before a test started"
    finally:
        os.killpg(grading.pid, signal.SIGKILL)
        grading.wait()
    left = theirs(grading.pid)
    assert any(p.name.startswith("sockgrade-test-") for p in left)      # no finally ran
    # The next grading's engine sweeps them: here its first step, in a process of its own.
    swept = subprocess.run([sys.executable, "-c", "from grader import scratch; print(scratch.sweep())"],
                           capture_output=True, text=True, timeout=60)
    assert swept.returncode == 0, swept.stderr
    assert theirs(grading.pid) == []
    assert mine.is_dir()
    mine.rmdir()
