"""The reference server of a test, in a network namespace that no student program can enter.

Where the reference server answers while a student program runs (generated
conversations, client tests against the reference server), a student program
that could reach it could change what counts as right: a contact server with
no contact book that finds the reference's port in ``/proc/net/udp`` and sends
it ``remove;NAME`` after every ``add;NAME;PHONE`` makes the reference answer
"Not found" as it does. So the worker keeps the reference (the oracle) in a
second network namespace of its own, made inside the test's namespaces:

- ``Oracle`` starts a thread that leaves the test's network namespace for a
  new one (``unshare(CLONE_NEWNET)`` acts on the calling thread only; Python
  3.11 has no ``os.unshare``), brings its ``lo`` up and then runs what it is
  given (``call``). A program started from that thread (Popen forks from the
  calling thread) and a socket made on it live in that namespace; a socket
  keeps its namespace whichever thread later uses it, so only making one needs
  the thread (``socket``).
- The reference server is started there, on the spec's own port
  (``reference_port``), and waited for in that namespace's socket tables
  (``net``: ``/proc/<pid>/task/<tid>/net`` of the thread, whatever thread reads
  it; ``/proc/net`` is the table of the worker's main thread).
- Test-side clients of the reference (``grader.net.peer.Peer``) and the
  recording relay's upstream sockets (``grader.net.relay.Relay``, listening in
  the test's namespace where the student's client expects the server) are made
  there through ``socket``.

Student programs run in the test's namespace and cannot enter this one: at
level ``sandbox`` (bubblewrap) and ``netns`` (the jail) they have a PID
namespace of their own, so no ``/proc/<pid>/ns/net`` leads here, and no
capabilities, which ``setns`` would need. They can still read their own
namespace's tables, where the reference no longer is.

Limit of level ``none``: no namespace can be made there, so the oracle is not
isolated: the reference runs beside the student's programs on a free port of
the machine's loopback (every call simply runs on the calling thread), and a
student program that finds it can talk to it. Results at that level say
``isolation: none``.
"""
from __future__ import annotations

import os
import queue
import socket
import threading
from typing import Any, Callable

from grader.net.peer import Peer, make_peer
from grader.net.transcript import Transcript
from grader.runner import linux
from grader.job.context import Job, free_port
from grader.runner.isolation import Level, bring_loopback_up
from grader.job.servers import Server, start_server
from grader.spec.modes import Player, Transport

READY_WITHIN = 10.0          # seconds for the thread to make its namespace


class OracleUnavailable(RuntimeError):
    """The oracle's namespace could not be made: the grader's failure, never the student's."""


class _Call:
    __slots__ = ("fn", "args", "kwargs", "done", "result", "error")

    def __init__(self, fn, args, kwargs):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class Oracle:
    """A network namespace of its own for the reference side of one test; ``close()`` ends it.

    At level ``none`` (``isolated`` False) every call runs on the calling thread, in the
    machine's namespace, as it always did.
    """

    def __init__(self, job: Job):
        self.job = job
        self.isolated = job.isolation != Level.NONE
        self.net = "/proc/net"           # the socket tables of the oracle's namespace
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._tid: int | None = None
        self._closed = False
        if not self.isolated:
            return
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._serve, args=(ready, failure), name="oracle", daemon=True)
        self._thread.start()
        if not ready.wait(READY_WITHIN):
            self.close()
            raise OracleUnavailable(f"the reference's network namespace was not ready within {READY_WITHIN:g} s")
        if failure:
            self._thread.join(1)
            self._thread = None
            raise OracleUnavailable(f"could not make the reference's network namespace: {failure[0]}")

    # -- the thread -------------------------------------------------------
    def _serve(self, ready: threading.Event, failure: list) -> None:
        try:
            linux.unshare(linux.CLONE_NEWNET)
            bring_loopback_up()
            self._tid = threading.get_native_id()
            here = f"/proc/{os.getpid()}/task/{self._tid}"
            if os.stat(f"{here}/ns/net").st_ino == os.stat(f"/proc/{os.getpid()}/ns/net").st_ino:
                raise OSError("the thread is still in the test's network namespace")
            self.net = f"{here}/net"
        except BaseException as exc:   # noqa: BLE001 (reported by the constructor)
            failure.append(exc)
            ready.set()
            return
        ready.set()
        while True:
            call = self._calls.get()
            if call is None:
                return
            try:
                call.result = call.fn(*call.args, **call.kwargs)
            except BaseException as exc:   # noqa: BLE001 (raised again in the caller's thread)
                call.error = exc
            call.done.set()

    # -- what the test asks of it ----------------------------------------
    def call(self, fn: Callable, *args, **kwargs):
        """``fn(*args, **kwargs)`` run in the oracle's namespace; its result, or its exception raised here."""
        if not self.isolated or threading.get_native_id() == self._tid:
            return fn(*args, **kwargs)
        if self._closed or self._thread is None or not self._thread.is_alive():
            raise OracleUnavailable("the reference's network namespace is closed")
        call = _Call(fn, args, kwargs)
        self._calls.put(call)
        while not call.done.wait(1.0):
            if not self._thread.is_alive():
                raise OracleUnavailable("the reference's network namespace ended during a call")
        if call.error is not None:
            raise call.error
        return call.result

    def socket(self, family: int = socket.AF_INET, kind: int = socket.SOCK_STREAM) -> socket.socket:
        """A new socket in the oracle's namespace (for test-side clients and the relay's upstream)."""
        return self.call(socket.socket, family, kind)

    def reference_port(self) -> int:
        """Where the reference server is to listen: the spec's own port in a namespace of its own.

        Still taken there (a TCP connection of a previous run in TIME_WAIT, say), or at level
        ``none`` where the student's server has it: a free one.
        """
        if self.isolated and self.call(_bindable, self.job.transport, self.job.port):
            return self.job.port
        return self.call(free_port)

    def start_reference(self, role: str) -> Server:
        """The reference server for ``role``, started in the oracle's namespace and bound there."""
        return self.call(start_server, self.job, role, Player.REFERENCE, port=self.reference_port(), net=self.net)

    def peer(self, name: str, address: tuple[str, int], transcript: Transcript) -> Peer:
        """A test-side client of the reference server at ``address``, its socket made in the oracle's namespace."""
        return make_peer(name, self.job.transport, address, self.job.framing, transcript, opener=self.socket)

    def close(self) -> None:
        """End the thread; the namespace goes once its programs and sockets are closed too."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._calls.put(None)
            self._thread.join(5)

    def __enter__(self) -> "Oracle":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _bindable(transport: Transport, port: int) -> bool:
    kind = socket.SOCK_STREAM if transport == Transport.TCP else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
