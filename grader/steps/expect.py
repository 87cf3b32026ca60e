"""``- {expect: ...}``: the client's next message from the server must match (``grader.spec.match``).

``skip: REGEX`` lets other messages come first: each message matching the pattern that arrives before
the expected one is passed over (and kept in the transcript), so broadcasts that may arrive at any
moment, as in a chat room, do not fail the step. A message matching neither fails it.
"""
from __future__ import annotations

import re
import time
from dataclasses import replace

from grader.spec import match
from grader.spec.match import Wait
from grader.net.peer import NO_REPLY, WRONG_REPLY, Verdict
from grader.spec.model import Expectation, Step
from grader.spec.variables import resolve
from grader.steps.base import StepAction
from grader.spec.expectation_kind import ExpectationKind

NEXT = Expectation(ExpectationKind.ANY)


class Expect(StepAction):
    name = "expect"
    waits = True
    schema = {"$ref": "#/$defs/expectation"}
    options = {"skip": {"type": "string", "description": "a regular expression: messages matching it may "
                                                         "come before the expected one and are passed over"}}

    def build(self, value, raw, common, ctx, path):
        expectation = ctx.expectation(value, path + ("expect",))
        skip = raw.get("skip")
        if skip is not None:
            if not match.matcher(expectation).can_skip:
                raise ctx.error(f"`skip` cannot go with `{expectation.kind}`", path + ("skip",),
                                "skip passes over messages until one matches: use it with "
                                + match.either(match.kinds_where(lambda m: m.can_skip)))
            try:
                re.compile(skip)
            except re.error as exc:
                raise ctx.error(f"bad regular expression {skip!r}: {exc}", path + ("skip",)) from None
        return Step(action=self.name, expect=expectation, skip=skip, **common)

    def awaits_reply(self, step):
        return match.matcher(step.expect).waits is not Wait.SILENCE

    def ends_connection(self, step):
        return match.matcher(step.expect).waits is Wait.CLOSE

    def play(self, step, playing):
        from grader.job.context import JobMode      # the worker's: reading a spec imports no runner
        job, peer = playing.job, playing.peer
        expectation = resolve(step.expect, job.variables)
        from_reference = match.matcher(expectation).from_reference
        if job.mode == JobMode.RECORD and from_reference:
            expectation = replace(expectation, kind=ExpectationKind.ANY)
        verdict = (peer.expect(expectation, step.timeout) if step.skip is None
                   else _skipping(peer, expectation, step))
        if verdict.ok:
            if playing.on_reply and self.awaits_reply(step):
                playing.on_reply()
            if from_reference:
                playing.outcome.answers[playing.index] = verdict.got
            job.variables.update(match.captures(expectation, verdict.got))
        return verdict


def _skipping(peer, expectation: Expectation, step: Step) -> Verdict:
    """The first message that matches ``expectation``, passing over those that match ``step.skip``."""
    deadline = time.monotonic() + step.timeout
    skip = re.compile(step.skip)
    passed_over = 0
    closed = match.matcher(expectation).waits is Wait.CLOSE
    while True:
        remaining = max(deadline - time.monotonic(), 0.0)
        got = peer.expect(NEXT, remaining) if remaining else Verdict(False, cause=NO_REPLY)
        if not got.ok:
            if closed and peer.eof:
                return Verdict(True)
            return Verdict(False, reason=f"expected {match.describe(expectation)}{_after(passed_over)}, "
                                         f"got {peer.nothing_came(step.timeout)}", cause=NO_REPLY)
        if match.text_matches(expectation, got.got):
            return got
        if not skip.fullmatch(got.got):
            return Verdict(False, got.got, f"expected {match.describe(expectation)}{_after(passed_over)}, "
                                           f"got {got.got!r}, which `skip` does not pass over either", WRONG_REPLY)
        passed_over += 1
        peer.transcript.add(peer.name, "note", f"skipped {got.got!r}")


def _after(count: int) -> str:
    return f" (after skipping {count} message{'s' * (count != 1)})" if count else ""
