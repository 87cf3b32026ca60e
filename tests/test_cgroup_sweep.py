"""An engine sweeps away the control groups that engines killed outright left behind, and nothing else:
not those of an engine alive in another PID namespace (a grader in a container sharing the cgroup
tree, or in a sandbox), whose pid means nothing here. Sweeping those made a living engine's test
folder vanish between its making and its limits being written ("grading failed"). That the folders of
a dead engine of this namespace go: test_hostile_kill.py."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from grader.runner import cgroups

BACKEND, WHY = cgroups.detect()
pytestmark = pytest.mark.skipif(BACKEND is None or os.geteuid() != 0 or not shutil.which("unshare"),
                                reason=f"needs root, control groups and unshare ({WHY})")

ENGINE = textwrap.dedent("""
    import sys
    from grader.runner import cgroups
    backend, _ = cgroups.detect()
    engine = backend.open()
    test = engine.test_group("test-1", 64 << 20, 16)
    print(engine.pids, flush=True)
    sys.stdin.readline()
    test.close()
    engine.close()
""")


def a_dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_an_engine_alive_in_another_pid_namespace_keeps_its_folders():
    pid = a_dead_pid()
    # In its own PID namespace the engine gets the pid that is dead here.
    other = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c",
         f'echo {pid - 1} > /proc/sys/kernel/ns_last_pid; "$0" -c "$1"', sys.executable, ENGINE],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        folder = other.stdout.readline().split()[0]
        assert os.path.basename(folder).split("-")[2] == str(pid)
        mine = BACKEND.open()           # sweeps
        try:
            assert os.path.isdir(folder) and os.listdir(folder), "a living engine's folder was swept"
        finally:
            mine.close()
    finally:
        other.communicate("go\n", timeout=30)
    assert other.returncode == 0

