"""``--junit FILE``: JUnit XML, one testsuite per (student, assignment), a test case per test.

Each suite's properties: score, max_score, isolation, and ``isolation_warning``
when the suite was graded below full isolation.
"""
from __future__ import annotations

from pathlib import Path

from junit_xml import TestCase, TestSuite, to_xml_report_string

from grader.reporting import isolation_note


def build_suites(results) -> list[TestSuite]:
    suites = []
    for result in results:
        # Jenkins reads "package.Class" from the classname: the student, then the assignment.
        classname = ".".join(part.replace(".", "_") for part in (result.student, result.assignment or "submission"))
        cases = []
        for test in result.tests:
            case = TestCase(test.name, classname=classname,
                            elapsed_sec=test.duration, stdout=test.client_output or None,
                            stderr=test.server_output or None)
            if not test.passed:
                kind = "error" if test.grader_error else "failure"
                message = test.reason or "failed"
                if kind == "error":
                    case.add_error_info(message=message, output=test.output_text())
                else:
                    case.add_failure_info(message=message, output=test.output_text())
            cases.append(case)
        if result.error:
            case = TestCase("grading", classname=classname)
            case.add_error_info(message=result.error)
            cases.append(case)
        name = f"{result.student} / {result.assignment}" if result.assignment else result.student
        properties = {"score": result.score, "max_score": result.max_score, "isolation": result.isolation}
        if isolation_note.below(result):
            properties["isolation_warning"] = isolation_note.level_warning(result.isolation)
        suites.append(TestSuite(name, cases, properties=properties))
    return suites


def write(results, path: Path) -> None:
    Path(path).write_text(to_xml_report_string(build_suites(results), encoding="utf-8"), encoding="utf-8")
