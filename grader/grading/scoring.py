"""Points: a test's outcome becomes a scored TestResult.

A test is all or nothing: it earns its points when it passes. Bonus tests add
to the score but not to the maximum (see ``AssignmentResult``).
"""
from __future__ import annotations

from grader.kinds import kind_of
from grader.results import TestResult
from grader.spec.model import Test


def score_test(test: Test, *, passed: bool, reason: str, outcome: dict | None = None,
            error: bool = False) -> TestResult:
    """``outcome`` is the worker's JSON; ``error`` marks a failure of the grader, not the student."""
    outcome = outcome or {}
    keep_output = not passed or kind_of(test).keeps_output
    return TestResult(
        name=test.name, tags=list(test.tags), points=test.points if passed else 0.0,
        max_points=test.points, passed=passed, bonus=test.bonus, hidden=test.hidden,
        reason=reason, notes=list(outcome.get("notes", [])), hint="" if error else test.hint,
        # Program output is kept where it explains something: failures, and the startup
        # test (what the server printed when it started). Other passing tests keep
        # their conversation only, so concurrent prints cannot make two runs differ.
        transcript=outcome.get("transcript", []),
        server_output=outcome.get("server_output", "") if keep_output else "",
        client_output=outcome.get("client_output", "") if keep_output else "", duration=outcome.get("duration", 0.0),
        metrics=outcome.get("metrics", {}), side=test.side, grader_error=error,
        description=test.description)
