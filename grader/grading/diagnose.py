"""Why a student's client and server fail together: the first place their
conversation parts from the reference client's with the reference server's."""
from __future__ import annotations

from grader.spec.match import tolerant_form
from grader.spec.modes import Side

Wire = list  # [(side, text)], side "client" or "server": who sent it


def first_difference(ours: Wire, theirs: Wire) -> str:
    """A sentence about the first message where the two conversations differ ('' if none)."""
    for k in range(max(len(ours), len(theirs))):
        mine = ours[k] if k < len(ours) else None
        ref = theirs[k] if k < len(theirs) else None
        if mine and ref and mine[0] == ref[0] and tolerant_form(mine[1]) == tolerant_form(ref[1]):
            continue
        return _explain(k + 1, mine, ref)
    return ""


def _explain(number: int, mine, ref) -> str:
    if ref is None:
        return f"message {number}: your {mine[0]} sent {mine[1]!r}, where the reference pair had finished"
    other = Side.CLIENT if ref[0] == Side.SERVER else Side.SERVER
    if mine is None:
        return (f"message {number}: the reference {ref[0]} sends {ref[1]!r} here; "
                f"your {ref[0]} sent nothing, so your {other} was left waiting")
    if mine[0] != ref[0]:
        return (f"message {number}: the reference {ref[0]} sends {ref[1]!r} here, but your "
                f"{mine[0]} sent {mine[1]!r} first: your {other} and your {ref[0]} disagree on "
                f"who speaks first")
    return (f"message {number}: your {mine[0]} sent {mine[1]!r}, where the reference {ref[0]} "
            f"sends {ref[1]!r}")


def render(wire: Wire) -> str:
    return "\n".join(f"  {n}. {side:>6} -> {text!r}" for n, (side, text) in enumerate(wire, 1)) or "  (nothing)"
