"""One truth for every count a person reads: what "could not be graded", "not handed in", "failed
tests" and a student's percent mean.

``marking`` asks here when it builds the gradebook and the batch when it tells the progress bar, so
the terminal, the progress bar, the report's cards, lists and histogram, the CSV and the feedback,
which only read those, never count differently.

- **could not be graded**: the grader or the machine failed on a submission or one of its tests, or
  the submission could not be graded at all (a damaged zip, none of the specs' files). Not handing
  in an assignment is not this.
- **not handed in**: an assignment of the run (or the course) without a submission.
- **failed tests**: the tests a student's programs ran and did not pass, a file they need missing
  included; a bonus test not earned is no failure, nor a test the grader could not run, nor the
  tests of an assignment not handed in at all.
- **percent**: rounded once, to one decimal, half up (29.63 is 29.6, 29.65 is 29.7); every output
  shows that number, and the histogram puts it in its bar.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from grader.results import Status

PERCENT_PLACES = Decimal("0.1")


def percent(value: float) -> float:
    """A student's percent as every output shows it."""
    return float(Decimal(repr(float(value))).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP))


def failed(test) -> bool:
    """The student's programs ran this test and did not pass it, and it is no bonus."""
    return not test.bonus and test.status not in (Status.PASSED, Status.GRADING_FAILED)


def failed_tests(result) -> list:
    """The tests of a submission that count as failed: none when it could not be graded, nor when it
    was not handed in at all (that is said as "not handed in", not as its tests failed)."""
    if result.ungraded or result.status is Status.NOT_HANDED_IN:
        return []
    return [t for t in result.tests if failed(t)]


def could_not_grade(result) -> bool:
    """No mark can be trusted: the submission could not be graded, or the grader failed on a test."""
    return result.ungraded or result.infrastructure_failed


@dataclass(frozen=True)
class Standing:
    """What the progress bar counts of a student graded so far."""
    failed: int = 0                  # failed tests
    incomplete: bool = False         # could not be graded, in whole or in part


def of(results) -> Standing:
    return Standing(sum(len(failed_tests(r)) for r in results), any(could_not_grade(r) for r in results))
