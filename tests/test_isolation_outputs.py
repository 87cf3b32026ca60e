"""Results graded below full isolation say so in every output; sandbox results look as they always did."""
import csv
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html import unescape
from types import SimpleNamespace

import pytest
from rich.console import Console

from conftest import EXAMPLES, NONE_PYTHON, ROOT, loopback_lock
from grader.commands.grade import write_outputs
from grader.grading import marking
from grader.reporting import gradebook, gradescope, isolation_note, terminal
from grader.runner import isolation
from grader import results as res         # res.TestResult: a name pytest does not try to collect
from grader.results import AssignmentResult

BELOW = ("netns", "none")


def result(student: str, isolation: str, assignment: str = "udp-echo", error: str = "") -> AssignmentResult:
    tests = [] if error else [
        res.TestResult(name="server binds UDP 9999", tags=["startup"], points=2, max_points=2,
                       status=res.Status.PASSED),
        res.TestResult(name="server answers Hello, <data>!", tags=["protocol"], points=0, max_points=2,
                       status=res.Status.FAILED,
                   reason="expected 'Hello, message1!', got nothing", hint="Reply with sendto.",
                   transcript=[{"t": 0.1, "who": "main", "event": "sent", "data": "message1"}]),
    ]
    return AssignmentResult(student=student, assignment=assignment, title="UDP echo server and client",
                            tests=tests, isolation=isolation, files={"server": "serverudp.py"}, error=error,
                            status=res.Status.NOT_GRADED if error else res.Status.GRADED,
                            duration=1.5)


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces (rich wraps long lines)."""
    return " ".join(text.split())


def terminal_text(results, single: bool) -> str:
    console = Console(record=True, width=200, color_system=None)
    if single:
        terminal.render(results, console)
    else:
        terminal.render_class(results, marking.build(results), console)
    return console.export_text()


def write_everything(results, out) -> dict[str, str]:
    """Every output of ``grade`` for these results, as text: file outputs the way write_outputs writes them."""
    args = SimpleNamespace(json=out / "results.json", csv=out / "grades.csv", junit=out / "junit.xml",
                           feedback=out / "feedback", report=out / "report.html", title=None, stable=False,
                           fail_under=None)
    assert write_outputs(results, marking.build(results), args, Console(record=True), title="Class report") == 0
    feedback = {p.stem: p.read_text(encoding="utf-8") for p in sorted((out / "feedback").glob("*.md"))}
    gradescope.write(results, out / "gs" / "results.json")
    return {
        "json": (out / "results.json").read_text(encoding="utf-8"),
        "csv": (out / "grades.csv").read_text(encoding="utf-8-sig"),
        "junit": (out / "junit.xml").read_text(encoding="utf-8"),
        "html": (out / "report.html").read_text(encoding="utf-8"),
        "feedback": "\n".join(feedback.values()),
        "gradescope": (out / "gs" / "results.json").read_text(encoding="utf-8"),
        "terminal class": terminal_text(results, single=False),
        "terminal single": terminal_text([r for r in results if r.student == results[0].student], single=True),
    }


def csv_rows(text: str) -> dict[str, list[str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][-1] == "problems"
    return {row[0]: row for row in rows[1:]}


def readable(name: str, text: str) -> str:
    """What a reader of the output sees, flattened: JSON and XML decoded, HTML unescaped."""
    if name in ("json", "gradescope"):
        return flat(json.dumps(json.loads(text), ensure_ascii=False))
    return flat(unescape(text))


# -- one level for the whole class ---------------------------------------------------------------
@pytest.mark.parametrize("level", BELOW)
def test_every_output_warns_below_sandbox(level, tmp_path):
    results = [result("alice", level), result("bob", level)]
    outputs = write_everything(results, tmp_path)
    warning = isolation_note.level_warning(level)
    assert f"isolation '{level}'" in warning and "below full isolation ('sandbox')" in warning
    for name, text in outputs.items():
        seen = readable(name, text)
        if name == "csv":           # a cell says it in a few words
            assert seen.count(f"isolation {level} (below sandbox)") == 2
        else:
            assert f"Graded with isolation '{level}', below full isolation ('sandbox')" in seen, name
    # the warning is the same text everywhere (markdown escaping aside, where it has nothing to escape)
    for name in ("json", "gradescope", "junit", "html", "feedback", "terminal class", "terminal single"):
        assert flat(warning) in readable(name, outputs[name]), name


@pytest.mark.parametrize("level", BELOW)
def test_each_format_says_it_where_it_belongs(level, tmp_path):
    results = [result("alice", level), result("bob", level), result("oscar", level, error="oscar.zip is broken")]
    outputs = write_everything(results, tmp_path)
    warning = isolation_note.level_warning(level)

    for record in json.loads(outputs["json"]):
        assert record["extra_data"]["isolation"] == level
        assert record["extra_data"]["isolation_warning"] == warning

    rows = csv_rows(outputs["csv"])
    assert rows["alice"][-1] == f"isolation {level} (below sandbox)"
    assert rows["oscar"][-1] == f"udp-echo: oscar.zip is broken; isolation {level} (below sandbox)"
    assert len(rows["alice"]) == len(rows["oscar"]) == 8           # no new column for the note

    for suite in ET.fromstring(outputs["junit"]).findall("testsuite"):
        props = {p.get("name"): p.get("value") for p in suite.find("properties")}
        assert props["isolation"] == level and props["isolation_warning"] == warning

    html = outputs["html"]
    banner = re.search(r'<section class="isolation-warning"[^>]*>(.*?)</section>', html, re.S)
    assert banner and html.index(banner.group(0)) < html.index("<h2>Score distribution")     # at the top
    assert f"Graded below full isolation: {level}</h2>" in banner.group(1)
    assert warning in unescape(banner.group(1))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html) and "<link" not in html

    for path in (tmp_path / "feedback").glob("*.md"):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# Feedback for ")
        assert lines[2].startswith(f"**Note:** Graded with isolation '{level}', below full isolation")

    gs = json.loads(outputs["gradescope"])
    assert gs["output"].startswith(f"Warning: Graded with isolation '{level}'")
    assert gs["extra_data"]["isolation"] == [level] and gs["extra_data"]["isolation_warning"] == warning

    single = outputs["terminal single"]
    assert f"score 2 / 4  isolation: {level} (below sandbox)" in single
    assert "WARNING: " + flat(warning) in flat(single)
    klass = outputs["terminal class"]
    assert "WARNING: " + flat(warning) in flat(klass)
    assert "⚠" not in klass                     # all alike: the line under the table says it, no row marks
    assert klass.index("WARNING") > klass.index("alice")


def test_the_note_is_no_grading_problem(tmp_path):
    """--fail-under and 'could not be graded' ignore the level: it is a warning, not a failure to grade."""
    full = [AssignmentResult("alice", "udp-echo", "UDP echo", [res.TestResult("t", [], 2, 2, res.Status.PASSED)], isolation="none")]
    book = marking.build(full)
    assert book.rows[0].problems == [] and gradebook.below(book, 100) == []
    outputs = write_everything(full, tmp_path)
    assert '<div class="value">0</div><div class="label">could not be graded</div>' in outputs["html"]


# -- full isolation: nothing new --------------------------------------------------------------------
def test_sandbox_results_say_nothing_new(tmp_path):
    results = [result("alice", "sandbox"), result("bob", "sandbox"),
               result("oscar", "sandbox", error="oscar.zip is broken")]
    assert isolation_note.warning(results) == "" and isolation_note.student_notes(results) == {}
    outputs = write_everything(results, tmp_path)
    for name, text in outputs.items():
        seen = readable(name, text)
        for word in ("isolation_warning", "below full isolation", "below sandbox", "WARNING", "Warning:", "⚠"):
            assert word not in seen, (name, word)
    assert all("isolation_warning" not in r["extra_data"] for r in json.loads(outputs["json"]))
    rows = csv_rows(outputs["csv"])
    assert rows["alice"][-1] == "" and rows["oscar"][-1] == "udp-echo: oscar.zip is broken"
    props = [p.get("name") for p in ET.fromstring(outputs["junit"]).iter("property")]
    assert set(props) == {"score", "max_score", "isolation"}
    assert "isolation-warning" not in outputs["html"]               # neither the banner nor its style
    assert (tmp_path / "feedback" / "alice.md").read_text(encoding="utf-8").startswith(
        "# Feedback for alice\n\n## udp-echo: UDP echo server and client\n")
    gs = json.loads(outputs["gradescope"])
    assert gs["output"] == "UDP echo server and client: 2 / 4\nUDP echo server and client: 2 / 4\noscar.zip is broken"
    assert "isolation_warning" not in gs["extra_data"]
    single = outputs["terminal single"].splitlines()
    assert "score 2 / 4  isolation: sandbox" in single


# -- mixed levels ------------------------------------------------------------------------------------
def test_mixed_levels_name_who_was_graded_below(tmp_path):
    results = [result("alice", "sandbox"), result("bob", "netns"), result("carol", "none"),
               result("dave", "sandbox", "udp-contacts"), result("dave", "netns")]
    warning = isolation_note.warning(results)
    assert warning.startswith("Not every result was graded with full isolation ('sandbox').")
    assert "Graded at 'netns': bob (udp-echo), dave (udp-echo)." in warning
    assert "Graded at 'none': carol (udp-echo)." in warning
    assert warning.index("'none'") < warning.index("'netns'")             # worst first
    assert "alice" not in warning and "udp-contacts" not in warning
    outputs = write_everything(results, tmp_path)

    for name, text in outputs.items():
        if name in ("terminal single", "feedback"):
            continue
        seen = readable(name, text)
        for level in BELOW:
            said = f"isolation {level} (below sandbox)" if name == "csv" else f"Graded with isolation '{level}'"
            assert said in seen, (name, level)

    by_key = {(r["student"], r["assignment"]): r["extra_data"] for r in json.loads(outputs["json"])}
    assert "isolation_warning" not in by_key[("alice", "udp-echo")]
    assert "isolation_warning" not in by_key[("dave", "udp-contacts")]
    assert "'netns'" in by_key[("bob", "udp-echo")]["isolation_warning"]
    assert "'none'" in by_key[("carol", "udp-echo")]["isolation_warning"]

    rows = csv_rows(outputs["csv"])
    # the isolation note comes after the rest (e.g. an assignment not handed in)
    assert [isolation_part(rows[s][-1]) for s in ("alice", "bob", "carol", "dave")] == [
        "", "isolation netns (below sandbox)", "isolation none (below sandbox)",
        "isolation netns (below sandbox) for udp-echo"]

    junit = {s.get("name"): {p.get("name") for p in s.iter("property")}
             for s in ET.fromstring(outputs["junit"]).findall("testsuite")}
    assert "isolation_warning" not in junit["alice / udp-echo"] | junit["dave / udp-contacts"]
    assert "isolation_warning" in junit["bob / udp-echo"] & junit["carol / udp-echo"] & junit["dave / udp-echo"]

    assert "Graded below full isolation: none, netns</h2>" in outputs["html"]

    feedback = {p.stem: p.read_text(encoding="utf-8") for p in (tmp_path / "feedback").glob("*.md")}
    assert "**Note:**" not in feedback["alice"]
    assert "**Note:** Graded with isolation 'netns'" in feedback["bob"]
    assert "**Note:** Graded with isolation 'none'" in feedback["carol"]
    assert "Graded at 'netns': dave (udp-echo)." in flat(feedback["dave"])      # only one of his assignments

    klass = outputs["terminal class"]
    marked = {line.split("│")[1].split()[0]: "⚠" in line for line in klass.splitlines()
              if line.startswith("│") and line.split("│")[1].strip()}
    assert marked == {"alice": False, "bob": True, "carol": True, "dave": True}
    assert "⚠ isolation none (below sandbox)" in klass
    assert "WARNING: " + flat(warning) in flat(klass)

    dave = gradescope.results_json([r for r in results if r.student == "dave"])
    assert dave["output"].startswith("Warning: Not every result was graded with full isolation")
    assert "dave (udp-echo)" in dave["output"] and dave["extra_data"]["isolation"] == ["netns", "sandbox"]


def test_a_long_list_of_names_is_cut_in_the_terminal():
    results = [result(f"s{i:02}", "netns") for i in range(30)] + [result("top", "sandbox")]
    console = Console(record=True, width=200, color_system=None)
    terminal.render_class(results, marking.build(results), console)
    line = flat(console.export_text())
    assert "s19 (udp-echo), and 10 more." in line and "s20 (udp-echo)" not in line.split("WARNING")[1]
    assert "s29 (udp-echo)" in isolation_note.warning(results)             # elsewhere, everyone is named


# -- grade merge ---------------------------------------------------------------------------------------
def grade(*args, python: str = sys.executable) -> subprocess.CompletedProcess:
    # Another interpreter (see conftest.python_for_none) finds the grader's packages on this one's path.
    path = os.pathsep.join([str(ROOT), *(p for p in sys.path if p.endswith("site-packages"))])
    return subprocess.run([python, "-m", "grader", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "200", "PYTHONPATH": path}, timeout=120)


def test_merged_shards_keep_the_warning(tmp_path):
    alice, bob = [result("alice", "sandbox")], [result("bob", "netns")]
    write_outputs(alice, marking.build(alice), SimpleNamespace(
        json=tmp_path / "shard1.json", csv=None, junit=None, feedback=None, report=None, stable=False,
        fail_under=None, title=None), Console(record=True), title="x")
    write_outputs(bob, marking.build(bob), SimpleNamespace(
        json=tmp_path / "shard2.json", csv=None, junit=None, feedback=None, report=None, stable=False,
        fail_under=None, title=None), Console(record=True), title="x")
    # a record of an older grader: no isolation at all (taken as 'none'), and a warning text long out of date
    old = json.loads((tmp_path / "shard2.json").read_text(encoding="utf-8"))[0]
    old["student"] = "carol"
    del old["extra_data"]["isolation"]
    old["extra_data"]["isolation_warning"] = "stale text"
    (tmp_path / "shard3.json").write_text(json.dumps([old]), encoding="utf-8")
    out = tmp_path / "merged"
    proc = grade("merge", tmp_path / "shard1.json", tmp_path / "shard2.json", tmp_path / "shard3.json",
                 "--json", out / "merged.json", "--csv", out / "grades.csv", "--junit", out / "junit.xml",
                 "--feedback", out / "feedback", "--report", out / "report.html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Graded with isolation 'netns'" in flat(proc.stdout) and "Graded at 'none': carol" in flat(proc.stdout)
    records = {r["student"]: r["extra_data"] for r in json.loads((out / "merged.json").read_text(encoding="utf-8"))}
    assert "isolation_warning" not in records["alice"]
    assert records["bob"]["isolation_warning"] == isolation_note.level_warning("netns")
    assert records["carol"]["isolation"] == "none"
    assert records["carol"]["isolation_warning"] == isolation_note.level_warning("none")       # not "stale text"
    assert "stale text" not in (out / "merged.json").read_text(encoding="utf-8")
    rows = csv_rows((out / "grades.csv").read_text(encoding="utf-8-sig"))
    assert [isolation_part(rows[s][-1]) for s in ("alice", "bob", "carol")] == [
        "", "isolation netns (below sandbox)", "isolation none (below sandbox)"]
    assert "Graded below full isolation: none, netns</h2>" in (out / "report.html").read_text(encoding="utf-8")
    assert "isolation_warning" in (out / "junit.xml").read_text(encoding="utf-8")
    assert "**Note:**" in (out / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert "**Note:**" not in (out / "feedback" / "alice.md").read_text(encoding="utf-8")


# -- the real command line -------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["netns", "none"])
def test_grading_below_sandbox_says_so_in_every_file(level, tmp_path):
    python = NONE_PYTHON if level == "none" else sys.executable
    if not python or level not in isolation.available_levels(python):
        pytest.skip(f"level {level} is not available here")
    out = tmp_path / "out"
    with loopback_lock(level):
        proc = grade(EXAMPLES / "bob", "--isolation", level, "--spec", "udp-echo", "--test", "server binds UDP 9999",
                 "--cache-dir", tmp_path / "cache", "--json", out / "results.json", "--csv", out / "grades.csv",
                     "--junit", out / "junit.xml", "--feedback", out / "feedback", "--report",
                     out / "report.html", python=python)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected = f"Graded with isolation '{level}', below full isolation ('sandbox')"
    assert f"isolation: {level} (below sandbox)" in proc.stdout
    assert "WARNING: " + expected in flat(proc.stdout)
    # The run's footer names the level and the limits that held, as it does at full isolation.
    assert re.search(rf"^isolation: {level} \(below sandbox\); limits: \S", proc.stdout, re.M), proc.stdout
    record, = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert record["extra_data"]["isolation"] == level
    assert record["extra_data"]["isolation_warning"].startswith(expected)
    rows = csv_rows((out / "grades.csv").read_text(encoding="utf-8-sig"))
    assert isolation_part(rows["bob"][-1]) == f"isolation {level} (below sandbox)"
    props = {p.get("name"): p.get("value") for p in ET.parse(out / "junit.xml").getroot().iter("property")}
    assert props["isolation"] == level and props["isolation_warning"].startswith(expected)
    feedback = (out / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert feedback.splitlines()[2].startswith("**Note:** " + expected)
    html = unescape((out / "report.html").read_text(encoding="utf-8"))
    assert 'class="isolation-warning"' in html and f"Graded below full isolation: {level}</h2>" in html
    assert expected in html


def isolation_part(problems: str) -> str:
    """The isolation note of a CSV row's problems: its last entry, when it is one."""
    last = problems.split("; ")[-1]
    return last if last.startswith("isolation ") else ""
