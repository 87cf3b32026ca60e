"""One cause, one explanation: tests that failed for the same reason point to the first of them."""
from __future__ import annotations

from rich.console import Console

from grader import results as res
from grader.grading import marking
from grader.reporting import causes, feedback, html_report, terminal
from grader.results import AssignmentResult

CRASH = ("your server exited (code 1) before binding a port: KeyError: 'bob' (contactserverudp.py, line 23)")
LATER_CRASH = ("step 2 (c1 expect): expected 'bob added', got nothing; your server stopped (exit code 1): "
               "KeyError: 'bob' (contactserverudp.py, line 23)")


def result(*tests) -> AssignmentResult:
    return AssignmentResult("alice", "udp-contacts", "UDP contact book", list(tests), isolation="sandbox")


def failed(name: str, reason: str, status: res.Status = res.Status.FAILED, **more) -> res.TestResult:
    return res.TestResult(name, [], 0, 2, status, reason=reason, hint=f"hint for {name}", **more)


def test_tests_that_failed_for_one_cause_point_to_the_first():
    r = result(failed("binds", CRASH), res.TestResult("ok", [], 2, 2, res.Status.PASSED), failed("add", LATER_CRASH),
               failed("find", "step 3 (c1 expect): expected 'Not found', got 'None'"),
               failed("remove", "step 3 (c1 expect): expected 'Not found', got 'None'"),
               failed("client", "contactclientudp.py was not handed in", res.Status.NOT_HANDED_IN,
                      missing="contactclientudp.py"),
               failed("pair", "contactclientudp.py was not handed in", res.Status.NOT_HANDED_IN,
                      missing="contactclientudp.py"))
    assert causes.followers(r) == {"add": "binds", "pair": "client"}    # a wrong answer is each test's own


def test_a_grading_failure_or_a_hidden_test_is_nobodys_follower():
    r = result(failed("binds", CRASH), failed("hidden", CRASH, hidden=True),
               failed("broken", CRASH, res.Status.GRADING_FAILED))
    assert causes.followers(r) == {}


def test_the_terminal_feedback_and_report_give_the_explanation_once(tmp_path):
    r = result(failed("binds", CRASH), failed("add", LATER_CRASH), failed("find", LATER_CRASH))
    console = Console(record=True, width=300)
    terminal.render([r], console)
    shown = console.export_text()
    assert shown.count("KeyError") == 1 and shown.count("hint for") == 1
    assert shown.count("same cause as “binds” (see there)") == 2
    (path,) = feedback.write([r], marking.build([r]), tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.count("KeyError") == 1 and text.count("Same cause as “binds” (see there).") == 2
    report = html_report.render([r], marking.build([r]))
    assert "same cause as “binds” (see there)" in report
