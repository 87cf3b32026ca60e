"""The memory of a test's student programs together, where no control group counts it.

A grader that is not root, on a machine that delegates it no cgroup, can set
only per-process limits, and a per-process limit does not bound what several
processes hold together, nor shared memory held by many. So the worker samples
it: every few hundredths of a second, the proportional share (PSS) of
anonymous and shared memory of every process below each student program
(``/proc/PID/smaps_rollup``), summed. Over the test's memory limit, all of them
are killed, as the kernel's OOM killer would in a cgroup, and the kill is
counted so that the reason names the limit.

What no process maps is bounded elsewhere: files in a tmpfs by the sizes of the
tmpfs mounts, System V shared memory by ``kernel.shm_rmid_forced`` in the
test's IPC namespace (``worker.py``): a segment nobody has attached is gone.
Between two samples a program can take more, at most what it touches in that
time; each process's address space is bounded too (``limits.preexec``).
"""
from __future__ import annotations

import os
import signal
import threading

INTERVAL = 0.03      # seconds between two samples
FIELDS = (b"Pss_Anon:", b"Pss_Shmem:")


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split(None, 2)[1])
        found.setdefault(ppid, []).append(int(entry))
    return found


def _held(pid: int) -> int:
    """Bytes of anonymous and shared memory ``pid`` holds, by its share."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            lines = f.read().splitlines()
    except OSError:
        return 0
    return sum(int(line.split()[1]) * 1024 for line in lines if line.startswith(FIELDS))


class MemoryWatch:
    def __init__(self, limit_bytes: int):
        self.limit = limit_bytes
        self.kills = 0
        self.peak = 0
        self._roots: list[int] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, pid: int) -> None:
        """Count ``pid`` and everything below it from now on."""
        self._roots.append(pid)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sockgrade-memory", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _processes(self) -> list[int]:
        children = _children()
        found, todo = [], list(self._roots)
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children.get(pid, [])
        return found

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL):
            processes = self._processes()
            held = sum(map(_held, processes))
            self.peak = max(self.peak, held)
            if held > self.limit:
                self.kills += 1
                for pid in processes:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
