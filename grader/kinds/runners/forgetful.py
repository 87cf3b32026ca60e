"""Choose a generated conversation that only a server keeping the whole state can pass.

With nothing but the reference server, made forgetful in generic ways:

- *no memory*: a fresh reference for every message;
- *no sharing*: one reference per client (over TCP: per connection);
- *restarted*: the reference restarted before a round, remembering only what came after.

A candidate (``generate.candidates``) is kept only if the reference's answers differ from
each forgetful copy's somewhere; otherwise the next candidate is drawn from the same seed.
Which templates change the state, and which are answered from it, is learned the same way
(``learn``): each template's command after each one, against it alone, on fresh references. Nothing here knows the protocol.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from typing import Callable

from grader.job.context import Job
from grader.kinds.runners import generate
from grader.kinds.runners.oracle import Oracle
from grader.net.peer import Peer
from grader.net.transcript import Transcript
from grader.spec.expectation_kind import ExpectationKind
from grader.spec.model import Expectation
from grader.spec.modes import Framing

MAX_CANDIDATES = 12
ANY = Expectation(ExpectationKind.ANY)


@dataclass(frozen=True)
class Choice:
    rounds: list[generate.Round]
    candidates: int                 # how many were tried, this one included
    passed_by: str = ""             # the forgetful copy the chosen one still cannot tell apart, if any
    roles: generate.Roles | None = None
    commands: tuple[str, ...] = ()
    stateless: bool = False         # no command changes the reference's state: there was nothing to choose

    @property
    def note(self) -> str:
        return self._verdict() + self._stores()

    def _stores(self) -> str:
        if not self.roles or not self.roles.writers:
            return ""
        return "; commands that change a fresh reference's state: " + ", ".join(
            repr(self.commands[i]) for i in sorted(self.roles.writers))

    def _verdict(self) -> str:
        if self.stateless:
            return "no command changes the reference's state, so no conversation can need it"
        if self.passed_by:
            return (f"no conversation among {self.candidates} told the reference apart from {self.passed_by}; "
                    f"this one does not either")
        return (f"chosen from {self.candidates} candidate{'s' if self.candidates > 1 else ''}: the reference "
                f"answers it differently from copies of itself that forget (a fresh one for every message, "
                f"one per client, one restarted before any of its rounds)")


def choose(job: Job, oracle: Oracle, seconds: float) -> Choice:
    """``seconds``: a bound for a machine far too slow, past which the first candidate is taken as it is."""
    gen = job.test.params
    answers = _Answers(job, oracle, deadline=time.monotonic() + seconds)
    try:
        roles = learn(gen, answers)
    except _OutOfTime:
        return Choice(generate.conversation(gen), 1, f"every forgetful copy (no time left after {seconds:g} s)")
    if not roles.writers:
        return Choice(generate.conversation(gen, roles), 1, "a server with no memory", roles, gen.commands,
                      stateless=True)
    if gen.length < 2:
        return Choice(generate.conversation(gen, roles), 1, "a server with no memory", roles, gen.commands)
    first = None
    for tried, rounds in enumerate(generate.candidates(gen, roles), 1):
        try:
            missed = _copy_it_misses(rounds, answers)
        except _OutOfTime:
            missed = f"every forgetful copy (no time left after {seconds:g} s)"
        if missed is None:
            return Choice(rounds, tried, roles=roles, commands=gen.commands)
        first = first or Choice(rounds, MAX_CANDIDATES, missed, roles, gen.commands)
        if tried == MAX_CANDIDATES or answers.out_of_time():
            return replace(first, candidates=tried)
    raise AssertionError("candidates never end")


class _OutOfTime(Exception):
    """Choosing took longer than the test's budget allows (a machine far too slow, a huge spec)."""


