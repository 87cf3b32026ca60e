"""``- {client: a, connect: true}``: open the client's connection now (any step opens it when needed)."""
from __future__ import annotations

from grader.steps.base import StepAction


class Connect(StepAction):
    name = "connect"
    schema = {"type": ["boolean", "null"]}

    def play(self, step, playing):
        return playing.peer.connect(step.timeout)
