"""The step actions, registered here and nowhere else: a step's key names its action.

To add one, write a module with a ``StepAction`` subclass (``base.py`` says what it owns) and add it
to ``ACTIONS``; the schema, the loader, the budget and the players all read this registry.
"""
from __future__ import annotations

from grader.steps.base import Playing, StepAction
from grader.steps.close import Close
from grader.steps.connect import Connect
from grader.steps.expect import Expect
from grader.steps.send import Send
from grader.steps.sleep import Sleep

ACTIONS: dict[str, StepAction] = {action.name: action for action in (Connect(), Send(), Expect(), Close(), Sleep())}


def action_of(step) -> StepAction:
    return ACTIONS[step.action]


__all__ = ["ACTIONS", "Playing", "StepAction", "action_of"]
