"""One cause, one explanation: tests that failed for the same cause point to the first of them. The cause is
data the runner sets where it words the reason; the words themselves decide nothing."""
from __future__ import annotations

import html
import json
from pathlib import Path

from rich.console import Console

from grader import results as res
from grader.grading import marking
from grader.reporting import causes, feedback, html_report, stable, terminal
from grader.results import AssignmentResult, Cause, Why
from grader.job.context import Outcome

CRASH = ("your server exited (code 1) before binding a port: KeyError: 'bob' (contactserverudp.py, line 23)")
LATER_CRASH = ("step 2 (c1 expect): expected 'bob added', got nothing; your server stopped (exit code 1): "
               "KeyError: 'bob' (contactserverudp.py, line 23)")
CRASHED = Why(Cause.CRASHED, role="server", detail="KeyError: 'bob' (contactserverudp.py, line 23)")
WRONG = Why(Cause.WRONG_REPLY)
ABSENT = Why(Cause.NOT_HANDED_IN, detail="contactclientudp.py")


def result(*tests) -> AssignmentResult:
    return AssignmentResult("alice", "udp-contacts", "UDP contact book", list(tests), isolation="sandbox")


def failed(name: str, reason: str, cause: Why, status: res.Status = res.Status.FAILED, **more) -> res.TestResult:
    return res.TestResult(name, [], 0, 2, status, reason=reason, hint=f"hint for {name}", cause=cause, **more)


def test_tests_that_failed_for_one_cause_point_to_the_first():
    r = result(failed("binds", CRASH, CRASHED), res.TestResult("ok", [], 2, 2, res.Status.PASSED),
               failed("add", LATER_CRASH, CRASHED),
               failed("find", "step 3 (c1 expect): expected 'Not found', got 'None'", WRONG),
               failed("remove", "step 3 (c1 expect): expected 'Not found', got 'None'", WRONG),
               failed("client", "contactclientudp.py was not handed in", ABSENT, res.Status.NOT_HANDED_IN,
                      missing="contactclientudp.py"),
               failed("pair", "contactclientudp.py was not handed in", ABSENT, res.Status.NOT_HANDED_IN,
                      missing="contactclientudp.py"))
    assert causes.followers(r) == {"add": "binds", "pair": "client"}    # a wrong answer is each test's own


def test_the_cause_decides_never_the_words():
    # A server that sends a traceback's words as its reply has not crashed; the same words of two wrong replies
    # are two causes.
    quoted = "step 2 (c1 expect): expected 'ok', got 'KeyError: bob (server.py, line 3)'"
    assert causes.followers(result(failed("a", quoted, WRONG), failed("b", quoted, WRONG))) == {}
    # The same crash worded twice differently is one cause ...
    assert causes.followers(result(failed("a", CRASH, CRASHED), failed("b", "anything else", CRASHED))) == {"b": "a"}
    # ... and the same port missed by two programs is two.
    server, other = (Why(Cause.DID_NOT_BIND, role=role, transport="udp", port=9999) for role in ("server", "relay"))
    assert causes.followers(result(failed("a", "x", server), failed("b", "x", other), failed("c", "y", server))) \
        == {"c": "a"}


def test_a_grading_failure_or_a_hidden_test_is_nobodys_follower():
    r = result(failed("binds", CRASH, CRASHED), failed("hidden", CRASH, CRASHED, hidden=True),
               failed("broken", CRASH, CRASHED, res.Status.GRADING_FAILED))
    assert causes.followers(r) == {}


def test_the_terminal_feedback_and_report_give_the_explanation_once(tmp_path):
    r = result(failed("binds", CRASH, CRASHED), failed("add", LATER_CRASH, CRASHED), failed("find", LATER_CRASH, CRASHED))
    console = Console(record=True, width=300)
    terminal.render([r], console)
    shown = console.export_text()
    assert shown.count("KeyError") == 1 and shown.count("hint for") == 1
    assert shown.count("same cause as “binds” (see there)") == 2
    (path,) = feedback.write([r], marking.build([r]), tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.count("KeyError") == 1 and text.count("Same cause as “binds” (see there).") == 2
    # The report's lists show a test apart from the first (the struggled tests, the pass rates): a follower
    # is counted under the first test's own reason, never sent to "see there" off the list.
    report = html_report.render([r], marking.build([r]))
    assert "see there" not in report
    assert report.count(html.escape(CRASH, quote=True)) >= 3


def test_a_cause_goes_through_the_worker_the_cache_and_the_json():
    limit = Why(Cause.LIMIT, role="server", limit="memory_mib", value=64)
    outcome = Outcome(reason="your server stopped: used more than 64 MiB of memory", cause=limit)
    assert Outcome.from_dict(json.loads(json.dumps(outcome.to_dict()))).cause == limit
    test = failed("binds", outcome.reason, limit)
    record = json.loads(json.dumps(test.to_dict()))
    assert record["extra_data"]["cause"] == {"kind": "limit", "role": "server", "limit": "memory_mib", "value": 64}
    assert res.TestResult.from_dict(record).cause == limit
    passed = res.TestResult("ok", [], 2, 2, res.Status.PASSED)
    assert "cause" not in passed.to_dict()["extra_data"] and res.TestResult.from_dict(passed.to_dict()).cause is None


def test_stable_cleans_a_causes_words_as_the_reasons():
    crash = Why(Cause.CRASHED, role="server", detail="OSError: no pid 4711 in /tmp/sockgrade-test-k2j4x9_a (s.py, line 3)")
    (r,) = stable.stable([result(failed("a", f"your server stopped (exit code 1): {crash.detail}", crash))])
    assert r.tests[0].cause == Why(Cause.CRASHED, role="server", detail="OSError: no pid <n> in <scratch> (s.py, line 3)")
    assert r.tests[0].reason.endswith(r.tests[0].cause.detail)


def test_every_cause_is_described_for_teachers_scripts():
    described = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    assert [c.value for c in Cause if f"`{c.value}`" not in described] == []
