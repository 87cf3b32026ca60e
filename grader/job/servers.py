"""Start a server program and wait until the kernel shows it bound."""
from __future__ import annotations

import ipaddress
import os
import time
from dataclasses import dataclass, field

from grader.job.context import Job, crash_summary
from grader.job.errors import NotHandedIn, TestFailed
from grader.results import Cause, Why
from grader.runner.limits import stop_reason
from grader.runner.process import Program, descendants
from grader.runner.sockets import BoundSocket, bound_sockets, port_in_use
from grader.spec.modes import Player

POLL = 0.01
EXIT_GRACE = 0.3
ANY_ADDRESS = {"0.0.0.0", "::", "127.0.0.1", "::1", "::ffff:127.0.0.1"}


@dataclass
class Server:
    program: Program
    socket: BoundSocket
    role: str = ""               # the spec's role it plays
    port_problem: str = ""       # bound the right transport at another port
    port_cause: Why | None = None    # ... as data
    net: str = "/proc/net"       # the socket tables of the namespace it runs in
    _finished: bool = field(default=False, repr=False, compare=False)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.socket.port)

    def finished(self) -> bool:
        """True once the program has exited and no process of it is left, so that every socket it
        had is closed and nothing more can come from it (what it sent before may still be on its
        way: a moment on a busy machine). Cheap while it runs: one system call, nothing reaped."""
        if self._finished:
            return True
        pid = self.program.pid
        try:
            exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:        # reaped already
            exited = True
        if not exited:
            return False
        # Its children (a server that forked, even one that left its process group) may still hold
        # its sockets.
        if descendants(pid) - {pid} or port_in_use(self.socket.transport, self.socket.port, self.net):
            return False
        self._finished = True
        return True

    def gone(self, job: Job) -> tuple[str, Why | None]:
        """A plain explanation and its cause if the server has stopped, else ('', None)."""
        # A crash often shows first as a closed connection: give the exit a moment to land.
        code = self.program.wait(EXIT_GRACE)
        if code is None:
            return "", None
        if limit := stop_reason(self.program):
            return f"your server stopped: {limit.words}", limit.cause(self.role)
        summary, python = crash_summary(job.plain(self.program.stderr.text()))
        cause = Why(Cause.CRASHED, role=self.role, detail=summary) if python else \
            Why(Cause.EXITED, role=self.role, code=code)
        return f"your server stopped (exit code {code})" + (f": {summary}" if summary else ""), cause


def _as_ipv4(host: str) -> str:
    """An IPv4-mapped IPv6 address (a JVM's socket bound to 127.0.0.1: ::ffff:7f00:1) as IPv4."""
    try:
        mapped = getattr(ipaddress.ip_address(host), "ipv4_mapped", None)
    except ValueError:
        return host
    return str(mapped) if mapped else host


def start_server(job: Job, role: str, which: Player, port: int | None = None,
                 net: str = "/proc/net") -> Server:
    """Start the student's or the reference program for ``role`` and wait for its socket.

    Raises TestFailed with a student-facing reason when it never binds the
    right transport; a wrong port is recorded in ``port_problem`` instead.
    ``net``: the socket tables of the network namespace it starts in (the
    reference's own, see ``oracle.py``: call this on the oracle's thread).
    """
    program_info = job.programs[role]
    path = program_info[which]
    who = "your server" if which == Player.STUDENT else "the reference server"
    if path is None:
        raise NotHandedIn(program_info.get('names', role))
    args = list(program_info.get("args", [])) if which == Player.STUDENT else ["--port", str(port or job.port)]
    program = job.start(path, args, role=role)
    if which == Player.STUDENT:
        job.student_server = program
    job.transcript.add("server", "note", f"started {who}")
    deadline = time.monotonic() + job.test.startup_timeout
    while True:
        found = bound_sockets(descendants(program.pid), net)
        if found:
            break
        if not program.running():
            code = program.wait(0)       # and what it wrote is read to the end
            if limit := stop_reason(program):
                raise TestFailed(f"{who} stopped before binding a port: {limit.words}", limit.cause(role))
            summary, python = crash_summary(job.plain(program.stderr.text()))
            raise TestFailed(f"{who} exited (code {code}) before binding a port"
                             + (f": {summary}" if summary else ""),
                             Why(Cause.CRASHED, role=role, detail=summary) if python else
                             Why(Cause.EXITED_EARLY, role=role, code=code))
        if time.monotonic() > deadline:
            raise TestFailed(f"{who} did not bind {job.transport.upper()} port {port or job.port} "
                             f"within {job.test.startup_timeout:g} s",
                             Why(Cause.DID_NOT_BIND, role=role, transport=job.transport, port=port or job.port))
        time.sleep(POLL)
    wanted = [s for s in found if s.transport == job.transport]
    if not wanted:
        shown = ", ".join(str(s) for s in found)
        raise TestFailed(f"{who} listens on {shown}, this assignment needs {job.transport.upper()}",
                         Why(Cause.WRONG_TRANSPORT, role=role, transport=job.transport, detail=shown))
    expected_port = port or job.port
    exact = [s for s in wanted if s.port == expected_port]
    chosen = (exact or wanted)[0]
    server = Server(program, chosen, role=role, net=net)
    elsewhere = " (in a network namespace of its own)" if net != "/proc/net" else ""
    job.transcript.add("server", "note", f"bound {chosen}{elsewhere}")
    if not exact:
        server.port_problem = (f"{who} bound {job.transport.upper()} port {chosen.port}, "
                               f"the assignment asks for {expected_port}")
        server.port_cause = Why(Cause.WRONG_PORT, role=role, transport=job.transport, port=chosen.port)
    elif chosen.host not in ANY_ADDRESS and not _as_ipv4(chosen.host).startswith("127."):
        server.port_problem = f"{who} bound {chosen.host}, which the clients on 127.0.0.1 cannot reach"
        server.port_cause = Why(Cause.WRONG_ADDRESS, role=role, detail=chosen.host)
    return server
