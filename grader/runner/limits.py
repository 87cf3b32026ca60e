"""Resource limits for student programs, and plain words for the one they ran into.

Two layers. For the test as a whole, where the machine offers control groups
(``cgroups.py``): the memory of all the test's student programs together,
shared memory included (the kernel's OOM killer ends one of them), and their
processes and threads; and, in the test's namespaces, the student's writable
folder is a tmpfs of ``disk_mib`` and ``files`` (``worker.py``). For each
program, set with ``setrlimit`` in the child before it starts (``preexec``):

- CPU seconds: SIGXCPU at the soft limit, SIGKILL one second later;
- memory (RLIMIT_DATA, with room for its threads' stacks, which are made
  small with RLIMIT_STACK): Python raises ``MemoryError``; without a control
  group, the address space too (all that bounds shared memory then);
- processes and threads (RLIMIT_NPROC, counted per user: only meaningful when
  the program runs as a user of its own): ``fork`` fails with EAGAIN,
  "Resource temporarily unavailable" / "can't start new thread";
- file size: EFBIG, "File too large" (Python ignores SIGXFSZ);
- open files: EMFILE, "Too many open files".
"""
from __future__ import annotations

import os
import re
import resource
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader.results import Cause, Why
from grader.spec.model import Limits

if TYPE_CHECKING:
    from grader.runner.process import RunningProgram

MIB = 1 << 20
# EAGAIN from fork, not from a non-blocking socket: the traceback passes through a fork.
FORK_FAILED = re.compile(r"(fork|_execute_child|spawn)[^\n]*\n(.*\n)*?.*Resource temporarily unavailable")
# ... or the sandbox's, when it could not even start the program.
SANDBOX_FORK_FAILED = re.compile(r"^(bwrap|setpriv|unshare): .*(Resource temporarily unavailable|fork)", re.MULTILINE)


STACK = 2 * MIB          # each thread's stack: a server with dozens of threads is not a memory hog


