"""Deciding whether a received message satisfies an expectation.

An expectation is plain data (see ``grader.spec.model.Expectation``); this
module is the only place that knows what each kind and match mode means.
"""
from __future__ import annotations

import re

TRAILING_PUNCTUATION = "!.;,:。！；，"


def tolerant_form(text: str) -> str:
    """Case, surrounding and repeated whitespace, trailing punctuation ignored."""
    collapsed = " ".join(text.split()).casefold()
    return collapsed.rstrip(TRAILING_PUNCTUATION).rstrip()


def _same(expected: str, got: str, mode: str) -> bool:
    if mode == "exact":
        return expected == got
    return tolerant_form(expected) == tolerant_form(got)


def _contains(expected: str, got: str, mode: str) -> bool:
    if mode == "exact":
        return expected in got
    return tolerant_form(expected) in " ".join(got.split()).casefold()


def text_matches(expectation, got: str) -> bool:
    """True when ``got`` (a decoded message or output line) satisfies it.

    Only the kinds that compare text are handled here; ``closed`` and
    ``silence`` are about the connection and judged by the harness.
    """
    kind, values, mode = expectation.kind, expectation.values, expectation.match
    if kind in ("equals", "one_of", "reference"):
        return any(_same(v, got, mode) for v in values)
    if kind == "contains":
        return any(_contains(v, got, mode) for v in values)
    if kind == "regex":
        flags = re.IGNORECASE if mode == "tolerant" else 0
        return any(re.fullmatch(v, got.strip(), flags) is not None for v in values)
    if kind == "any":
        return True
    return False


def describe(expectation) -> str:
    """A short human phrase for what was expected, used in failure reasons."""
    kind, values = expectation.kind, expectation.values
    if kind in ("equals", "reference") and len(values) == 1:
        return repr(values[0])
    if kind in ("equals", "one_of", "reference"):
        return " or ".join(repr(v) for v in values)
    if kind == "contains":
        return "a message containing " + " or ".join(repr(v) for v in values)
    if kind == "regex":
        return "a message matching /" + "/ or /".join(values) + "/"
    if kind == "any":
        return "any reply"
    if kind == "closed":
        return "the server to close the connection"
    if kind == "silence":
        return "no reply"
    return kind
