"""``- {sleep: 0.5}``: the test pauses that many seconds before its next step (no client is involved)."""
from __future__ import annotations

import time

from grader.spec.model import Step
from grader.steps.base import StepAction

LONGEST = 60


class Sleep(StepAction):
    name = "sleep"
    waits = True
    schema = {"type": "number", "exclusiveMinimum": 0, "maximum": LONGEST,
              "description": "seconds to pause"}

    def build(self, value, raw, common, ctx, path):
        return Step(action=self.name, arg=float(value), **common)

    def budget(self, step):
        return step.arg

    def play(self, step, playing):
        time.sleep(step.arg)
        return None
