"""A client program on a terminal (a pty, through pexpect), for clients that prompt with input().

The person at the terminal is played by ``interact`` steps: wait for a prompt,
type an answer, end the input. Everything the program prints (its prompts,
the echo of what was typed, tracebacks: a terminal mixes stdout and stderr)
is kept, capped like ``Program``'s output, for the output checks.
"""
from __future__ import annotations

import signal
import time

import pexpect

from grader.spec import match
from grader.runner.process import OUTPUT_CAP, Captured, RunningProgram, dies_with_parent, kill_tree


class PtyProgram(RunningProgram):
    """A running program on a pseudo-terminal. ``close()`` is safe to call twice."""

    def __init__(self, argv: list[str], *, cwd: str, env: dict, cap: int = OUTPUT_CAP, preexec=None,
                 limits=None, wrapped: bool = False, usage=None):
        self.cap = cap
        self.limits, self.wrapped, self.usage = limits, wrapped, usage    # as Program's, for limits.stop_reason
        self.cpu_seconds: float | None = None      # not known: pexpect reaps it
        self.stdout = Captured(bytearray(), cap)
        self.stderr = Captured(bytearray(), cap)   # a terminal has one stream; kept for Program's interface
        self.seen = 0                              # output before this offset was consumed by prompts
        self._child = pexpect.spawn(argv[0], argv[1:], cwd=cwd, env={**env, "TERM": "dumb"},
                                    echo=True, dimensions=(24, 200),
                                    preexec_fn=dies_with_parent(signal.SIGKILL, preexec))
        self.pid = self._child.pid
        self._closed = False

    # -- reading -----------------------------------------------------------
    def _read(self, deadline: float) -> bool:
        """Read what the program printed until ``deadline``; False at its end of output."""
        try:
            chunk = self._child.read_nonblocking(65536, timeout=max(0.0, deadline - time.monotonic()))
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        room = self.cap - len(self.stdout.data)
        self.stdout.data += chunk[:max(room, 0)]
        self.stdout.dropped += max(len(chunk) - max(room, 0), 0)
        return True

    def text(self) -> str:
        return self.stdout.data.decode("utf-8", errors="backslashreplace").replace("\r\n", "\n")

    def wait_for(self, expectation, timeout: float) -> dict[str, str] | None:
        """Wait until the output not yet consumed shows the prompt; return its captures, or None."""
        deadline = time.monotonic() + timeout
        more = True
        while True:
            found = match.find_prompt(expectation, self.text()[self.seen:])
            if found:
                end, captured = found
                self.seen += end
                return captured
            if not more or time.monotonic() >= deadline:
                return None
            more = self._read(deadline)

    def unread(self) -> str:
        return self.text()[self.seen:]

    # -- typing ------------------------------------------------------------
    def type(self, line: str) -> None:
        self._child.sendline(line.encode("utf-8"))

    def end_input(self) -> None:
        self._child.sendeof()

    # -- like Program ------------------------------------------------------
    def running(self) -> bool:
        return self._child.isalive()

    @property
    def returncode(self) -> int | None:
        if self._child.isalive():
            return None
        return self._child.exitstatus if self._child.exitstatus is not None else -(self._child.signalstatus or 0)

    def wait(self, timeout: float) -> int | None:
        """Read its output until it exits or ``timeout`` passes; its exit code, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read(deadline):
                break
        while self._child.isalive() and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.returncode

    def output_lines(self) -> list[str]:
        return self.text().splitlines()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        kill_tree(self.pid)     # pexpect made it a session leader: its group is its own
        try:
            self._child.close(force=True)
        except pexpect.ExceptionPexpect:
            pass
