"""``- {client: a, close: true}`` closes the client's connection politely (TCP FIN);
``close: reset`` abruptly, with a TCP RST, as a crashed or killed client would."""
from __future__ import annotations

from grader.steps.base import StepAction
from grader.spec.model import Step

RESET = "reset"


class Close(StepAction):
    name = "close"
    schema = {"oneOf": [{"type": ["boolean", "null"]}, {"const": RESET}],
              "description": "true (a polite close) or reset (an abrupt one: a TCP RST)"}

    def build(self, value, raw, common, ctx, path):
        return Step(action=self.name, arg=RESET if value == RESET else None, **common)

    def ends_connection(self, step):
        return True

    def budget(self, step):
        return 0.0

    def play(self, step, playing):
        if step.arg == RESET:
            playing.peer.reset()
        else:
            playing.peer.close()
        return None
