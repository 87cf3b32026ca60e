"""The note of a pair test that fails although the student's client and server each pass against the
reference: made when a submission is graded, and again when fresh tests are merged into a cached record
(``cache.merged``), whose sides may pass or fail otherwise now."""
from __future__ import annotations

from grader.results import TestResult
from grader.spec.modes import Side

DISAGREEMENT = ("Your client and your server each pass against the reference, "
                "so they disagree on an assumption between themselves.")


def note_disagreement(tests: list[TestResult]) -> None:
    """Put the note first on each failed pair test that parted from the reference pair, when every
    (not bonus) server and client test passes; take it away where that no longer holds."""
    sides_pass = all(t.passed for t in tests if t.side in (Side.SERVER, Side.CLIENT) and not t.bonus)
    for test in tests:
        test.notes = [n for n in test.notes if n != DISAGREEMENT]
        if sides_pass and test.side == Side.PAIR and not test.passed and test.parted:
            test.notes.insert(0, DISAGREEMENT)
