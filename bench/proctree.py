"""Memory of a process and all its descendants together, sampled from /proc.

The grader's tests run in PID namespaces of their own, but /proc of the
machine still shows every process with its real parent, so one scan finds the
whole tree: the grader, each test's ``unshare`` and worker, and the programs
the worker starts (bubblewrap, the students' and the reference's).
"""
from __future__ import annotations

import os
import threading

PAGE = os.sysconf("SC_PAGE_SIZE")


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, resident bytes) for every process we can read."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                parent = int(f.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm", "rb") as f:
                resident = int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        found[int(entry)] = (parent, resident)
    return found


def tree_rss(root: int) -> tuple[int, int]:
    """(resident bytes summed over ``root`` and its descendants, number of processes)."""
    procs = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in procs.items():
        children.setdefault(parent, []).append(pid)
    total, count, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            total += procs[pid][1]
            count += 1
        todo += children.get(pid, [])
    return total, count


class PeakSampler:
    """Samples ``tree_rss(root)`` every ``interval`` seconds in a thread; keeps the peak."""

    def __init__(self, root: int, interval: float = 0.1):
        self.root, self.interval = root, interval
        self.peak_rss = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, count = tree_rss(self.root)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_processes = max(self.peak_processes, count)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
