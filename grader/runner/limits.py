"""Resource limits for student programs, and plain words for the one they ran into.

The limits are set with ``setrlimit`` in the child before it starts its
program (``preexec``), so they hold for the sandbox and everything the student
starts. The kernel enforces each in its own way, and the program dies (or
fails) in a way that says which:

- CPU seconds: SIGXCPU at the soft limit, SIGKILL one second later;
- memory (RLIMIT_DATA, not the address space, which threads' reserved arenas
  would use up): Python raises ``MemoryError``;
- processes and threads (RLIMIT_NPROC, counted per user: only meaningful when
  the program runs as a user of its own, see ``sandbox.py``): ``fork`` fails
  with EAGAIN, "Resource temporarily unavailable" / "can't start new thread";
- file size: EFBIG, "File too large" (Python ignores SIGXFSZ);
- open files: EMFILE, "Too many open files".
"""
from __future__ import annotations

import re
import resource
import signal

from grader.spec.model import Limits

MIB = 1 << 20
# EAGAIN from fork, not from a non-blocking socket: the traceback passes through a fork.
FORK_FAILED = re.compile(r"(fork|_execute_child|spawn)[^\n]*\n(.*\n)*?.*Resource temporarily unavailable")


def preexec(limits: Limits, *, processes: bool):
    """A function for ``Popen(preexec_fn=...)`` that sets ``limits`` in the child.

    ``processes=False`` leaves the number of processes alone: without a user
    of its own, the count would include every process of the grader's user.
    """
    settings = [
        (resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1)),
        (resource.RLIMIT_DATA, (limits.memory_mib * MIB,) * 2),
        (resource.RLIMIT_FSIZE, (limits.file_size_mib * MIB,) * 2),
        (resource.RLIMIT_NOFILE, (limits.open_files,) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if processes:
        settings.append((resource.RLIMIT_NPROC, (limits.processes,) * 2))
    setrlimit = resource.setrlimit

    def apply() -> None:       # runs between fork and exec: no imports, no allocation to speak of
        for which, values in settings:
            setrlimit(which, values)
    return apply


def exit_signal(code: int | None, *, wrapped: bool) -> int | None:
    """The signal that ended a program, also when a wrapper (bwrap) reports it as 128 + N."""
    if code is None:
        return None
    if code < 0:
        return -code
    if wrapped and 128 < code < 128 + 65:
        return code - 128
    return None


def stop_reason(program) -> str:
    """'used more than 256 MiB of memory' when a finished ``Program`` ran into a limit, else ''.

    The process limit is only in force in the sandbox (see ``preexec``).
    """
    limits, code, wrapped = program.limits, program.returncode, program.wrapped
    if limits is None or code in (None, 0):
        return ""
    stderr = program.stderr.data.decode("utf-8", errors="replace")
    sig = exit_signal(code, wrapped=wrapped)
    if sig in (signal.SIGXCPU, signal.SIGKILL):
        # SIGKILL reaches a program that outlived SIGXCPU; the grader's own
        # kills come after the exit status has been read.
        return f"used more than {limits.cpu_seconds} s of CPU time"
    if sig == signal.SIGXFSZ or "File too large" in stderr:
        return f"tried to write a file larger than {limits.file_size_mib} MiB"
    if wrapped and (FORK_FAILED.search(stderr) or "can't start new thread" in stderr):
        return f"tried to start more than {limits.processes} processes or threads"
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        return f"used more than {limits.memory_mib} MiB of memory"
    if "Too many open files" in stderr:
        return f"opened more than {limits.open_files} files and sockets at once"
    return ""
