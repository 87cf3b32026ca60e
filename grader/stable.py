"""``--stable``: results without what differs between two runs of the same class.

Two things change from run to run although the student's work did not: how
long things took (durations, the times in a conversation) and the ephemeral
ports the kernel picks for each connection, which servers print ("Accept new
connection from 127.0.0.1:40186"). Here durations become 0, conversation
times are left out, and each ephemeral port becomes ``<port 1>``, ``<port 2>``...
in order of appearance within a test, so a connection can still be followed
(in what the programs printed, a bare number in the ephemeral range counts as a
port: the reference server behind a relay prints "Bind UDP on 40275").
The same class graded twice then gives byte-identical files.
"""
from __future__ import annotations

import re
from dataclasses import replace

from grader.results import AssignmentResult, TestResult

EPHEMERAL = 32768          # Linux's default ip_local_port_range starts here
_HOST_PORT = re.compile(r"(\b\d{1,3}(?:\.\d{1,3}){3}:)(\d{5})\b")
_TUPLE = re.compile(r"""(\(['"]\d{1,3}(?:\.\d{1,3}){3}['"],\s*)(\d{5})(\))""")
_BARE = re.compile(r"(?<![\w.:])(\d{5})(?![\w.:])")     # "Bind UDP on 40275" (in program output only)


def stable(results: list[AssignmentResult]) -> list[AssignmentResult]:
    return [replace(r, duration=0.0, tests=[_stable_test(t) for t in r.tests]) for r in results]


def _stable_test(test: TestResult) -> TestResult:
    names: dict[str, str] = {}

    def port(number: str) -> str:
        if int(number) < EPHEMERAL:
            return number
        return names.setdefault(number, f"<port {len(names) + 1}>")

    def clean(text: str) -> str:
        text = _HOST_PORT.sub(lambda m: m.group(1) + port(m.group(2)), text)
        return _TUPLE.sub(lambda m: m.group(1) + port(m.group(2)) + m.group(3), text)

    def clean_output(text: str) -> str:
        return _BARE.sub(lambda m: port(m.group(1)), clean(text))

    # Conversation first: its order is the order things happened in.
    transcript = [{**e, "t": None, "data": clean(e.get("data", ""))} for e in test.transcript]
    return replace(test, duration=0.0, transcript=transcript, reason=clean(test.reason),
                   notes=[clean(n) for n in test.notes], server_output=clean_output(test.server_output),
                   client_output=clean_output(test.client_output))