def learn(gen, answers: "_Answers") -> generate.Roles:
    """Which templates change the state (writers) and which are answered from it (readers)."""
    rng = random.Random(f"{gen.seed}:vocabulary")
    values = {p.name: generate.draw(p, rng) for p in gen.placeholders}
    probes = [generate.SLOT.sub(lambda m: values[m.group(1)], t) for t in gen.commands]
    writers, readers = set(), set()
    for w, write in enumerate(probes):
        for q, read in enumerate(probes):
            if answers.of([(("c1", write),), (("c1", read),)])[1] != answers.fresh(read):
                writers.add(w)
                readers.add(q)
    return generate.Roles(frozenset(writers), frozenset(readers))


def _copy_it_misses(rounds: list[generate.Round], answers: "_Answers") -> str | None:
    """The first forgetful copy whose answers equal the reference's throughout, or None."""
    real = answers.of(rounds)
    starts = [sum(len(r) for r in rounds[:k]) for k in range(len(rounds))]
    # The likeliest to be missed first: restarted before the last round, then a book per client.
    for k in reversed(range(1, len(rounds))):
        if k == len(rounds) - 1 or k == 1:
            if answers.of(rounds[k:]) == real[starts[k]:]:
                return f"the reference restarted before round {k + 1}"
    if answers.of(rounds, per_client=True) == real:
        return "one reference per client"
    for k in range(2, len(rounds) - 1):
        if answers.of(rounds[k:]) == real[starts[k]:]:
            return f"the reference restarted before round {k + 1}"
    # With one command in the last round, a restart before it is a fresh reference for that message.
    if len(rounds[-1]) > 1 and [answers.fresh(command) for r in rounds for _, command in r] == real:
        return "a fresh reference for every message"
    return None


class _Answers:
    """The reference's answers, each run on references started afresh (in the oracle's namespace)."""

    def __init__(self, job: Job, oracle: Oracle, deadline: float):
        self.job, self.oracle, self.deadline = job, oracle, deadline
        self.gen = job.test.params
        self._known: dict[tuple, list[str]] = {}

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def fresh(self, command: str) -> str:
        return self.of([(("c1", command),)])[0]

    def of(self, rounds: list[generate.Round], per_client: bool = False) -> list[str]:
        """Every command's answer, in order; ``per_client``: each client talks to a reference of its own."""
        key = (tuple(rounds), per_client)
        if key not in self._known and self.out_of_time():
            raise _OutOfTime
        if key not in self._known:
            self._known[key] = self._run(rounds, (lambda client: client) if per_client else (lambda client: 0))
        return self._known[key]

    def _run(self, rounds: list[generate.Round], book_of: Callable[[str], object]) -> list[str]:
        job, gen = self.job, self.gen
        saved, quiet = job.transcript, Transcript()
        job.transcript = quiet
        servers, peers, answers = {}, {}, []
        try:
            for round_ in rounds:
                for client, _ in round_:
                    if client not in peers:
                        book = book_of(client)
                        if book not in servers:
                            servers[book] = self.oracle.start_reference(job.test.server_role)
                        peers[client] = self.oracle.peer(client, servers[book].address, quiet)
                        if gen.welcome:
                            reference_answer(peers[client], "(connect)", gen.timeout)
                for client, command in round_:
                    peers[client].send(command.encode() + newline(job), gen.timeout)
                answers += [reference_answer(peers[client], command, gen.timeout) for client, command in round_]
            return answers
        finally:
            for peer in peers.values():
                peer.close()
            for server in servers.values():
                server.program.close()
            job.transcript = saved


def newline(job: Job) -> bytes:
    return b"\n" if job.framing == Framing.NEWLINE else b""


def reference_answer(peer: Peer, command: str, timeout: float) -> str:
    verdict = peer.expect(ANY, timeout)
    if not verdict.ok:
        # Not the student's fault: the spec generates a command the reference does not answer.
        raise RuntimeError(f"the reference server did not answer {command!r}: {verdict.reason}")
    return verdict.got
