"""Play a generated conversation against the student's server and the reference side by side.

The student's server runs in the test's network namespace on its hard-coded
port; the reference runs in a namespace of its own (``oracle.py``), out of the
student's reach, on the spec's port there (on a free port of the same loopback
at level ``none``). The conversation is first chosen among the seed's candidates so
that it needs the whole state (``forgetful.py``). Every round is sent to the reference
first; its answers are what the student's server must say. On a mismatch the conversation is shrunk to
a shortest failing one within a budget of runs, all with the same oracle.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from grader.kinds.runners import forgetful, generate
from grader.kinds.runners.forgetful import newline as _newline, reference_answer as _answer
from grader.net.peer import NO_REPLY, WRONG_REPLY, Peer, make_peer
from grader.net.transcript import Transcript, escape
from grader.results import Difference, Why
from grader.job.context import Job, Outcome
from grader.job.errors import TestFailed
from grader.kinds.runners.oracle import Oracle
from grader.job.servers import start_server
from grader.spec.expectation_kind import ExpectationKind
from grader.spec.model import Expectation
from grader.spec.modes import MatchMode, Player

SHRINK_RUNS = 16


@dataclass
class Exchange:
    client: str
    sent: str
    expected: str
    got: str | None = None       # None: nothing came
    matches: bool = False


@dataclass
class Run:
    exchanges: list[Exchange]
    failed_round: int | None     # index of the round where the first mismatch happened
    transcript: Transcript
    server_gone: str = ""        # why the student's server stopped, if it did
    server_stop: Why | None = None   # ... as data

    @property
    def failed_at(self) -> int | None:
        return None if self.failed_round is None else len(self.exchanges) - 1


def run_generated(job: Job, outcome: Outcome, shrink_seconds: float, choose_seconds: float) -> None:
    """``shrink_seconds``, ``choose_seconds``: how long shrinking a failing conversation, and choosing one,
    may take (the kind's budget counts them)."""
    gen = job.test.params
    with Oracle(job) as oracle:
        choice = forgetful.choose(job, oracle, choose_seconds)
        rounds = choice.rounds
        first = _play(job, oracle, rounds)
        label = f"generated conversation {gen.index + 1} of {gen.count} (seed {gen.seed})"
        outcome.notes.append(f"{label}: {sum(len(r) for r in rounds)} commands from {gen.clients} clients; "
                             + choice.note)
        if first.failed_at is None:
            job.transcript = first.transcript
            return
        smallest, runs = _shrink(job, oracle, rounds, first, shrink_seconds)
    job.transcript = smallest.transcript
    bad = smallest.exchanges[smallest.failed_at]
    got = "nothing" if bad.got is None else repr(escape(bad.got.encode()))
    total = sum(len(r) for r in rounds)
    outcome.notes.append(f"shortest failing conversation found ({len(smallest.exchanges)} of {total} "
                         f"commands, {runs} extra runs):\n" + _table(smallest))
    raise TestFailed(f"{label}: {bad.client} sent {escape(bad.sent.encode())!r} and got {got}, "
                     f"expected {escape(bad.expected.encode())!r}"
                     + (f"; {smallest.server_gone}" if smallest.server_gone else ""),
                     smallest.server_stop or (NO_REPLY if bad.got is None else WRONG_REPLY),
                     _difference(smallest, bad, gen.timeout))


def _difference(run: Run, bad: Exchange, timeout: float) -> Difference:
    """The first exchange that differed from the reference's, after what its client had seen."""
    seen = sum(1 for entry in run.transcript.entries if entry.who == bad.client)
    expected = repr(escape(bad.expected.encode()))
    if bad.got is not None:
        return Difference(bad.client, seen, expected, bad.got)
    if run.server_gone:
        return Difference(bad.client, seen, expected, None, None, "nothing before the server exited")
    return Difference(bad.client, seen, expected, None, timeout)


def _play(job: Job, oracle: Oracle, rounds: list[generate.Round]) -> Run:
    """A fresh pair of servers, one conversation; stops at the first mismatch."""
    gen = job.test.params
    transcript = Transcript()
    job.transcript = transcript
    reference = oracle.start_reference(job.test.server_role)
    student = None
    theirs: dict[str, Peer] = {}
    ours: dict[str, Peer] = {}
    exchanges: list[Exchange] = []
    quiet = Transcript()
    timeout = gen.timeout
    try:
        student = start_server(job, job.test.server_role, Player.STUDENT)
        for number, round_ in enumerate(rounds):
            for client, _ in round_:
                if client not in ours:
                    theirs[client] = oracle.peer(client, reference.address, quiet)
                    ours[client] = make_peer(client, job.transport, student.address, job.framing, transcript,
                                             watch=student.finished)      # a crashed server ends the wait
                    if gen.welcome:
                        expected = _answer(theirs[client], "(connect)", timeout)
                        exchanges.append(_judge(ours[client], Exchange(client, "(connect)", expected), timeout))
                        if not exchanges[-1].matches:
                            raise _Mismatch
            payload = {client: command.encode() + _newline(job) for client, command in round_}
            for client, _ in round_:
                theirs[client].send(payload[client], timeout)
            expected = {client: _answer(theirs[client], command, timeout) for client, command in round_}
            for client, command in round_:
                if not ours[client].send(payload[client], timeout).ok:
                    exchanges.append(Exchange(client, command, expected[client]))
                    raise _Mismatch
            for client, command in round_:
                exchanges.append(_judge(ours[client], Exchange(client, command, expected[client]), timeout))
                if not exchanges[-1].matches:
                    raise _Mismatch
        return Run(exchanges, None, transcript)
    except _Mismatch:
        return Run(exchanges, number, transcript, *student.gone(job))
    finally:
        for peer in [*theirs.values(), *ours.values()]:
            peer.close()
        reference.program.close()
        if student is not None:
            student.program.close()


class _Mismatch(Exception):
    """The student's side differed from the reference's; ends a run early."""


def _judge(peer: Peer, exchange: Exchange, timeout: float) -> Exchange:
    verdict = peer.expect(Expectation(ExpectationKind.EQUALS, (exchange.expected,), MatchMode.TOLERANT), timeout)
    exchange.got = verdict.got if verdict.got or verdict.ok else None
    exchange.matches = verdict.ok
    return exchange


def _shrink(job: Job, oracle: Oracle, rounds: list[generate.Round], failing: Run,
            seconds: float) -> tuple[Run, int]:
    """Drop rounds, then commands within rounds, while the conversation still fails."""
    deadline = time.monotonic() + seconds
    runs = 0
    current = _prefix(rounds, failing)
    best = failing

    def attempt(candidate) -> bool:
        nonlocal runs, best, current
        if runs >= SHRINK_RUNS or time.monotonic() > deadline or not candidate:
            return False
        runs += 1
        result = _play(job, oracle, candidate)
        if result.failed_at is None:
            return False
        best, current = result, _prefix(candidate, result)
        return True

    chunk = max(len(current) // 2, 1)
    while chunk >= 1 and runs < SHRINK_RUNS:
        start = 0
        while start < len(current):
            if not attempt(current[:start] + current[start + chunk:]):
                start += chunk
        chunk //= 2
    for i in range(len(current)):
        if i < len(current) and len(current[i]) > 1:
            for j in range(len(current[i])):
                smaller = current[i][:j] + current[i][j + 1:]
                if attempt(current[:i] + [smaller] + current[i + 1:]):
                    break
    return best, runs


def _prefix(rounds, run: Run) -> list:
    """The rounds up to and including the one where ``run`` failed."""
    return list(rounds[:run.failed_round + 1])


def _table(run: Run) -> str:
    lines = []
    for n, e in enumerate(run.exchanges, 1):
        got = "(nothing)" if e.got is None else repr(escape(e.got.encode()))
        mark = "   <- differs" if n - 1 == run.failed_at else ""
        lines.append(f"  {n}. {e.client} -> {_short(e.sent)}  got {_short(got)}  "
                     f"expected {_short(repr(escape(e.expected.encode())))}{mark}")
    return "\n".join(lines)


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."
