"""``--stable``: results without what differs between two runs of the same class.

Some things change from run to run although the student's work did not:

- how long things took: durations and timed metrics (a UDP swarm's longest wait) become 0,
  conversation times are left out;
- the ephemeral ports the kernel picks for each connection, which servers print
  ("Accept new connection from 127.0.0.1:40186"): each becomes ``<port 1>``,
  ``<port 2>``... in order of appearance within a test, so a connection can
  still be followed (in what the programs printed, a bare number in the
  ephemeral range counts as a port: the reference server behind a relay prints
  "Bind UDP on 40275");
- the grader's temporary folders (``/tmp/sockgrade-test-k2j4x9_a``, where a
  program below the sandbox runs), shown as ``<scratch>``, and process ids
  ("pid 4711"), shown as ``pid <n>``, in the reason, the words of its cause
  (a crash's exception), the notes and the conversation;
- whether a program stopped at the end of a test had written its last newline
  (print writes the text, then the newline): output ends without one;
- the order in which a program's threads print. When several test-side clients
  talked to a program (a conversation of clients a and b, twenty clients at
  once, a generated conversation of several clients), its threads ran at the
  same time, and the order of their lines, even lines cut into each other
  ("Accept ...Accept ...\\n\\n"), is the scheduler's: that program output is
  left out, with a note saying why. With one client, the output is kept.

The same class graded twice then gives byte-identical files.
"""
from __future__ import annotations

import re
from dataclasses import replace

from grader.results import TIMED_METRICS, AssignmentResult, ReferenceRun, TestResult, clients_of

EPHEMERAL = 32768          # Linux's default ip_local_port_range starts here
_HOST_PORT = re.compile(r"(\b\d{1,3}(?:\.\d{1,3}){3}:)(\d{5})\b")
_TUPLE = re.compile(r"""(\(['"]\d{1,3}(?:\.\d{1,3}){3}['"],\s*)(\d{5})(\))""")
_BARE = re.compile(r"(?<![\w.:])(\d{5})(?![\w.:])")     # "Bind UDP on 40275" (in program output only)
# tempfile.mkdtemp(prefix="sockgrade-...") names: the prefix, then 8 random characters.
_SCRATCH = re.compile(r"(?:/[\w.-]+)*/sockgrade-(?:[a-z0-9]+-)*[a-z0-9_]{8}(?![\w-])")
_PID = re.compile(r"\b(pid|PID|process id)([ =:#]*)\d+\b")
LEFT_OUT = ("[left out by --stable: several clients talked to this program at once, so the order of what "
            "its threads printed is the scheduler's; grade without --stable to see it]\n")


def stable(results: list[AssignmentResult]) -> list[AssignmentResult]:
    return [replace(r, duration=0.0, tests=[_stable_test(t) for t in r.tests]) for r in results]


def clients(test: TestResult) -> set[str]:
    """The test-side clients of the test's conversation (c1, a, b, s1..s20, ...)."""
    return set(clients_of(test.transcript))


def _stable_test(test: TestResult) -> TestResult:
    names: dict[str, str] = {}

    def port(number: str) -> str:
        if int(number) < EPHEMERAL:
            return number
        return names.setdefault(number, f"<port {len(names) + 1}>")

    def clean(text: str) -> str:
        text = _SCRATCH.sub("<scratch>", text)
        text = _PID.sub(lambda m: f"{m.group(1)}{m.group(2) or ' '}<n>", text)
        text = _HOST_PORT.sub(lambda m: m.group(1) + port(m.group(2)), text)
        return _TUPLE.sub(lambda m: m.group(1) + port(m.group(2)) + m.group(3), text)

    def clean_output(text: str) -> str:
        if text.strip() and concurrent:
            return LEFT_OUT
        return _BARE.sub(lambda m: port(m.group(1)), clean(text)).rstrip("\n")

    concurrent = len(clients(test)) > 1
    # Conversation first: its order is the order things happened in.
    transcript = [{**e, "t": None, "data": clean(e.get("data", ""))} for e in test.transcript]
    metrics = {k: (0.0 if k in TIMED_METRICS else v) for k, v in test.metrics.items()}
    # The reference's run beside it: times left out alike, its ports named after the student's.
    reference = test.reference and ReferenceRun(
        [{**e, "t": None, "data": clean(e.get("data", ""))} for e in test.reference.transcript],
        {k: (0.0 if k in TIMED_METRICS else v) for k, v in test.reference.metrics.items()})
    difference = test.difference and replace(test.difference, expected=clean(test.difference.expected),
                                             got=None if test.difference.got is None else clean(test.difference.got))
    return replace(test, duration=0.0, metrics=metrics, transcript=transcript, reference=reference,
                   difference=difference, reason=clean(test.reason),
                   cause=replace(test.cause, detail=clean(test.cause.detail)) if test.cause else None,
                   notes=[clean(n) for n in test.notes], server_output=clean_output(test.server_output),
                   client_output=clean_output(test.client_output))
