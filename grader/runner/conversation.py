"""Play a test's steps against a server with named test-side clients."""
from __future__ import annotations

from dataclasses import replace

from grader import match
from grader.net.peer import Peer
from grader.runner.context import Job, Outcome, TestFailed
from grader.runner.servers import Server
from grader.spec.variables import resolve


def play(job: Job, steps, server: Server, outcome: Outcome, label: str = "step",
         address: tuple[str, int] | None = None, on_reply=None, peers: dict | None = None) -> None:
    """Run ``steps`` in order against ``address`` (default: the server's); raise TestFailed at the first that fails.

    ``peers`` may hold clients already connected; ``on_reply`` is called after every expected reply.
    What an expectation captures goes into ``job.variables`` for later steps.
    """
    address = address or server.address
    peers = dict(peers or {})
    try:
        for index, step in enumerate(steps):
            peer = peers.get(step.client)
            if peer is None:
                peer = peers[step.client] = Peer(step.client, job.transport, address,
                                                 job.framing, job.transcript)
            if step.action == "connect":
                verdict = peer.connect(step.timeout)
            elif step.action == "send":
                verdict = peer.send(step.payload(job.framing, job.variables), step.timeout)
            elif step.action == "close":
                peer.close()
                continue
            else:
                expectation = resolve(step.expect, job.variables)
                if job.mode == "record" and expectation.kind == "reference":
                    expectation = replace(expectation, kind="any")
                verdict = peer.expect(expectation, step.timeout)
                if verdict.ok and on_reply:
                    on_reply()
                if verdict.ok and step.expect.kind == "reference":
                    outcome.answers[index] = verdict.got
                if verdict.ok:
                    job.variables.update(match.captures(expectation, verdict.got))
            if not verdict.ok:
                reason = f"{label} {index + 1} ({step.client} {step.action}): {verdict.reason}"
                gone = server.gone(job)
                raise TestFailed(reason + (f"; {gone}" if gone else ""))
    finally:
        for peer in peers.values():
            peer.close()
