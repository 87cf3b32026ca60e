"""The kinds of expectation a spec can write under ``expect:`` (and in a client's ``sent`` and
``output``), compared as members, never as words."""
from __future__ import annotations

from enum import StrEnum


class ExpectationKind(StrEnum):
    """What an expectation compares (a spec's key under ``expect:``)."""
    EQUALS = "equals"
    ONE_OF = "one_of"
    CONTAINS = "contains"
    REGEX = "regex"
    ANY = "any"
    CLOSED = "closed"
    SILENCE = "silence"
    REFERENCE = "reference"
    LINES = "lines"
