"""Deciding whether a received message satisfies an expectation.

An expectation is plain data (see ``grader.spec.model.Expectation``); what its kind means is its
matcher, a class below registered in ``MATCHERS``: whether a text passes, what it stores, what it
says was expected, and what a test-side client waits for to judge it. Nothing else tests which kind
an expectation is: it asks the matcher (``matcher(expectation)``) or the functions below.
"""
from __future__ import annotations

import re
from enum import StrEnum

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


def _flags(expectation) -> int:
    return re.IGNORECASE if expectation.match == MatchMode.TOLERANT else 0


class Wait(StrEnum):
    """What a test-side client waits for to judge an expectation."""
    MESSAGE = "message"      # the next message
    LINES = "lines"          # the lines of one reply, however they arrive
    CLOSE = "close"          # the end of the connection
    SILENCE = "silence"      # nothing, for a while


class Holds(StrEnum):
    """What a kind's key holds in a spec (``expect: {KIND: ...}``)."""
    TEXTS = "texts"          # a text or a list of texts
    NOTHING = "nothing"      # whatever is written is ignored: `any: true`
    SECONDS = "seconds"      # how long to wait
    ITEMS = "items"          # a list of expectations, each of a kind allowed in a line (``in_lines``)


class Matcher:
    """An expectation seen through its kind (``kind``); one subclass per kind, in ``MATCHERS``."""
    kind: ExpectationKind
    holds = Holds.TEXTS       # what its key holds in a spec
    can_capture = True        # `capture: NAME` may store what it matched
    in_lines = True           # it may be an item of `lines`
    any_order = False         # it takes `any_order`
    waits = Wait.MESSAGE      # what a test-side client waits for to judge it
    one_line = True           # it can describe one message or output line (a client's `sent`, `output`)
    can_skip = True           # an `expect` of it may pass over other messages first (`skip`)
    prompts = False           # it can find a prompt in a terminal's output (``find``)
    patterns = False          # its values are regular expressions: a ${name} filled in is escaped
    from_reference = False    # it expects the reference server's answer, recorded before grading

    def __init__(self, expectation):
        self.expectation = expectation
        self.values = expectation.values

    def passes(self, text: str) -> bool:
        """Whether ``text`` (a decoded message or output line) satisfies the expectation."""
        raise NotImplementedError

    def describe(self) -> str:
        """What was expected, as the reasons say it: "expected ..."."""
        raise NotImplementedError

    def groups(self, text: str) -> dict[str, str]:
        """What its own patterns store from ``text``, which passed."""
        return {}

    def captures(self, text: str) -> dict[str, str]:
        """The variables stored when ``text`` passed: its groups, and ``capture`` (the whole text)."""
        found = self.groups(text)
        if self.expectation.capture:
            found[self.expectation.capture] = text.strip()
        return found


class Equals(Matcher):
    kind = ExpectationKind.EQUALS

    def passes(self, text):
        return any(_same(v, text, self.expectation.match) for v in self.values)

    def describe(self):
        return " or ".join(repr(v) for v in self.values)


class OneOf(Equals):
    kind = ExpectationKind.ONE_OF


class Reference(Equals):
    """The reference's answer: `any` while it is recorded, then that answer (``Test.with_answers``)."""
    kind = ExpectationKind.REFERENCE
    holds = Holds.NOTHING
    in_lines = False
    one_line = False
    can_skip = False
    from_reference = True


class _Prompting(Matcher):
    """A kind that can also find a prompt where it ends, in a terminal's output."""
    prompts = True

    def pattern(self, value: str) -> str:
        raise NotImplementedError

    def find(self, text: str) -> tuple[int, dict[str, str]] | None:
        """Where a prompt ends in ``text``, and what it captured; None if absent."""
        for value in self.values:
            m = re.search(self.pattern(value), text, _flags(self.expectation))
            if m:
                found = {k: v for k, v in m.groupdict().items() if v is not None}
                if self.expectation.capture:
                    found[self.expectation.capture] = m.group(0).strip()
                return m.end(), found
        return None


