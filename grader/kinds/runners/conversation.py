"""Play a test's steps against a server with named test-side clients; each step's action
(``grader.steps``) does its part."""
from __future__ import annotations

from grader.net.peer import Peer, Verdict, make_peer
from grader.job.context import Job, Outcome
from grader.job.errors import TestFailed
from grader.job.servers import Server
from grader.results import Difference
from grader.spec import match
from grader.spec.variables import resolve
from grader.steps import Playing, action_of


def play(job: Job, steps, server: Server, outcome: Outcome, label: str = "step",
         address: tuple[str, int] | None = None, on_reply=None, peers: dict | None = None) -> None:
    """Run ``steps`` in order against ``address`` (default: the server's); raise TestFailed at the first that fails.

    ``peers`` may hold clients already connected; ``on_reply`` is called after every awaited reply.
    What an expectation captures goes into ``job.variables`` for later steps.
    A step waiting for the server ends as soon as nothing more can come: the server has exited
    (and a relay in between has nothing left to deliver); the reason then says why it stopped.
    """
    address = address or server.address
    peers = dict(peers or {})
    watch = _watch(server, address)
    try:
        for index, step in enumerate(steps):
            peer = peers.get(step.client)
            if peer is None:
                peer = peers[step.client] = make_peer(step.client, job.transport, address,
                                                      job.framing, job.transcript)
            if peer.watch is None:
                peer.watch = watch
            verdict = action_of(step).play(step, Playing(job, outcome, index, on_reply, peer=peer))
            if verdict is not None and not verdict.ok:
                reason = f"{_where(job, step, index, label)}: {verdict.reason}"
                gone, stop = server.gone(job)     # a server that stopped explains the step
                raise TestFailed(reason + (f"; {gone}" if gone else ""), stop or verdict.cause,
                                 difference(job, step, peer, verdict))
    finally:
        for peer in peers.values():
            peer.close()


def difference(job: Job, step, peer: Peer, verdict: Verdict) -> Difference | None:
    """Where a step awaiting a reply found another one, or none: after what the client had seen so far."""
    if step.expect is None or not action_of(step).awaits_reply(step):
        return None
    seen = sum(1 for entry in peer.transcript.entries if entry.who == peer.name)
    expected = match.describe(resolve(step.expect, job.variables))
    if verdict.got:
        return Difference(peer.name, seen, expected, verdict.got)
    ran_out = not (peer.eof or peer.stopped or peer.unreachable)
    return Difference(peer.name, seen, expected, None, step.timeout if ran_out else None,
                      "" if ran_out else peer.nothing_came(step.timeout))


def _where(job: Job, step, index: int, label: str) -> str:
    """The step as the spec wrote it: "`expect` at udp-contacts.yaml:57, client b" (its number when
    the spec's line is not known)."""
    if not (step.line and job.spec_file):
        return f"{label} {index + 1} ({step.client} {step.action})"
    kind = "" if label == "step" else label.removesuffix(" step").split()[0] + " "
    kind = "" if kind.strip() == step.client else kind
    origin = f" ({step.origin})" if step.origin else ""
    return f"{kind}`{step.action}` at {job.spec_file}:{step.line}, client {step.client}{origin}"


def _watch(server: Server, address: tuple[str, int]):
    """When nothing more can come from ``server`` to clients talking to ``address``: it has exited,
    and the relay in between (a lossy network), if any, holds nothing back for them."""
    relay = None
    if tuple(address) != tuple(server.address):
        from grader.net.relay import Relay       # only tests behind a relay pay its import
        relay = Relay.at(address)

    def finished() -> bool:
        return server.finished() and (relay is None or relay.idle())
    return finished
