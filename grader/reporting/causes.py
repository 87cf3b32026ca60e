"""One cause, one explanation: the failed tests of a submission that failed for the same reason.

One bug (a server that crashes at start, a file not handed in, the wrong port)
fails several tests with the same explanation. Reporters show it with the
first of them and let the others point there (``followers``). Two tests share
a cause when their causes (``TestResult.cause``, set where the runner words
the reason) are equal and of a kind that explains more than one test: the same
files missing, the time used up, the same build failure, crash (exception,
file and line), limit, port bound or not bound. Any other cause (a wrong
reply, a program that printed something else) is each test's own.
"""
from __future__ import annotations

from grader.results import Cause, Status, Why

SHARED = frozenset({Cause.NOT_HANDED_IN, Cause.NOT_RUN, Cause.BUILD_FAILED, Cause.CRASHED, Cause.LIMIT,
                    Cause.KILLED, Cause.WRONG_PORT, Cause.WRONG_TRANSPORT, Cause.DID_NOT_BIND,
                    Cause.EXITED_EARLY})


def cause(test) -> Why | None:
    """What made ``test`` fail, when it may have made others fail alike; None when it passed."""
    if test.status in (Status.PASSED, Status.GRADING_FAILED) or test.cause is None:
        return None
    return test.cause if test.cause.kind in SHARED else None


def followers(result) -> dict[str, str]:
    """Test name -> the name of the earlier test (in the spec's order) that failed for the same cause."""
    first: dict[Why, str] = {}
    follows: dict[str, str] = {}
    for test in result.tests:
        key = cause(test)
        if key is None or test.hidden:
            continue
        if key in first:
            follows[test.name] = first[key]
        else:
            first[key] = test.name
    return follows


def pointer(leader: str) -> str:
    return f"same cause as “{leader}” (see there)"
