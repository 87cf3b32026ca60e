"""The ways a test ends before its verdict: the student's programs failed it, a program it needs was
not handed in, or the grader or the machine failed (never the student's fault)."""
from __future__ import annotations

from grader.results import Cause, Difference, Why


class TestFailed(Exception):
    """The student's program did not do what the test needs: the reason in words, ``cause`` as data,
    and where its conversation first went wrong (``difference``), when it did."""

    def __init__(self, reason: str, cause: Why, difference: Difference | None = None):
        super().__init__(reason)
        self.cause = cause
        self.difference = difference


class GraderProblem(RuntimeError):
    """The grader or the machine failed, not the student (a reference that does not build, a compiler
    missing here): the test is GRADING_FAILED, with this as its error."""


class NotHandedIn(TestFailed):
    """A program the test needs was not handed in; ``names`` are the file names it may have."""

    def __init__(self, names: str):
        super().__init__(f"{names} was not handed in", Why(Cause.NOT_HANDED_IN, detail=names))
        self.names = names
