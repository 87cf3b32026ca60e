"""Start each test's worker by forking a process that has the grader imported already.

A worker's own start (the interpreter and the grader's imports, ~55 ms of CPU)
was most of the grader's overhead per test. The engine starts this server once
(``ForkServer``). Each test's namespaces are still made by ``unshare``, around
a trampoline (``trampoline.py``: the interpreter without site, almost no
imports) that hands its stdin, stdout and stderr to this server over a Unix
socket and waits. The server forks a child that joins the trampoline's
namespaces (setns), forks the worker into them and waits for it. The worker
says it has started, runs the test as ``python -m grader.worker.worker`` would,
and sends its exit status to the trampoline, which exits with it.

The worker lives in the trampoline's PID namespace, where the trampoline is
PID 1: killing the trampoline, as the engine does at a test's end or timeout,
kills the worker and everything it started. A worker killed alone ends the
trampoline (it hears nothing more), and so its namespace. The server dies with
the engine, the child with the server and the worker with the child (parent-death
signals, which is why the child stays). When no worker could be forked the
trampoline becomes the usual worker (exec): the fork server is only a shortcut.
"""
from __future__ import annotations

import functools
import os
import select
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time

from grader import scratch
from grader.runner import linux
from grader.runner.process import Program, become_subreaper, dies_with_parent, reap_exited_children

TRAMPOLINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trampoline.py")
# Joined in this order: the user namespace first (a grader that is not root has its
# capabilities over the others there), the PID namespace last (it applies to children).
NAMESPACES = (("user", 0x10000000), ("net", 0x40000000), ("ipc", 0x08000000), ("mnt", 0x00020000),
              ("pid", 0x20000000))
STREAMS = 3          # the trampoline's stdin, stdout and stderr
READY_WITHIN = 10.0  # seconds
HANDOVER_WITHIN = 5.0
STARTED = b"S"       # the worker's first word to the trampoline; its exit status is the last


class ForkServer:
    """The engine's fork server: started at once, stopped (with its whole tree) by ``close()``."""

    def __init__(self, python: str, env: dict):
        self._folder = scratch.make("forkserver")     # 0700: ours only
        self.path = os.path.join(self._folder, "socket")
        argv = [python, "-S", "-m", "grader.worker.forkserver", self.path, str(os.getpid())]
        self._program = Program(argv, cwd="/", env=env)
        # Tests started before it listens would not be forked (they would still run): wait a moment.
        deadline = time.monotonic() + READY_WITHIN
        while not os.path.exists(self.path) and self._program.running() and time.monotonic() < deadline:
            time.sleep(0.005)

    def worker_argv(self, python: str) -> list[str]:
        return [python, "-S", TRAMPOLINE]

    def close(self) -> None:
        try:
            self._program.close()
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)


def serve(path: str, engine: int) -> None:
    from grader.worker import worker     # imported here once, inherited by every forked worker
    # Found once here: finding it writes a probe file, which a worker killed at that moment would leave.
    tempfile.gettempdir()
    run = functools.partial(worker.main, forked=True)
    become_subreaper()                   # the workers' parents exit at once: their exits are ours to reap
    signal.signal(signal.SIGCHLD, lambda *_: reap_exited_children())
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".new")
    listener.listen(128)
    os.rename(path + ".new", path)       # the path appears once connections are taken
    listener.settimeout(1.0)
    while os.getppid() == engine:        # the engine is gone: so is the need for us
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        with conn:
            _start_worker(conn, listener, engine, run)


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _engines_trampoline(pid: int, engine: int) -> bool:
    """The peer is a test's trampoline: a child of the ``unshare`` the engine started.

    Anything a test starts descends from a worker, and an orphan is adopted by
    its worker (a subreaper) or its namespace's first process, never by the
    engine: so no student program passes this, even one that reached the socket.
    """
    return _parent(_parent(pid)) == engine


def _start_worker(conn: socket.socket, listener: socket.socket, engine: int, run) -> None:
    pid, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    conn.settimeout(HANDOVER_WITHIN)      # a client that connects and says nothing must not stall the rest
    try:
        _, fds, _, _ = socket.recv_fds(conn, 16, STREAMS)
    except OSError:
        return
    conn.settimeout(None)
    try:
        if uid != os.getuid() or len(fds) != STREAMS or not _engines_trampoline(pid, engine):
            return
        with_server = dies_with_parent(signal.SIGKILL)
        try:
            child = os.fork()
        except OSError:
            return            # the trampoline hears no STARTED and becomes the worker itself
        if child == 0:
            try:
                listener.close()
                _join_and_fork(pid, fds, conn, run, with_server)
            finally:
                os._exit(0)
    finally:
        for fd in fds:
            os.close(fd)


def _join_and_fork(trampoline: int, fds: list[int], conn: socket.socket, run, with_server) -> None:
    """In the forked child: enter the trampoline's namespaces, fork the worker into them and wait for it.

    ``with_server``: makes this child die with the server (after joining: a change of user namespace
    could clear it)."""
    own = {name: os.readlink(f"/proc/self/ns/{name}") for name, _ in NAMESPACES}
    # Opened before joining any: the mount namespace has a /proc of its own.
    targets = [(os.open(f"/proc/{trampoline}/ns/{name}", os.O_RDONLY), flag) for name, flag in NAMESPACES
               if os.readlink(f"/proc/{trampoline}/ns/{name}") != own[name]]
    for fd, flag in targets:
        linux.setns(fd, flag)
        os.close(fd)
    os.chdir("/")
    with_server()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)        # the worker is reaped here, below
    alive, alive_w = os.pipe()        # its write end is ours alone: it ends when we die
    worker = os.fork()
    if worker == 0:
        os.close(alive_w)
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
        # Our parent is outside our PID namespace (getppid says 0): the pipe tells whether it died before
        # the line above, which then has no death left to signal.
        if select.select([alive], [], [], 0)[0]:
            os._exit(1)
        os.close(alive)
        _be_the_worker(fds, conn, run)
    os.close(alive)
    for fd in fds:                    # the trampoline hears of the worker's end from the worker alone
        os.close(fd)
    conn.close()
    os.waitpid(worker, 0)


def _be_the_worker(fds: list[int], conn: socket.socket, run) -> None:
    status = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)     # the worker reaps its own programs
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        conn.sendall(STARTED)
        status = run()
        sys.stdout.flush()
        conn.sendall(bytes([status & 0xFF]))
    finally:
        os._exit(status)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
