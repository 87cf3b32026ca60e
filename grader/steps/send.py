"""``- {send: TEXT}`` or ``- {send: {hex: fffe80}}``: one message from the client (``${name}`` filled in)."""
from __future__ import annotations

from grader.steps.base import StepAction
from grader.spec.model import Step


class Send(StepAction):
    name = "send"
    sends = True
    schema = {"oneOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": False, "required": ["hex"],
         "properties": {"hex": {"type": "string", "pattern": "^([0-9a-fA-F]{2})*$",
                                "description": "bytes as pairs of hex digits, e.g. fffe80"}}},
    ]}

    def build(self, value, raw, common, ctx, path):
        if isinstance(value, dict):
            return Step(action=self.name, hex=value["hex"], **common)
        return Step(action=self.name, text=value, **common)

    def play(self, step, playing):
        job = playing.job
        return playing.peer.send(step.payload(job.framing, job.variables), step.timeout)
