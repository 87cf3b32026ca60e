"""How many tests run at once: as many as the machine has room for.

A test mostly waits on the student's 1 s sleeps, so how many fit on a machine
depends on the class and on whatever else the machine is doing, not on a
number per core. Each test's worker starts only once the Admission lets it.
With a fixed ``-j N`` that is a plain limit of N. By default a controller
samples the machine twice a second from /proc: how busy its cores are (steal
counted as busy), how long runnable tasks waited for a core (the kernel's
pressure stall information, where it reports it), how much memory is left and
how long tasks stalled for it. It raises the limit while tests are queued, the
limit is what holds them back, and the cores have time to spare; it lowers it
at once when tasks queue for a core or memory runs short. Lowering never stops
a running test: it only keeps new ones waiting.
"""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

MEMORY_PER_TEST = 96 << 20      # resident, with room: worker, unshare, bubblewrap, student and reference programs
START_PER_CORE = 12             # where the limit starts: a test alone spends a few % of a core
CEILING_PER_CORE = 64           # the most it may reach (and the grading pool's thread count)
FLOOR_PER_CORE = 2              # the least it falls to when the machine is busy with something else
TICK = 0.5                      # seconds between samples
BUSY_TARGET = 0.97              # raise the limit only while the cores are busy less than this ...
LATE_TARGET_MS = 10.0           # ... and a sleeping task wakes less late than this (90th percentile);
LATE_HIGH_MS = 50.0             # lower it when it wakes later than this (busy cores alone are the goal)
MEMORY_STALL_HIGH = 0.05        # or tasks stalled on memory more than this share of the time
NAP = 0.01                      # the naps whose lateness is measured
SMOOTHING = 0.4                 # weight of the newest sample: tests' CPU comes in bursts at their start


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available_memory() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_reserve() -> int:
    """Memory left alone for the rest of the machine: a tenth of it, at least 512 MiB."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(512 << 20, total // 10)


def cpu_ticks() -> tuple[int, int] | None:
    """(all, busy) clock ticks of the machine's cores since boot, from /proc/stat: idle and iowait are
    not busy, steal is (another machine had the core)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
        return sum(fields), sum(fields) - fields[3] - fields[4]
    except (OSError, ValueError, IndexError):
        return None


def ceiling() -> int:
    """The most tests at once this machine's memory and cores allow."""
    by_memory = max(0, available_memory() - memory_reserve()) // MEMORY_PER_TEST
    return max(2, min(cores() * CEILING_PER_CORE, by_memory))


def starting_limit() -> int:
    return max(2, min(cores() * START_PER_CORE, ceiling()))


@dataclass(frozen=True)
class Sample:
    """The machine over the last interval; a share is 0..1, None where the kernel does not say."""
    busy: float | None
    cpu_stall: float | None
    memory_available: int
    memory_stall: float | None
    late_ms: float = 0.0        # how late a sleeping thread of ours woke, 90th percentile


class MachineProbe:
    """Reads /proc; each ``sample()`` covers the time since the previous one."""

    def __init__(self):
        self._last = self._counters()

    def sample(self, late_ms: float = 0.0) -> Sample:
        now = self._counters()
        before, self._last = self._last, now
        wall = now["wall"] - before["wall"]
        return Sample(busy=_share(now, before, "busy", "total"),
                      cpu_stall=_share(now, before, "cpu_stall", None, wall),
                      memory_available=available_memory(),
                      memory_stall=_share(now, before, "memory_stall", None, wall), late_ms=late_ms)

    @staticmethod
    def _counters() -> dict:
        counters = {"wall": time.monotonic() * 1e6}
        ticks = cpu_ticks()
        if ticks:
            counters["total"], counters["busy"] = ticks
        for name, path in (("cpu_stall", "/proc/pressure/cpu"), ("memory_stall", "/proc/pressure/memory")):
            try:
                with open(path) as f:
                    some = f.readline().split()
                counters[name] = int(some[-1].partition("=")[2])          # total=microseconds
            except (OSError, ValueError, IndexError):
                pass
        return counters


class _Waiter:
    def __init__(self):
        self.event = threading.Event()
        self.admitted = False


def _share(now: dict, before: dict, key: str, over: str | None, wall: float = 0.0) -> float | None:
    if key not in now or key not in before:
        return None
    span = (now[over] - before[over]) if over else wall
    if span <= 0:
        return None
    return min(1.0, max(0.0, (now[key] - before[key]) / span))


