"""Supervise one child program: start it in its own process group, drain its
output without ever letting it block, and kill it and everything it started.

Output is read continuously by a thread per stream and kept up to a cap; the
rest is counted and dropped, so a chatty program never stalls on a full pipe.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Protocol

OUTPUT_CAP = 256 * 1024
READ_GRACE = 1.0     # seconds at least to read the rest of what an exited program wrote


@dataclass
class Captured:
    data: bytearray
    cap: int = OUTPUT_CAP
    dropped: int = 0

    def text(self) -> str:
        """The output as readable text: terminal control characters escaped, the cut said."""
        out = "".join(c if c.isprintable() or c in "\n\t" else c.encode("unicode_escape").decode()
                      for c in self.data.decode("utf-8", errors="backslashreplace"))
        if self.dropped:
            out += f"\n[... {self.dropped} more bytes not kept: output is kept up to {self.cap // 1024} KiB]"
        return out


class RunningProgram(Protocol):
    """A program a test started: on pipes (``Program``) or on a terminal (``pty_program.PtyProgram``).
    What the runner, the limits and the reports use of either; ``with`` closes it."""
    pid: int
    stdout: Captured
    stderr: Captured               # on a terminal, empty: its one stream is ``stdout``
    limits: object                 # the Limits it runs under (a student program), else None
    wrapped: bool                  # run by bwrap or the jail, which report death by signal N as exit 128 + N
    usage: object                  # the test's counters (limits.TestUsage), for a student program
    cpu_seconds: float | None      # its CPU time, once known

    @property
    def returncode(self) -> int | None:
        """Its exit code (a signal N as -N), None while it runs."""

    def running(self) -> bool:
        """Whether it has not exited yet."""

    def wait(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for it to exit, reading its output; its exit code, or None."""

    def output_lines(self) -> list[str]:
        """What it printed (on a terminal: with what was typed, as the terminal showed it), by lines."""

    def close(self) -> None:
        """Kill it and everything it started; safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Program(RunningProgram):
    """A running child program, its output read through pipes. ``close()`` is safe to call twice.

    It gets ``parent_death`` (SIGKILL by default) when the thread that started it ends, the grader's
    process killed included (see ``dies_with_parent``): start it on a thread that outlives it.
    """

    def __init__(self, argv: list[str], *, cwd: str, env: dict | None = None,
                 stdin: bytes | None = None, cap: int = OUTPUT_CAP, preexec=None,
                 limits=None, wrapped: bool = False, usage=None, parent_death: int = signal.SIGKILL):
        self.argv = argv
        self.cap = cap
        self.limits = limits            # the Limits it runs under (a student program), else None
        self.wrapped = wrapped          # run by bwrap or the jail, which report death by signal N as exit 128 + N
        self.usage = usage              # the test's counters (limits.TestUsage), for a student program
        self.cpu_seconds: float | None = None     # its CPU time and its waited-for children's, once reaped
        self.stdout = Captured(bytearray(), cap)
        self.stderr = Captured(bytearray(), cap)
        self.started = time.monotonic()
        self._proc = subprocess.Popen(
            argv, cwd=cwd, env=env, start_new_session=True,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=dies_with_parent(parent_death, preexec))
        self.pid = self._proc.pid
        self._readers = [self._drain(self._proc.stdout, self.stdout),
                         self._drain(self._proc.stderr, self.stderr)]
        if stdin is not None:
            threading.Thread(target=self._feed, args=(stdin,), daemon=True).start()
        self._closed = False

    def _feed(self, data: bytes) -> None:
        try:
            self._proc.stdin.write(data)
            self._proc.stdin.close()
        except OSError:
            pass

    def _drain(self, stream, into: Captured) -> threading.Thread:
        def run():
            fd = stream.fileno()
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                room = self.cap - len(into.data)
                into.data += chunk[:max(room, 0)]
                into.dropped += max(len(chunk) - max(room, 0), 0)
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def _poll(self) -> int | None:
        """Reap the program if it has exited, keeping its CPU time (Popen's own poll would lose it)."""
        if self._proc.returncode is None:
            try:
                pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:          # reaped elsewhere
                return self._proc.poll()
            if pid:
                self._proc.returncode = os.waitstatus_to_exitcode(status)
                self.cpu_seconds = rusage.ru_utime + rusage.ru_stime
        return self._proc.returncode

    @property
    def returncode(self) -> int | None:
        return self._poll()

    def running(self) -> bool:
        return self._poll() is None

    def wait(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for the program to exit; None if it did not.

        The kernel wakes us when it exits (a pidfd): Popen's own wait polls, up to
        50 ms late, and every waiting thread wakes 20 times a second. Once it has
        exited, what it wrote is read to the end before this returns (for what is left
        of ``timeout``, at least ``READ_GRACE`` seconds: the reading threads may be slow
        to get the CPU on a busy machine).
        """
        deadline = time.monotonic() + timeout
        if self._poll() is None:
            try:
                fd = os.pidfd_open(self.pid)
            except OSError:          # no pidfds here (Linux before 5.3), or it was reaped meanwhile
                fd = None
            if fd is None:
                while self._poll() is None:
                    if time.monotonic() >= deadline:
                        return None
                    time.sleep(0.01)
            else:
                try:
                    poller = select.poll()
                    poller.register(fd, select.POLLIN)
                    poller.poll(max(timeout, 0) * 1000)
                finally:
                    os.close(fd)
                if self._poll() is None:
                    return None
        # Its pipes end with it, unless a child of it holds them open.
        deadline = max(deadline, time.monotonic() + READ_GRACE)
        for reader in self._readers:
            reader.join(max(0.0, deadline - time.monotonic()))
        return self._proc.returncode

    def output_lines(self) -> list[str]:
        return self.stdout.data.decode("utf-8", errors="backslashreplace").splitlines()

    def close(self) -> None:
        """Kill the program, its process group and every descendant still known."""
        if self._closed:
            return
        self._closed = True
        kill_tree(self.pid)
        self.wait(5)
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream:
                try:
                    stream.close()
                except OSError:
                    pass


def dies_with_parent(signum: int, then=None):
    """A function for ``Popen(preexec_fn=...)``: the child gets ``signum`` when its parent dies, and
    then runs ``then`` (another such function), if any.

    The kernel sends it (the parent-death signal) when the *thread* that forked the child ends, not
    the whole process; it is kept across exec and cleared by a change of user, so a launcher that
    becomes another user sets its own after (``jail.py``). A parent that died before it was set
    has no death left to signal: the child then ends at once.
    """
    from grader.runner import linux       # ctypes: for the processes that need it only
    parent = os.getpid()

    def apply() -> None:       # runs between fork and exec
        linux.prctl(linux.PR_SET_PDEATHSIG, signum)
        if os.getppid() != parent:
            os._exit(1)
        if then is not None:
            then()
    return apply


def descendants(root: int) -> set[int]:
    """Live (non-zombie) ``root``, its process group, and their descendants."""
    parents: dict[int, int] = {}
    groups: dict[int, int] = {}
    zombies: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        groups[int(entry)] = int(fields[2])
        if fields[0] == b"Z":
            zombies.add(int(entry))
    found = {root} | {pid for pid, pgid in groups.items() if pgid == root}
    grew = True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in found} - found
        found |= more
        grew = bool(more)
    return found - zombies


def kill_tree(root: int) -> None:
    """SIGKILL the group and every descendant; repeat while forks keep appearing.

    A process that double-forked away from ``root`` is only found here when
    the caller is a child subreaper (see ``become_subreaper``) or PID 1.

    Done when a scan after the kills finds no process that was not killed
    already: a process cannot finish a fork once SIGKILL is pending, so any
    child forked before the kill is in that scan. Waiting for the killed ones
    to die is not needed.
    """
    if root != os.getpid() and _reaped_and_alone(root):
        return
    killed: set[int] = set()
    for round_ in range(50):
        pids = descendants(root) - {os.getpid()}
        if root != os.getpid():
            try:
                os.killpg(root, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        new = set()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
            if pid not in killed:
                new.add(pid)
        if not new:
            return
        killed |= new
        if round_:
            time.sleep(0.01)     # something keeps forking: give the kills time to land


def _reaped_and_alone(root: int) -> bool:
    """``root`` is reaped and its group empty: no process can be found from it, so no scan is needed.

    (A reaped process's children have a new parent, so only its group could lead to them.)
    Spares the engine a scan of the machine's /proc after each worker that exited by itself.
    """
    for probe in (os.kill, os.killpg):
        try:
            probe(root, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass
        return False
    return True


def become_subreaper() -> None:
    """Make orphaned descendants re-parent to us, so ``kill_tree`` can find them."""
    from grader.runner import linux       # ctypes: for the processes that need it only
    linux.prctl(linux.PR_SET_CHILD_SUBREAPER, 1)


def kill_all_descendants() -> None:
    """The last word of a worker: nothing it started outlives it."""
    kill_tree(os.getpid())
    reap_exited_children()


def reap_exited_children() -> None:
    """Collect every child that has exited, without waiting for the others."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
