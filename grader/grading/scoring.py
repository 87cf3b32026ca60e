"""Points: a test's outcome becomes a scored TestResult.

A test is all or nothing: it earns its points when it passes. Bonus tests add
to the score but not to the maximum (see ``AssignmentResult``).
"""
from __future__ import annotations

from grader.kinds import kind_of
from grader.results import Status, TestResult, Why
from grader.job.context import Outcome
from grader.spec.model import Test


def score_test(test: Test, *, status: Status, reason: str, cause: Why | None = None, outcome: Outcome | None = None,
               missing: str = "") -> TestResult:
    """``cause``: why it failed, as data; ``outcome``: the worker's, when one ran; ``missing``: the files
    a NOT_HANDED_IN test needed."""
    outcome = outcome or Outcome()
    passed = status is Status.PASSED
    keep_output = not passed or kind_of(test).keeps_output
    # Points are floats in every output, 2.0 as 2.5: JSON's numbers are of one type.
    return TestResult(
        name=test.name, tags=list(test.tags), points=float(test.points) if passed else 0.0,
        max_points=float(test.points), status=status, bonus=test.bonus, hidden=test.hidden,
        reason=reason, notes=list(outcome.notes), hint="" if status is Status.GRADING_FAILED else test.hint,
        # Program output is kept where it explains something: failures, and the startup
        # test (what the server printed when it started). Other passing tests keep
        # their conversation only, so concurrent prints cannot make two runs differ.
        transcript=outcome.transcript,
        server_output=outcome.server_output if keep_output else "",
        client_output=outcome.client_output if keep_output else "", duration=outcome.duration,
        metrics=outcome.metrics, side=test.side, missing=missing, description=test.description, cause=cause,
        difference=outcome.difference if status is Status.FAILED else None)