def preexec(limits: Limits, *, processes: bool, group: bool = False, join=None):
    """A function for ``Popen(preexec_fn=...)`` that sets ``limits`` in the child.

    ``processes=False`` leaves the number of processes alone: without a user
    of its own, the count would include every process of the grader's user.
    ``group``: the test has a control group (``cgroups.py``), which ``join``
    (called first) moves the child into; it bounds the memory of the whole
    test, shared memory included. Without one, the address space is bounded
    too, which is all that catches shared memory per process.
    Each process's own data may exceed the memory limit by its threads' stacks
    (which count as data), so that the group, not a stack, decides.
    """
    data = (limits.memory_mib * MIB + limits.processes * STACK,) * 2
    settings = [
        (resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1)),
        (resource.RLIMIT_DATA, data),
        (resource.RLIMIT_STACK, (STACK, STACK)),
        (resource.RLIMIT_FSIZE, (limits.file_size_mib * MIB,) * 2),
        (resource.RLIMIT_NOFILE, (limits.open_files,) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if not group:
        settings.append((resource.RLIMIT_AS, (2 * data[0] + 512 * MIB,) * 2))
    if processes:
        settings.append((resource.RLIMIT_NPROC, (limits.processes,) * 2))
    setrlimit = resource.setrlimit

    def apply() -> None:       # runs between fork and exec: no imports, no allocation to speak of
        if join is not None:
            join()
        for which, values in settings:
            setrlimit(which, values)
    return apply


class TestUsage:
    """What the test's limits saw, beyond one program's exit: read when naming why a program stopped."""

    def __init__(self, group=None, disk: str | None = None, processes_limited: bool = False, watch=None,
                 holders=None):
        self.group = group          # cgroups.Usage, or None
        self.disk = disk            # the student's writable folder when it is a tmpfs of its own
        self.processes_limited = processes_limited or group is not None
        self.watch = watch          # memory_watch.MemoryWatch where no group counts the memory
        self.holders = holders      # () -> {role: processes it runs now}, for saying who used a limit up

    def processes_refused(self) -> int:
        return self.group.processes_refused() if self.group else 0

    def oom_kills(self) -> int:
        if self.group:
            return self.group.oom_kills()
        return self.watch.kills if self.watch else 0

    def disk_full(self) -> str:
        """'files' or 'bytes' when the student's tmpfs is full, else ''."""
        if not self.disk:
            return ""
        try:
            st = os.statvfs(self.disk)
        except OSError:
            return ""
        if st.f_favail == 0:
            return "files"
        return "bytes" if st.f_bavail * st.f_frsize < 64 * 1024 else ""


def exit_signal(code: int | None, *, wrapped: bool) -> int | None:
    """The signal that ended a program, also when a wrapper (bwrap) reports it as 128 + N."""
    if code is None:
        return None
    if code < 0:
        return -code
    if wrapped and 128 < code < 128 + 65:
        return code - 128
    return None


@dataclass(frozen=True)
class LimitHit:
    """A limit a program ran into: ``limit`` names the field of the spec's limits ('' for a SIGKILL
    from outside them), ``value`` its value, ``words`` say it."""
    limit: str
    value: int | None
    words: str

    def cause(self, role: str) -> Why:
        if not self.limit:
            return Why(Cause.KILLED, role=role)
        return Why(Cause.LIMIT, role=role, limit=self.limit, value=self.value)


def stop_reason(program: RunningProgram) -> LimitHit | None:
    """The limit a finished ``Program`` ran into ('used more than 256 MiB of memory'), if any.

    A kill (SIGKILL) is the kernel's out-of-memory killer when the test's group
    counted one, the CPU limit when the program used its CPU seconds, and
    otherwise said to be of unknown cause: never guessed.
    """
    limits, code, wrapped = program.limits, program.returncode, program.wrapped
    if limits is None or code in (None, 0):
        return None
    usage = program.usage or TestUsage()
    stderr = program.stderr.data.decode("utf-8", errors="replace")
    sig = exit_signal(code, wrapped=wrapped)
    cpu = program.cpu_seconds
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu is not None and cpu >= limits.cpu_seconds):
        return LimitHit("cpu_seconds", limits.cpu_seconds, f"used more than {limits.cpu_seconds} s of CPU time")
    if usage.processes_refused():
        return whole_test_limit(usage, limits, "processes")
    if sig == signal.SIGKILL and usage.oom_kills():
        return whole_test_limit(usage, limits, "memory_mib")
    full = usage.disk_full()
    if "No space left on device" in stderr or full:
        return whole_test_limit(usage, limits, "files" if full == "files" else "disk_mib")
    if sig == signal.SIGXFSZ or "File too large" in stderr:
        return LimitHit("file_size_mib", limits.file_size_mib,
                        f"tried to write a file larger than {limits.file_size_mib} MiB")
    if FORK_FAILED.search(stderr) or SANDBOX_FORK_FAILED.search(stderr) or "can't start new thread" in stderr:
        if usage.processes_limited:
            return LimitHit("processes", limits.processes,
                            f"reached the test's limit of {limits.processes} processes and threads")
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        return LimitHit("memory_mib", limits.memory_mib, f"used more than {limits.memory_mib} MiB of memory")
    if "Too many open files" in stderr:
        return LimitHit("open_files", limits.open_files,
                        f"opened more than {limits.open_files} files and sockets at once")
    if sig == signal.SIGKILL:
        return LimitHit("", None, "was killed (SIGKILL) by something other than the test's limits: the "
                                  "machine's out-of-memory killer, or a program, maybe its own")
    return None


WHOLE_TEST_LIMITS = {
    "processes": "reached the test's limit of {} processes and threads",
    "memory_mib": "reached the test's limit of {} MiB of memory, shared memory included",
    "disk_mib": "filled the test's {} MiB of disk",
    "files": "reached the test's limit of {} files",
}


def whole_test_limit(usage: TestUsage, limits: Limits, limit: str) -> LimitHit:
    """A limit of the test as a whole, said as the student's own programs' doing, with who held most."""
    value = getattr(limits, limit)
    words = "your programs together " + WHOLE_TEST_LIMITS[limit].format(value)
    if limit == "processes" and usage.holders:
        held = {role: n for role, n in usage.holders().items() if n}
        if held:
            role = max(held, key=lambda r: held[r])
            words += f"; your {role} was running {held[role]} of them"
    return LimitHit(limit, value, words)


def test_limit_reached(usage: TestUsage, limits: Limits) -> LimitHit | None:
    """The limit of the whole test its programs reached, if any: what explains whatever failed then."""
    if usage.processes_refused():
        return whole_test_limit(usage, limits, "processes")
    if usage.oom_kills():
        return whole_test_limit(usage, limits, "memory_mib")
    if full := usage.disk_full():
        return whole_test_limit(usage, limits, "files" if full == "files" else "disk_mib")
    return None
