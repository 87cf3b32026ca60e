"""Values captured from one reply and used in a later step: ``${name}``.

A regular expression's named groups (``(?P<id>\\d+)``) and an expectation's
``capture: NAME`` store text under a name; ``${name}`` in a later message,
argument, typed answer or expectation is replaced by it. ``$${name}`` stands
for a literal ``${name}``.
"""
from __future__ import annotations

import re
from dataclasses import replace

from grader.spec import match

REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")


def names_used(text: str | None) -> list[str]:
    """The names ``text`` refers to, in order."""
    return [m.group(2) for m in REFERENCE.finditer(text or "") if not m.group(1)]


def substitute(text: str | None, values: dict[str, str], quote=None) -> str | None:
    """``text`` with each ``${name}`` replaced; ``quote`` (e.g. ``re.escape``) is applied to each value.

    A name without a value is left as written (the loader has already
    refused names that no earlier step captures).
    """
    if text is None or "${" not in text:
        return text

    def one(m: re.Match) -> str:
        if m.group(1):
            return m.group(0)[1:]
        if m.group(2) not in values:
            return m.group(0)
        value = values[m.group(2)]
        return quote(value) if quote else value
    return REFERENCE.sub(one, text)


def placeholders(text: str) -> str:
    """``text`` with every ``${name}`` replaced by a plain word, to compile a pattern before run time."""
    return REFERENCE.sub(lambda m: m.group(0)[1:] if m.group(1) else "x", text)


def resolve(expectation, values: dict[str, str]):
    """An expectation with ``${name}`` filled in its texts (escaped inside regular expressions)."""
    if expectation is None or (not expectation.values and not expectation.items):
        return expectation
    matcher = match.matcher(expectation)
    quote = re.escape if matcher.patterns else None
    texts = tuple(substitute(v, values, quote) for v in expectation.values) \
        if not matcher.from_reference else expectation.values
    return replace(expectation, values=texts, items=tuple(resolve(i, values) for i in expectation.items))


def substitute_only(text: str, values: dict[str, str]) -> str:
    """``text`` with the ``${name}``s of ``values`` replaced and everything else as written,
    ``$${name}`` included (a step list's parameters are filled in before the test runs)."""
    return REFERENCE.sub(lambda m: values[m.group(2)] if not m.group(1) and m.group(2) in values
                         else m.group(0), text)
