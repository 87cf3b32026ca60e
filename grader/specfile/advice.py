"""What a valid spec may still get wrong, said before anyone is graded (``grade check``, ``grade``).

TCP is a stream: two sends on one connection with nothing between them that waits (an expect, a
pause) may reach the server as one message, ``set;onlykey`` and ``quit`` read as ``set;onlykeyquit``.
Without a framing (``framing: none``) a server reads a message as what one ``recv`` returns, so such a
test can fail a correct program, the reference too, depending on timing.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.spec.modes import Framing, Transport
from grader.steps import action_of

JOINED_SENDS_HINT = ("put a step that waits between them: the server's reply (`expect`) or a pause "
                     "(`- {sleep: 0.2}`); or declare a framing your programs use, `framing: newline`, "
                     "where every message ends with \\n")


@dataclass(frozen=True)
class Advice:
    """A warning about a valid spec, at a file, line and key, as a spec error is."""
    source: str
    line: int
    where: str
    test: str
    message: str
    hint: str = ""

    @property
    def located(self) -> str:
        """The message with its file, line and key."""
        return f"{self.source}:{self.line}: {self.where}: {self.message}"

    def __str__(self) -> str:
        return self.located + (f"\n  hint: {self.hint}" if self.hint else "")

    def one_line(self) -> str:
        return self.located + (f" (hint: {self.hint})" if self.hint else "")


def advice(spec) -> list[Advice]:
    """Every warning about ``spec``, in the order of its tests."""
    return joined_sends(spec)


def joined_sends(spec) -> list[Advice]:
    """Each second send of two on one TCP connection with no waiting step between them."""
    if spec.transport != Transport.TCP or spec.framing != Framing.NONE:
        return []
    found: dict[tuple, Advice] = {}       # a step list used twice is said once per test and line
    for test in spec.tests:
        for run in test.params.step_runs():
            for first, second in _back_to_back(run):
                key = (test.name, second.line, second.where)
                found.setdefault(key, Advice(
                    str(spec.source), second.line, second.where, test.name,
                    f"test {test.name!r}: client {second.client} sends {_shown(second)} right after "
                    f"{_shown(first)} (line {first.line}){_origin(second)}, with no expect or pause "
                    f"between them: TCP may deliver the two as one message{_joined(first, second)}, "
                    "which a server reading a message per recv takes for one", JOINED_SENDS_HINT))
    return list(found.values())


def _back_to_back(steps):
    """(first, second) for every send that follows a send of its client with nothing that waits between."""
    pending = {}          # client -> its last send, when nothing waited since
    for step in steps:
        action = action_of(step)
        if action.waits:
            pending.clear()
        elif action.sends:
            if step.client in pending:
                yield pending[step.client], step
            pending[step.client] = step
        if action.ends_connection(step):
            pending.pop(step.client, None)


def _shown(step) -> str:
    return repr(step.text) if step.text is not None else f"{len(step.hex or '') // 2} bytes"


def _joined(first, second) -> str:
    if first.text is None or second.text is None:
        return ""
    return f" ({first.text + second.text!r})"


def _origin(step) -> str:
    return f" ({step.origin})" if step.origin else ""