class Admission:
    """Lets tests start, first come first served, while fewer than ``limit`` run.

    ``fixed``: a limit that never moves (``-j N``); otherwise the limit follows
    the machine between ``floor`` and ``ceiling``.
    """

    def __init__(self, fixed: int | None = None, *, start: int | None = None, floor: int | None = None,
                 ceiling_: int | None = None, probe: MachineProbe | None = None, tick: float = TICK):
        self.adaptive = fixed is None
        self.ceiling = fixed or ceiling_ or ceiling()
        self.floor = min(self.ceiling, fixed or floor or max(2, cores() * FLOOR_PER_CORE))
        self.limit = fixed or min(self.ceiling, max(self.floor, start or starting_limit()))
        self.running = 0
        self.peak_running = 0
        self.history: list[tuple[float, int, int, Sample]] = []   # (time, limit, running, sample)
        self._waiting: deque[_Waiter] = deque()
        self._lock = threading.Lock()
        self._closed = False
        self._stop = threading.Event()
        self._smoothed: dict[str, float] = {}
        self._controller = None
        if self.adaptive:
            self._probe = probe or MachineProbe()
            self._tick = tick
            self._controller = threading.Thread(target=self._control, name="sockgrade-admission", daemon=True)
            self._controller.start()

    @contextmanager
    def slot(self):
        """Wait for room; yields True once the test may start, False if the admission was closed."""
        admitted = self._enter()
        try:
            yield admitted
        finally:
            if admitted:
                self._leave()

    def close(self) -> None:
        """Admit no more tests: every waiting one is let go with False. Stops the controller."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = list(self._waiting), deque()
        for waiter in waiting:
            waiter.event.set()
        self._stop.set()
        if self._controller and self._controller is not threading.current_thread():
            self._controller.join()

    # -- waiting in line ----------------------------------------------------
    def _enter(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            if not self._waiting and self.running < self.limit:
                self._admit()
                return True
            waiter = _Waiter()
            self._waiting.append(waiter)
        waiter.event.wait()
        return waiter.admitted

    def _admit(self) -> None:
        self.running += 1
        self.peak_running = max(self.peak_running, self.running)

    def _leave(self) -> None:
        with self._lock:
            self.running -= 1
            self._let_in()

    def _let_in(self) -> None:
        while self._waiting and self.running < self.limit and not self._closed:
            waiter = self._waiting.popleft()
            waiter.admitted = True
            self._admit()
            waiter.event.set()

    # -- following the machine ---------------------------------------------
    def _control(self) -> None:
        started = time.monotonic()
        while True:
            late = self._nap_for(self._tick)
            if late is None:
                return
            sample = self._probe.sample(late)
            with self._lock:
                self.limit = self.next_limit(sample, waiting=len(self._waiting))
                self._let_in()
                self.history.append((round(time.monotonic() - started, 2), self.limit, self.running, sample))

    def _nap_for(self, seconds: float) -> float | None:
        """Sleep ``seconds`` in short naps; how late the naps woke (90th percentile, ms), as a
        student's program waiting on a socket would; None once closed."""
        late = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            asleep = time.monotonic()
            if self._stop.wait(NAP):
                return None
            late.append(time.monotonic() - asleep - NAP)
        late.sort()
        return round(late[int(len(late) * 0.9)] * 1000, 2) if late else 0.0

    def fit_memory(self, per_test: int) -> None:
        """Never more tests at once than the machine's free memory holds when each takes ``per_test``
        bytes (all its limits let its programs hold). A limit the teacher set (-j N) stays."""
        if not self.adaptive:
            return
        most = max(1, (available_memory() - memory_reserve()) // per_test)
        with self._lock:
            self.ceiling = min(self.ceiling, most)
            self.floor = min(self.floor, self.ceiling)
            self.limit = min(self.limit, self.ceiling)

    def next_limit(self, sample: Sample, waiting: int) -> int:
        """The limit after one sample: up by one test per core while tests are queued behind it and
        the cores have time to spare; down by a tenth when tasks wake late (the cores being merely
        busy is what grading a class should achieve), by a quarter when memory runs short."""
        busy = self._smooth("busy", sample.busy)
        late = self._smooth("late", sample.late_ms)
        limit = self.limit
        if sample.memory_available < memory_reserve() or (sample.memory_stall or 0.0) > MEMORY_STALL_HIGH:
            limit = int(min(limit, self.running) * 0.75)
        elif late > LATE_HIGH_MS:
            limit = int(limit * 0.9)
        elif waiting and self.running >= limit - 1 and (busy is None or busy < BUSY_TARGET) \
                and late < LATE_TARGET_MS:
            room = self.running + max(0, sample.memory_available - memory_reserve()) // MEMORY_PER_TEST
            limit = min(limit + cores(), room)
        return max(self.floor, min(self.ceiling, limit))

    def _smooth(self, key: str, value: float | None) -> float | None:
        if value is None:
            return None
        old = self._smoothed.get(key, value)
        self._smoothed[key] = old + SMOOTHING * (value - old)
        return self._smoothed[key]
