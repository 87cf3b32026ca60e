"""``steps: [...]``: test-side clients play the steps (``grader.steps``) against the server."""
from __future__ import annotations

from grader.kinds.base import TestKind, against_server
from grader.steps import action_of


class Conversation(TestKind):
    key = "steps"
    name = "conversation"
    schema = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}}

    def build(self, value, raw, path, ctx):
        return {"steps": ctx.steps(value, path + ("steps",), ctx.timeout(raw))}

    def budget(self, test):
        return test.startup_timeout + sum(action_of(s).budget(s) for s in test.steps)

    def summary(self, test):
        clients = len({s.client for s in test.steps})
        return f"{len(test.steps)} steps, {clients} client{'s' * (clients != 1)}"

    def run(self, job, outcome):
        from grader.kinds.runners.conversation import play
        against_server(job, outcome, lambda server, address: play(job, job.test.steps, server, outcome,
                                                                  address=address))
