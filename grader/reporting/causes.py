"""One cause, one explanation: the failed tests of a submission that failed for the same reason.

One bug (a server that crashes at start, a file not handed in, the wrong port)
fails several tests with the same explanation. Reporters show it with the
first of them and let the others point there (``followers``). A test not handed
in or not run shares its cause with those of the same status and reason (the
same files missing, the same time used up). The cause of another failed test
is read from its reason, as the runner words it: the crash summary with its
file and line, the port bound, the limit run into, a server that never bound.
A reason with none of these is its own cause.
"""
from __future__ import annotations

import re

from grader.results import Status

_CAUSES = (
    re.compile(r"\w+(?:Error|Exception|Interrupt|Exit)\b[^\n]*?\([^(),\n]+\.py, line \d+\)[^;\n]*"),  # a crash
    re.compile(r"bound (?:TCP|UDP) port \d+, the assignment asks for \d+"),
    re.compile(r"listens on [^,\n]+, this assignment needs (?:TCP|UDP)"),
    re.compile(r"did not bind (?:TCP|UDP) port \d+"),
    re.compile(r"stopped(?: before binding a port)?: (?:used|tried|wrote|created|opened|was killed)[^;\n]*"),
    re.compile(r"exited \(code -?\d+\) before binding a port"),
    re.compile(r"building your \S+ (?:failed|stopped|did not finish)[^\n]*"),          # see runner/build.py
)


def cause(test) -> str | None:
    """What made ``test`` fail, as a key shared by the tests it failed alike; None when it passed."""
    if test.status in (Status.PASSED, Status.GRADING_FAILED) or not test.reason:
        return None
    if test.status in (Status.NOT_HANDED_IN, Status.NOT_RUN):
        return f"{test.status.value}: {test.reason}"
    for pattern in _CAUSES:
        found = pattern.search(test.reason)
        if found:
            return found.group(0)
    return None


def followers(result) -> dict[str, str]:
    """Test name -> the name of the earlier test (in the spec's order) that failed for the same cause."""
    first: dict[str, str] = {}
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
