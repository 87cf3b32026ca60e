"""The note of a pair whose client and server each pass against the reference is made again when fresh
tests are merged into a cached record (``--regrade --test``): its sides may pass or fail otherwise now."""
from __future__ import annotations

from grader.grading.cache import merged
from grader.grading.pairs import DISAGREEMENT
from grader.results import AssignmentResult, Cause, Side, Status, TestResult, Why


def scored(name, side, passed, parted=False, notes=()):
    return TestResult(name, ["protocol"], 1 if passed else 0, 1, Status.PASSED if passed else Status.FAILED,
                      side=side, parted=parted, notes=list(notes),
                      cause=None if passed else Why(Cause.WRONG_REPLY))


def record(*tests):
    return AssignmentResult(student="ana", assignment="udp-contacts", title="t", isolation="sandbox",
                            tests=list(tests))


def pair_notes(result):
    return next(t.notes for t in result.tests if t.side == Side.PAIR)


def test_a_side_that_passes_now_brings_the_note():
    old = record(scored("server", Side.SERVER, True), scored("client", Side.CLIENT, False),
                 scored("pair", Side.PAIR, False, parted=True, notes=["Where your pair parts ..."]))
    new = merged(old, record(scored("client", Side.CLIENT, True)))
    assert pair_notes(new) == [DISAGREEMENT, "Where your pair parts ..."]
    assert pair_notes(old) == ["Where your pair parts ..."]            # the cached record is not changed


def test_a_side_that_fails_now_takes_the_note_away():
    old = record(scored("server", Side.SERVER, True), scored("client", Side.CLIENT, True),
                 scored("pair", Side.PAIR, False, parted=True, notes=[DISAGREEMENT, "Where your pair parts ..."]))
    new = merged(old, record(scored("server", Side.SERVER, False)))
    assert pair_notes(new) == ["Where your pair parts ..."]


def test_a_pair_that_did_not_part_gets_no_note_and_parted_survives_json():
    old = record(scored("server", Side.SERVER, True), scored("client", Side.CLIENT, False),
                 scored("pair", Side.PAIR, False))
    assert pair_notes(merged(old, record(scored("client", Side.CLIENT, True)))) == []
    parted = scored("pair", Side.PAIR, False, parted=True)
    assert TestResult.from_dict(parted.to_dict()).parted
