"""Many clients at once against one server, then a check from a new client.

All clients connect first, then each runs its own steps in its own thread.

"At the same time" is measured, not assumed (``_Gathering``). A client counts as
*served* when its *measured reply* arrives: the last reply it expects before its
connection ends (``grader.kinds.swarm.measured_reply``). It then waits there, its connection
open, until ``at_once`` clients are served together, or until every other client
has been served or has failed. The measure is the most clients that, at one
moment, had each been served and each still had its connection open at both
ends (a server that closed a connection no longer serves it).

So a server that serves one connection until the client closes it, then
accepts the next, is seen serving one client, whatever its ``listen`` backlog:
the served client does not close until the others were served or gave up, and
the next one is served only after that. A threaded server serves them all.
A swarm whose server served fewer than ``at_once`` clients at the same time
fails with a reason saying so.
"""
from __future__ import annotations

import functools
import socket
import threading
import time

from grader.net.peer import Peer, make_peer
from grader.net.transcript import Transcript
from grader.job.context import Job, Outcome
from grader.job.errors import TestFailed
from grader.kinds.runners.conversation import play
from grader.job.servers import Server
from grader.results import LONGEST_WAIT, Cause, Why
from grader.spec.modes import Transport
from grader.steps import action_of
from grader.steps.send import Send

# A served client waits for the others at most as long as their steps up to the measured reply may take
# (each of those ends by its own timeout), plus this, for a machine under load.
WAIT_SLACK = 3.0
TCP_ESTABLISHED = 1          # the state in struct tcp_info: neither side has closed
FIRST_SEND_WAIT = 1.0      # seconds: a first send that takes longer (it failed) holds the next up no more
SERVER_STOPPED = (Cause.CRASHED, Cause.LIMIT, Cause.KILLED, Cause.EXITED)    # a client's failure may say so


def run_swarm(job: Job, server: Server, outcome: Outcome, address=None) -> None:
    swarm = job.test.params
    address = address or server.address
    count = len(swarm.per_client)
    needed = swarm.needed
    measured = swarm.measured_reply
    failures: dict[int, TestFailed] = {}
    gathering = _Gathering(count, needed, job.transport)
    peers: dict[int, Peer] = {}
    gathering.peers = peers
    # Connect one after another: twenty SYNs at once overflow the course's listen(5) and the
    # kernel's retries would take seconds; the clients are then all connected. Once one cannot
    # connect (a server that accepts no more, its backlog full), the rest are not tried: each would
    # wait out its own timeout, and the test fails anyway.
    refused = ""
    for index, steps in enumerate(swarm.per_client):
        name = steps[0].client
        # Each client keeps its own transcript; they are joined in client order
        # afterwards, so the record does not depend on how threads interleaved.
        own = Transcript(start=job.transcript.start)
        peers[index] = make_peer(name, job.transport, address, job.framing, own,
                                 on_close=functools.partial(gathering.closing, index))
        if refused:
            own.add(name, "note", f"not connected: {refused} could not connect before it")
            failures[index] = TestFailed(f"{name}: not connected, since {refused} could not connect before it",
                                         Why(Cause.CONNECT_FAILED))
            gathering.leave(index)
            continue
        verdict = peers[index].connect(steps[0].timeout)
        if not verdict.ok:
            failures[index] = TestFailed(f"{name}: {verdict.reason}", verdict.cause)
            refused = name
            gathering.leave(index)

    started = time.monotonic()
    wait_until = started + WAIT_SLACK + (sum(s.timeout for s in _up_to_reply(swarm.per_client[0], measured))
                                         if measured else 0.0)

    in_order = all(isinstance(action_of(steps[0]), Send) for steps in swarm.per_client)

    def client(index: int, steps) -> None:
        replies = 0

        def on_reply() -> None:
            nonlocal replies
            replies += 1
            if replies == measured:
                gathering.arrive(index, wait_until)

        try:
            if in_order:
                _after_the_one_before(peers, index, failures)
            play(job, steps, server, outcome, label=f"{steps[0].client} step", address=address,
                 peers={steps[0].client: peers[index]}, on_reply=on_reply if measured else None)
        except TestFailed as failure:
            failures[index] = failure
        finally:
            gathering.leave(index)

    threads = [threading.Thread(target=client, args=(i, steps), daemon=True)
               for i, steps in enumerate(swarm.per_client) if i not in failures]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for peer in peers.values():
        job.transcript.entries += peer.transcript.entries

    served = gathering.best
    short = measured is not None and needed >= 2 and served < needed
    if job.transport == Transport.UDP:
        _udp_figures(gathering, count, needed, measured, started, outcome)
    elif measured is not None and gathering.early:
        # The clients went on once `needed` were served together; how many more joined them depends on
        # timing, so the record says "at least", the same in every run (--stable).
        outcome.metrics["served_at_once"] = needed
        outcome.notes.append(f"served at least {needed} of {count} clients at the same time (this test "
                             f"needs {needed}; once that many were served together, none waited for more)")
    elif measured is not None:
        outcome.metrics["served_at_once"] = served
        outcome.notes.append(f"served {served} of {count} clients at the same time")
    failed = ""
    if failures:
        first = failures[min(failures)]
        failed = f"{len(failures)} of {count} clients failed; the first: {first}"
    if short and job.transport == Transport.UDP:
        lacking = f"answered {served} of {count} clients; this test needs {needed} answered"
        cause = first.cause if failed and first.cause.kind in SERVER_STOPPED else Why(Cause.TOO_FEW_AT_ONCE)
        raise TestFailed(f"{lacking}; {failed}" if failed else lacking, cause)
    if short:
        why = (f"the server closed {len(gathering.hung_up)} of the {count} connections as soon as it had "
               "answered them; a client counts only while its connection is open" if gathering.hung_up else
               "each client kept its connection open after its reply, waiting for the others to get theirs")
        lacking = (f"served at most {served} of {count} clients at the same time; this test needs "
                   f"{needed} at once ({why})")
        # Clients that never received a byte were left waiting behind the served ones: the number
        # says why. A client that got something and then failed has a reason of its own, told first.
        starved = all(not _received(peers[i]) for i in failures)
        # Then the waiting is the cause too, unless the first failure says the server stopped.
        cause = first.cause if failed and (not starved or first.cause.kind in SERVER_STOPPED) \
            else Why(Cause.TOO_FEW_AT_ONCE)
        raise TestFailed(f"{lacking}; {failed}" if failed and starved
                         else f"{failed}; {lacking}" if failed else lacking, cause,
                         first.difference if failed else None)
    if failures:
        raise TestFailed(failed, first.cause, first.difference)
    if swarm.then:
        play(job, swarm.then, server, outcome, label="check step", address=address)