class Contains(_Prompting):
    kind = ExpectationKind.CONTAINS

    def passes(self, text):
        return any(_contains(v, text, self.expectation.match) for v in self.values)

    def describe(self):
        return "a message containing " + " or ".join(repr(v) for v in self.values)

    def pattern(self, value):
        if self.expectation.match != MatchMode.TOLERANT:
            return re.escape(value)
        words = tolerant_form(value).split()
        return r"\s+".join(re.escape(w) for w in words) if words else re.escape(value)


class Regex(_Prompting):
    kind = ExpectationKind.REGEX
    patterns = True

    def _first(self, text: str) -> re.Match | None:
        for pattern in self.values:
            m = re.fullmatch(pattern, text.strip(), _flags(self.expectation))
            if m:
                return m
        return None

    def passes(self, text):
        return self._first(text) is not None

    def groups(self, text):
        m = self._first(text)
        return {k: v for k, v in m.groupdict().items() if v is not None} if m else {}

    def describe(self):
        return "a message matching /" + "/ or /".join(self.values) + "/"

    def pattern(self, value):
        return value


class Any(Matcher):
    kind = ExpectationKind.ANY
    holds = Holds.NOTHING
    can_skip = False

    def passes(self, text):
        return True

    def describe(self):
        return "any reply"


class Closed(Matcher):
    """Judged on the connection, never on a text."""
    kind = ExpectationKind.CLOSED
    holds = Holds.NOTHING
    can_capture = False
    in_lines = False
    waits = Wait.CLOSE
    one_line = False

    def passes(self, text):
        return False

    def describe(self):
        return "the server to close the connection"


class Silence(Matcher):
    """Judged on the connection, never on a text."""
    kind = ExpectationKind.SILENCE
    holds = Holds.SECONDS
    can_capture = False
    in_lines = False
    waits = Wait.SILENCE
    one_line = False
    can_skip = False

    def passes(self, text):
        return False

    def describe(self):
        return "no reply"


class Lines(Matcher):
    """A reply of several lines, each matching one of ``items``, in order or (``any_order``) in any."""
    kind = ExpectationKind.LINES
    holds = Holds.ITEMS
    in_lines = False
    any_order = True
    waits = Wait.LINES
    one_line = False
    can_skip = False

    def passes(self, text):
        return lines_state(self.expectation, text) == "complete"

    def groups(self, text):
        found: dict[str, str] = {}
        lines = reply_lines(text, self.expectation.match)
        for line_index, item_index in enumerate(_assign(self.expectation, lines) or ()):
            found.update(captures(self.expectation.items[item_index], lines[line_index]))
        return found

    def describe(self):
        items = self.expectation.items
        shown = ", ".join(describe(i) for i in items)
        return f"the {len(items)} lines {shown}" + (" (in any order)" if self.expectation.any_order else "")


MATCHERS: dict[ExpectationKind, type[Matcher]] = {
    m.kind: m for m in (Equals, OneOf, Contains, Regex, Any, Closed, Silence, Reference, Lines)}


def matcher(expectation) -> Matcher:
    return MATCHERS[expectation.kind](expectation)


def kinds_where(wanted) -> tuple[ExpectationKind, ...]:
    """The kinds whose matcher class ``wanted`` accepts, e.g. ``lambda m: m.one_line``."""
    return tuple(kind for kind, m in MATCHERS.items() if wanted(m))


def either(kinds) -> str:
    """'equals, contains or regex'."""
    names = [str(k) for k in kinds]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def text_matches(expectation, got: str) -> bool:
    """True when ``got`` (a decoded message or output line) satisfies it (never for ``closed`` and
    ``silence``: they are about the connection, and judged by the test-side client)."""
    return matcher(expectation).passes(got)


def captures(expectation, got: str) -> dict[str, str]:
    """The variables stored when ``got`` satisfied ``expectation``: regex groups and ``capture``."""
    return matcher(expectation).captures(got)


def describe(expectation) -> str:
    """A short human phrase for what was expected, used in failure reasons."""
    return matcher(expectation).describe()


def find_prompt(expectation, text: str) -> tuple[int, dict[str, str]] | None:
    """Where a prompt (a kind that ``prompts``) ends in ``text``, and what it captured; None if absent."""
    return matcher(expectation).find(text)


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
