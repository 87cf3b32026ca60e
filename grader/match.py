"""Deciding whether a received message satisfies an expectation.

An expectation is plain data (see ``grader.spec.model.Expectation``); this
module is the only place that knows what each kind and match mode means.
"""
from __future__ import annotations

import re

from grader.spec.expectation_kind import ExpectationKind
from grader.spec.modes import MatchMode

TRAILING_PUNCTUATION = "!.;,:。！；，"


def tolerant_form(text: str) -> str:
    """Case, surrounding and repeated whitespace, trailing punctuation ignored; applied twice it gives
    the same (trailing punctuation and spaces are taken off together: ". :" is "", as "." is)."""
    collapsed = " ".join(text.casefold().split())
    return collapsed.rstrip(TRAILING_PUNCTUATION + " ")


def _same(expected: str, got: str, mode: MatchMode) -> bool:
    if mode == MatchMode.EXACT:
        return expected == got
    return tolerant_form(expected) == tolerant_form(got)


def _contains(expected: str, got: str, mode: MatchMode) -> bool:
    if mode == MatchMode.EXACT:
        return expected in got
    return tolerant_form(expected) in " ".join(got.split()).casefold()


def text_matches(expectation, got: str) -> bool:
    """True when ``got`` (a decoded message or output line) satisfies it.

    Only the kinds that compare text are handled here; ``closed`` and
    ``silence`` are about the connection and judged by the harness.
    """
    kind, values, mode = expectation.kind, expectation.values, expectation.match
    if kind in (ExpectationKind.EQUALS, ExpectationKind.ONE_OF, ExpectationKind.REFERENCE):
        return any(_same(v, got, mode) for v in values)
    if kind is ExpectationKind.CONTAINS:
        return any(_contains(v, got, mode) for v in values)
    if kind is ExpectationKind.REGEX:
        return any(re.fullmatch(v, got.strip(), _flags(expectation)) is not None for v in values)
    if kind is ExpectationKind.ANY:
        return True
    if kind is ExpectationKind.LINES:
        return lines_state(expectation, got) == "complete"
    return False


def captures(expectation, got: str) -> dict[str, str]:
    """The variables stored when ``got`` satisfied ``expectation``: regex groups and ``capture``."""
    found: dict[str, str] = {}
    if expectation.kind is ExpectationKind.REGEX:
        for pattern in expectation.values:
            m = re.fullmatch(pattern, got.strip(), _flags(expectation))
            if m:
                found.update({k: v for k, v in m.groupdict().items() if v is not None})
                break
    if expectation.kind is ExpectationKind.LINES:
        lines = reply_lines(got, expectation.match)
        pairs = _assign(expectation, lines)
        for line_index, item_index in enumerate(pairs or ()):
            found.update(captures(expectation.items[item_index], lines[line_index]))
    if expectation.capture:
        found[expectation.capture] = got.strip()
    return found


def _flags(expectation) -> int:
    return re.IGNORECASE if expectation.match == MatchMode.TOLERANT else 0


# -- replies of several lines --------------------------------------------------
def reply_lines(text: str, mode: MatchMode = MatchMode.TOLERANT) -> list[str]:
    """A reply's lines; a final newline ends the last line. Tolerant: blank lines dropped."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [l for l in lines if l.strip()] if mode == MatchMode.TOLERANT else lines


def _assign(expectation, lines: list[str]) -> list[int] | None:
    """For each line, the index of a distinct item it matches; None when impossible.

    There may be fewer lines than items (a reply still arriving). In order,
    line k must match item k; in any order, a bipartite matching is searched.
    """
    items = expectation.items
    if len(lines) > len(items):
        return None
    fits = [[j for j, item in enumerate(items) if text_matches(item, line)] for line in lines]
    if not expectation.any_order:
        return list(range(len(lines))) if all(k in f for k, f in enumerate(fits)) else None
    owner: dict[int, int] = {}              # item -> line

    def place(line: int, tried: set) -> bool:
        for j in fits[line]:
            if j not in tried:
                tried.add(j)
                if j not in owner or place(owner[j], tried):
                    owner[j] = line
                    return True
        return False
    if not all(place(k, set()) for k in range(len(lines))):
        return None
    by_line = {line: item for item, line in owner.items()}
    return [by_line[k] for k in range(len(lines))]


def lines_state(expectation, text: str) -> str:
    """complete | partial (the lines so far fit, some are missing) | wrong."""
    lines = reply_lines(text, expectation.match)
    if _assign(expectation, lines) is None:
        return "wrong"
    return "complete" if len(lines) == len(expectation.items) else "partial"


def explain_lines(expectation, text: str) -> str:
    """Why ``text`` does not satisfy a ``lines`` expectation, in a short sentence."""
    lines = reply_lines(text, expectation.match)
    items = expectation.items
    if len(lines) > len(items):
        return f"expected {len(items)} lines, got {len(lines)}: " + " | ".join(lines[:8])
    if not expectation.any_order:
        for k, line in enumerate(lines):
            if not text_matches(items[k], line):
                return f"line {k + 1} should be {describe(items[k])}, got {line!r}"
    else:
        unmatched = [line for line in lines if not any(text_matches(i, line) for i in items)]
        if unmatched:
            return f"the line {unmatched[0]!r} matches none of the expected lines"
        if _assign(expectation, lines) is None:
            return "some lines were repeated: " + " | ".join(lines)
    missing = len(items) - len(lines)
    return (f"expected {len(items)} lines, got {len(lines)}" + (": " + " | ".join(lines) if lines else "")
            + f" ({missing} missing)")


# -- prompts on a terminal -----------------------------------------------------
def find_prompt(expectation, text: str) -> tuple[int, dict[str, str]] | None:
    """Where a prompt (contains or regex) ends in ``text``, and what it captured; None if absent."""
    for value in expectation.values:
        if expectation.kind is ExpectationKind.REGEX:
            pattern = value
        elif expectation.match == MatchMode.TOLERANT:
            words = tolerant_form(value).split()
            pattern = r"\s+".join(re.escape(w) for w in words) if words else re.escape(value)
        else:
            pattern = re.escape(value)
        m = re.search(pattern, text, _flags(expectation))
        if m:
            found = {k: v for k, v in m.groupdict().items() if v is not None}
            if expectation.capture:
                found[expectation.capture] = m.group(0).strip()
            return m.end(), found
    return None


def describe(expectation) -> str:
    """A short human phrase for what was expected, used in failure reasons."""
    kind, values = expectation.kind, expectation.values
    if kind in (ExpectationKind.EQUALS, ExpectationKind.REFERENCE) and len(values) == 1:
        return repr(values[0])
    if kind in (ExpectationKind.EQUALS, ExpectationKind.ONE_OF, ExpectationKind.REFERENCE):
        return " or ".join(repr(v) for v in values)
    if kind is ExpectationKind.CONTAINS:
        return "a message containing " + " or ".join(repr(v) for v in values)
    if kind is ExpectationKind.REGEX:
        return "a message matching /" + "/ or /".join(values) + "/"
    if kind is ExpectationKind.ANY:
        return "any reply"
    if kind is ExpectationKind.CLOSED:
        return "the server to close the connection"
    if kind is ExpectationKind.SILENCE:
        return "no reply"
    if kind is ExpectationKind.LINES:
        shown = ", ".join(describe(i) for i in expectation.items)
        return f"the {len(expectation.items)} lines {shown}" + (" (in any order)" if expectation.any_order else "")
    return kind
