"""The step actions, registered here and nowhere else: a step's key names its action.

To add one, write a module with a ``StepAction`` subclass (``base.py`` says what it owns) and add it
to ``REGISTERED``; the schema, the loader, the budget and the players all read this registry: a test-side
client's steps (``steps:``, ``before:``, a swarm's) are the ``ACTIONS``, a client run's ``interact:``
the ``TERMINAL_ACTIONS``.
"""
from __future__ import annotations

from grader.steps.base import Playing, StepAction
from grader.steps.close import Close
from grader.steps.connect import Connect
from grader.steps.expect import Expect
from grader.steps.send import Send
from grader.steps.sleep import Sleep
from grader.steps.terminal import Eof, Prompt, Type

REGISTERED: dict[str, StepAction] = {action.name: action for action in (
    Connect(), Send(), Expect(), Close(), Sleep(), Prompt(), Type(), Eof())}
ACTIONS = {name: action for name, action in REGISTERED.items() if not action.on_terminal}
TERMINAL_ACTIONS = {name: action for name, action in REGISTERED.items() if action.on_terminal}


def action_of(step) -> StepAction:
    return REGISTERED[step.action]


__all__ = ["ACTIONS", "REGISTERED", "TERMINAL_ACTIONS", "Playing", "StepAction", "action_of"]
