"""``steps: [...]``: test-side clients play the steps (``grader.steps``) against the server."""
from __future__ import annotations

from dataclasses import dataclass, replace

from grader.spec import match
from grader.kinds.base import TestKind, against_server
from grader.spec.model import KindParams, Step
from grader.steps import action_of


@dataclass(frozen=True)
class Steps(KindParams):
    """A conversation's steps, in the order they are played."""
    steps: tuple[Step, ...] = ()

    def needs_reference_answers(self):
        return any(s.expect and match.matcher(s.expect).from_reference for s in self.steps)

    def with_answers(self, answers):
        return replace(self, steps=tuple(replace(s, expect=replace(s.expect, values=(answers[i],)))
                                         if i in answers else s for i, s in enumerate(self.steps)))

    def step_runs(self):
        return (self.steps,)

    @classmethod
    def from_dict(cls, d):
        return cls(tuple(Step.from_dict(s) for s in d["steps"]))


class Conversation(TestKind):
    key = "steps"
    name = "conversation"
    schema = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}}
    params = Steps

    def build(self, value, raw, path, ctx):
        return Steps(ctx.steps(value, path + ("steps",), ctx.timeout(raw)))

    def check(self, test, spec, path, ctx, known):
        for step in test.params.steps:
            ctx.check_step(step, known)

    def budget(self, test):
        return test.startup_timeout + sum(action_of(s).budget(s) for s in test.params.steps)

    def summary(self, test):
        clients = len({s.client for s in test.params.steps})
        return f"{len(test.params.steps)} steps, {clients} client{'s' * (clients != 1)}"

    def run(self, job, outcome):
        from grader.kinds.runners.conversation import play
        against_server(job, outcome, lambda server, address: play(job, job.test.params.steps, server, outcome,
                                                                  address=address))