def _udp_figures(gathering: "_Gathering", count: int, needed: int, measured: int | None, started: float,
                 outcome: Outcome) -> None:
    """What a UDP swarm measures: how many clients were answered, and the longest a client waited for its
    measured reply. There is no connection to keep open, so "at the same time" means nothing here: a
    server answering one datagram at a time answers every client, each after those before it."""
    if measured is None:
        return
    answered = needed if gathering.early else len(gathering.arrived)     # "at least", as over TCP
    outcome.metrics["answered"] = answered
    if gathering.waits:
        outcome.metrics[LONGEST_WAIT] = round(max(gathering.waits.values()) - started, 3)
    outcome.notes.append(f"answered {answered} of {count} clients" if not gathering.early else
                         f"answered at least {needed} of {count} clients (this test needs {needed}; once that "
                         "many were answered, none waited for more)")


def _up_to_reply(steps, measured: int) -> list:
    """A client's steps up to and including its measured reply (the ``measured``-th it awaits)."""
    taken, replies = [], 0
    for step in steps:
        taken.append(step)
        replies += action_of(step).awaits_reply(step)
        if replies == measured:
            break
    return taken


def _after_the_one_before(peers: dict, index: int, failures: dict) -> None:
    """When every client begins with a send, they send their first message in their order (s1, then s2,
    ...), then go on at once: which of them a server that answers only one datagram answers must not be
    the scheduler's choice, or two runs of the same submission would read differently. Waits at most
    FIRST_SEND_WAIT for the one before."""
    before = index - 1
    while before >= 0 and before in failures:
        before -= 1
    if before < 0:
        return
    deadline = time.monotonic() + FIRST_SEND_WAIT
    while time.monotonic() < deadline and not _sent(peers[before]) and before not in failures:
        time.sleep(0.001)


def _sent(peer: Peer) -> bool:
    # Not the transcript's "sent": that is written just before the data reaches the kernel.
    return peer.sends > 0


def _received(peer: Peer) -> bool:
    return any(entry.event == "received" for entry in peer.transcript.entries)


class _Gathering:
    """Where served clients wait, connections open, until enough are served at the same time.

    ``best`` is the most clients seen served and still connected at one moment: a snapshot is taken
    at each arrival, under the lock a client takes before it closes. A serial server reaches 1.
    """

    def __init__(self, count: int, needed: int, transport: str):
        self.count, self.needed, self.transport = count, needed, transport
        self.arrived: set[int] = set()
        self.waits: dict[int, float] = {}  # when each served client's measured reply came (monotonic)
        self.gone: set[int] = set()        # ended without being served
        self.closed: set[int] = set()      # closed by the test at least once: never counted again
        self.hung_up: set[int] = set()     # closed by the server when their reply was seen
        self.peers: dict[int, Peer] = {}
        self.best = 0
        self.released = False              # the served clients go on; later arrivals do not wait
        self.early = False                 # released because `needed` were served, before all were
        self.cond = threading.Condition()

    def arrive(self, index: int, wait_until: float) -> None:
        with self.cond:
            self.arrived.add(index)
            self.waits[index] = time.monotonic()
            if not self._open(self.peers.get(index)):
                self.hung_up.add(index)
            self.best = max(self.best, self._served_now())
            self._release_if_done()
            if not self.released:
                self.cond.wait_for(lambda: self.released, max(0.0, wait_until - time.monotonic()))
                self._release()        # waited long enough: a client slower than its timeouts

    def leave(self, index: int) -> None:
        with self.cond:
            if index not in self.arrived:
                self.gone.add(index)
            self._release_if_done()

    def closing(self, index: int) -> None:
        with self.cond:
            self.closed.add(index)

    def _release_if_done(self) -> None:
        if self.released:
            return
        if self.best >= self.needed:
            self.early = self.needed < self.count and len(self.arrived) < self.count
            self._release()
        elif len(self.arrived | self.gone) >= self.count or self.count - len(self.gone) < self.needed:
            self._release()            # everyone was served or failed; or too many failed to reach it

    def _release(self) -> None:
        self.released = True
        self.cond.notify_all()

    def _served_now(self) -> int:
        return sum(1 for i in self.arrived if i not in self.closed and self._open(self.peers.get(i)))

    def _open(self, peer: Peer | None) -> bool:
        """Whether the client's connection is open at both ends: a TCP server that closed it (or reset
        it) serves it no more."""
        sock = peer.sock if peer is not None else None
        if sock is None:
            return False
        if self.transport != Transport.TCP or not hasattr(socket, "TCP_INFO"):
            return True
        try:
            return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] == TCP_ESTABLISHED
        except OSError:
            return False
