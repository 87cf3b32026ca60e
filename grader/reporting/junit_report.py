"""``--junit FILE``: JUnit XML, one testsuite per (student, assignment), a testcase per test.

Valid against the strictest schemas CI tools check it with: the Apache Ant
schema Jenkins publishes as junit-4.xsd (windyroad's JUnit.xsd), the
junit-10.xsd pytest validates its own reports with (copies and their sources in
``tests/data/junit/``), and the older Jenkins junit-4.xsd of dtkit, whose
``<skipped>`` takes no attributes. What that asks of the file:

- ``<testsuites>`` carries no attributes; each ``<testsuite>`` carries name,
  tests, failures, errors, skipped, time, timestamp, hostname, id and package,
  then ``<properties>``, its testcases, ``<system-out>`` and ``<system-err>``;
- a testcase holds at most one of ``<failure>`` (its ``type`` says "failed" or
  "grading failed") and ``<skipped>``, and no output of its own: the reason,
  conversation and program output are the failure's text; what a passing test
  kept (the startup test's first lines) is in the suite's ``<system-out>``;
- times with at most three decimals.

A bonus test not earned is ``<skipped>``, not a failure: a student with every
point of the assignment is a green build. Its reason is the element's text (no
``message`` attribute, which dtkit's schema refuses), the conversation after it. A test the grader
failed (not the student) is a failure of type "grading failed"; ``<error>`` is
left out, since copies of junit-10.xsd spell that element two ways.

Each suite's properties: score, max_score, bonus_score (when the assignment
has bonus tests), isolation, and ``isolation_warning`` when graded below full
isolation. ``timestamp`` is when the file was written, in UTC; with ``--stable``
(``timestamp=None``) it is ``$SOURCE_DATE_EPOCH`` or 1970-01-01T00:00:00, and
the hostname ``localhost``, so two runs write the same bytes.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

from grader.reporting import gradebook, isolation_note
from grader.results import Status
from grader.shown import shown

STABLE_HOST = "localhost"
# Characters XML 1.0 cannot carry at all that ``shown`` keeps: shown escaped.
_NOT_XML = re.compile("[\ufffe\uffff]")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _stable_time() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(epoch) if epoch.isdigit() else 0
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _text(value, lines: bool = False) -> str:
    """An attribute's value (``lines``: an element's text, newlines kept): what a student controls shown
    (``grader.shown``), and nothing XML cannot carry."""
    return _NOT_XML.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), shown(value, lines))


def _seconds(value: float) -> str:
    return f"{max(float(value or 0), 0.0):.3f}"


def _part(name: str) -> str:
    # Jenkins reads "package.Class" from the classname: the student, then the assignment.
    return name.replace(".", "_")


def build(results, timestamp: dt.datetime | None = None, book=None) -> ET.Element:
    """``book``: the run's gradebook; a suite whose points were cut says so in properties."""
    cut = gradebook.penalised(book) if book else {}
    when = (timestamp or _stable_time()).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    host = (socket.gethostname() or STABLE_HOST) if timestamp else STABLE_HOST
    root = ET.Element("testsuites")
    for index, result in enumerate(results):
        package = _part(result.student)
        classname = f"{package}.{_part(result.assignment or 'submission')}"
        cases, printed = [], []
        failures = skipped = 0
        for test in result.tests:
            case = ET.Element("testcase", name=_text(test.name), classname=_text(classname),
                              time=_seconds(test.duration))
            if test.status is Status.GRADING_FAILED:
                _add(case, "failure", "grading failed", test.reason or "grading failed", test.output_text())
                failures += 1
            elif not test.passed and test.bonus:
                _add_skipped(case, f"bonus not earned: {test.reason or 'failed'}", test.output_text())
                skipped += 1
            elif not test.passed:
                _add(case, "failure", "failed", test.reason or "failed", test.output_text())
                failures += 1
            else:
                printed += [f"{test.name}: the {who} printed:\n{text.rstrip()}\n"
                            for who, text in (("server", test.server_output), ("client", test.client_output))
                            if text.strip()]
            cases.append(case)
        if result.ungraded:
            case = ET.Element("testcase", name="grading", classname=_text(classname), time=_seconds(0))
            kind = "grading failed" if result.status is Status.GRADING_FAILED else "not graded"
            _add(case, "failure", kind, result.error, "")
            failures += 1
            cases.append(case)
        suite = ET.SubElement(root, "testsuite", {
            "name": _text(f"{result.student} / {result.assignment}" if result.assignment else result.student),
            "tests": str(len(cases)), "failures": str(failures), "errors": "0", "skipped": str(skipped),
            "time": _seconds(result.duration), "timestamp": when, "hostname": _text(host),
            "id": str(index), "package": _text(package)})
        properties = ET.SubElement(suite, "properties")
        for name, value in _properties(result, cut.get((result.student, result.assignment))):
            ET.SubElement(properties, "property", name=name, value=_text(value))
        suite.extend(cases)
        ET.SubElement(suite, "system-out").text = _text("\n".join(printed), lines=True)
        ET.SubElement(suite, "system-err")
    return root


def _add(case: ET.Element, tag: str, kind: str, message: str, text: str) -> None:
    element = ET.SubElement(case, tag, {"message": _text(message), "type": kind})
    element.text = _text(text, lines=True) if text else None


def _add_skipped(case: ET.Element, reason: str, text: str) -> None:
    # The reason as text, not as a message attribute: dtkit's junit-4.xsd gives <skipped> none.
    ET.SubElement(case, "skipped").text = _text(f"{reason}\n\n{text}" if text else reason, lines=True)


def _properties(result, cut: tuple[list[str], float] | None = None) -> list[tuple[str, object]]:
    """``cut``: what the course's penalties took from it and the points left (``gradebook.penalised``)."""
    found = [("score", f"{result.score:g}"), ("max_score", f"{result.max_score:g}")]
    if cut:
        found += [("penalties", "; ".join(cut[0])), ("score_after_penalties", f"{cut[1]:g}")]
    if any(t.bonus for t in result.tests):
        found.append(("bonus_score", f"{result.bonus_score:g}"))
    if result.forms:
        found.append(("forms", result.form_words))
    found.append(("isolation", result.isolation))
    if isolation_note.below(result):
        found.append(("isolation_warning", isolation_note.level_warning(result.isolation)))
    return found


def text(results, timestamp: dt.datetime | None = None, book=None) -> str:
    root = build(results, timestamp, book)
    ET.indent(root, space="\t")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(results, path: Path, timestamp: dt.datetime | None = None, book=None) -> None:
    """``timestamp``: when the results were written (``now()``); None: a fixed one (``--stable``)."""
    Path(path).write_text(text(results, timestamp, book), encoding="utf-8")
