"""Many clients at once against one server, then a check from a new client.

All clients connect first, then each runs its own steps in its own thread.
Besides pass or fail, the test reports how many clients the server served
at the same time (see ``_Gathering``).
"""
from __future__ import annotations

import threading

from grader.net.peer import Peer
from grader.net.transcript import Transcript
from grader.runner.context import Job, Outcome, TestFailed
from grader.runner.conversation import play
from grader.runner.servers import Server


def run_swarm(job: Job, server: Server, outcome: Outcome, address=None) -> None:
    swarm = job.test.swarm
    address = address or server.address
    count = len(swarm.per_client)
    failures: dict[int, str] = {}
    gathering = _Gathering(count)
    peers = {}
    # Connect one after another: twenty SYNs at once overflow the course's listen(5)
    # and the kernel's retries would take seconds; the clients are then all connected.
    for index, steps in enumerate(swarm.per_client):
        name = steps[0].client
        # Each client keeps its own transcript; they are joined in client order
        # afterwards, so the record does not depend on how threads interleaved.
        own = Transcript(start=job.transcript.start)
        peers[index] = Peer(name, job.transport, address, job.framing, own)
        verdict = peers[index].connect(steps[0].timeout)
        if not verdict.ok:
            failures[index] = f"{name}: {verdict.reason}"
            gathering.leave()

    def client(index: int, steps) -> None:
        try:
            play(job, steps, server, outcome, label=f"{steps[0].client} step", address=address,
                 peers={steps[0].client: peers[index]},
                 on_reply=lambda: gathering.arrive(index, steps[0].timeout))
        except TestFailed as failure:
            failures[index] = str(failure)
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
    outcome.notes.append(f"served {gathering.served} of {count} clients at the same time")
    outcome.metrics["served_at_once"] = gathering.served
    if failures:
        first = failures[min(failures)]
        raise TestFailed(f"{len(failures)} of {count} clients failed; the first: {first}")
    if swarm.then:
        play(job, swarm.then, server, outcome, label="check step", address=address)


class _Gathering:
    """Each client, at its first reply, waits until every client has had one (or gave up).

    ``served`` is how many got a first reply while all of them were still
    connected: a serial server serves one, a threaded one serves them all.
    """

    def __init__(self, count: int):
        self.count, self.arrived, self.gone = count, set(), set()
        self.cond = threading.Condition()
        self.closed = False

    @property
    def served(self) -> int:
        return len(self.arrived)

    def arrive(self, index: int, timeout: float) -> None:
        with self.cond:
            if self.closed or index in self.arrived:
                return
            self.arrived.add(index)
            self.cond.notify_all()
            self.cond.wait_for(lambda: len(self.arrived | self.gone) >= self.count, timeout)
            self.closed = True      # later arrivals are not "at the same time"
            self.cond.notify_all()

    def leave(self, index: int | None = None) -> None:
        with self.cond:
            self.gone.add(index if index is not None else -len(self.gone) - 1)
            self.cond.notify_all()
