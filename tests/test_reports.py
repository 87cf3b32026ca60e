"""Every output of a graded class: JSON, the CSV gradebook, JUnit, feedback, and the HTML report in Chromium."""
import csv
import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html import unescape

import pytest

from classbuild import HIDDEN_TEST


def test_json_is_every_record_with_unicode_kept(graded_class):
    raw = (graded_class.out / "run1.json").read_text(encoding="utf-8")
    assert '"student": "张三"' in raw                     # not \u5f20\u4e09
    for record in graded_class.records:
        assert {"student", "assignment", "score", "max_score", "output", "execution_time", "tests"} <= set(record)


def test_csv_gradebook_opens_in_excel(graded_class):
    raw = (graded_class.out / "grades.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                   # the BOM Excel needs to read UTF-8
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["student", "udp-contacts", "udp-echo-h", "total", "max", "percent", "bonus", "failed tests",
                       "problems"]
    table = {row[0]: row[1:] for row in rows[1:]}
    assert list(table) == ["alice", "erin", "frank", "ivan", "oscar", "peggy", "trudy", "张三"]
    # graded below the sandbox (this machine's best level), every row's problems say so, after the rest
    note = below_sandbox_note(graded_class)
    assert table["张三"] == ["30", "12", "42", "42", "100.0", "0", "0", note]
    assert table["erin"] == ["25", "0", "25", "42", "59.5", "0", "3", "; ".join(filter(None, [
        "not handed in: udp-echo-h", note]))]
    assert table["frank"][:3] == ["0", "2", "2"]
    assert table["oscar"][:3] == ["", "", "0"]
    assert table["oscar"][-1] == "; ".join(filter(None, ["oscar.zip is not a zip file that can be opened",   # said once
                                                          note]))


def level(graded_class) -> str:
    """The isolation level the class was graded at (the best this machine has)."""
    levels = {r["extra_data"]["isolation"] for r in graded_class.records}
    assert len(levels) == 1
    return levels.pop()


def below_sandbox_note(graded_class) -> str:
    return "" if level(graded_class) == "sandbox" else f"isolation {level(graded_class)} (below sandbox)"


def test_every_output_says_whether_the_class_ran_below_sandbox(graded_class):
    at = level(graded_class)
    below = at != "sandbox"
    said = f"Graded with isolation '{at}', below full isolation ('sandbox')"
    for record in graded_class.records:
        assert record["extra_data"].get("isolation_warning", "").startswith(said) if below \
            else "isolation_warning" not in record["extra_data"]
    root = ET.parse(graded_class.out / "junit.xml").getroot()
    for suite in root.findall("testsuite"):
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["isolation"] == at
        assert props.get("isolation_warning", "").startswith(said) if below else "isolation_warning" not in props
    for path in (graded_class.out / "feedback").glob("*.md"):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[2].startswith(f"**Note:** {said}") if below else not lines[2].startswith("**Note:**")
    html = (graded_class.out / "report.html").read_text(encoding="utf-8")
    assert ('class="isolation-warning"' in html and f"Graded below full isolation: {at}</h2>" in html) == below
    assert ("WARNING: " + said in " ".join(graded_class.proc.stdout.split())) == below


def test_junit_has_a_suite_per_student_and_assignment(graded_class):
    root = ET.parse(graded_class.out / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [f"{r['student']} / {r['assignment']}" for r in graded_class.records]
    total = 0
    for suite in suites:
        cases = suite.findall("testcase")
        total += len(cases)
        assert int(suite.get("tests")) == len(cases) > 0
        assert int(suite.get("failures")) == sum(len(c.findall("failure")) for c in cases)
        assert int(suite.get("errors")) == sum(len(c.findall("error")) for c in cases)
        float(suite.get("time"))
        for case in cases:
            assert case.get("name") and case.get("classname")
            if case.get("time") is not None:
                float(case.get("time"))
            for bad in case.findall("failure") + case.findall("error"):
                assert bad.get("message")
    assert root.attrib == {}                      # the Ant schema allows no attribute on <testsuites>
    assert sum(int(s.get("tests")) for s in suites) == total
    by_name = {s.get("name"): s for s in suites}
    zhang = by_name["张三 / udp-echo-h"]
    assert {c.get("classname") for c in zhang.findall("testcase")} == {"张三.udp-echo-h"}
    frank = {c.get("name"): c for c in by_name["frank / udp-echo-h"].findall("testcase")}
    failure = frank["server binds UDP 9999"].find("failure")
    assert failure.get("message") == "your server listens on TCP 127.0.0.1:9999, this assignment needs UDP"
    erin = {c.get("name"): c for c in by_name["erin / udp-contacts"].findall("testcase")}
    output = erin["find of an unknown name says Not found"].find("failure").text
    assert "expected 'Not found', got 'None'" in output and "Conversation:" in output and "'find;" in output
    oscar = by_name["oscar / udp-echo-h"].find("testcase/failure")
    assert "not a zip file" in oscar.get("message") and oscar.get("type") == "not graded"


def test_feedback_is_a_file_per_student(graded_class):
    folder = graded_class.out / "feedback"
    assert sorted(p.name for p in folder.glob("*.md")) == sorted(
        f"{s}.md" for s in ("alice", "erin", "frank", "ivan", "oscar", "peggy", "trudy", "张三"))
    # beside them, a folder of pictures for a student with a failed conversation (erin's find), named alike
    pictured = {p.name for p in folder.iterdir() if p.is_dir()}
    assert "erin-pictures" in pictured and pictured <= {f"{p.stem}-pictures" for p in folder.glob("*.md")}
    zhang = (folder / "张三.md").read_text(encoding="utf-8")
    assert zhang.startswith("# Feedback for 张三")
    assert "Total: **42 / 42**" in zhang
    # alice's course-style client never resends a lost datagram: only that bonus fails
    assert [l for l in zhang.splitlines() if l.startswith("| ❌")] == [
        "| ❌ fail | client retries when the reply is lost | 0 / 2 bonus |"]

    erin = (folder / "erin.md").read_text(encoding="utf-8")
    assert "### ❌ find of an unknown name says Not found (0 / 2)" in erin
    assert "expected 'Not found', got 'None'" in erin
    assert "'find;" in erin                                           # the conversation
    assert "grade . --spec udp-contacts --test 'find of an unknown name says Not found'" in erin
    assert "`python3 contactserverudp.py`" in erin

    frank = (folder / "frank.md").read_text(encoding="utf-8")
    assert "| 🔒 hidden | server keeps answering after many datagrams | 0 / 1 |" in frank
    assert f"### ❌ {HIDDEN_TEST}" not in frank
    assert "The server must loop" not in frank                       # the hidden test's hint
    assert "server answers Hello, \\<data\\>" in frank                # not an HTML tag in Markdown

    oscar = (folder / "oscar.md").read_text(encoding="utf-8")
    assert "could not be graded" in oscar and "not a zip file" in oscar


# -- the class report, in a real browser ---------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             "--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'profile'}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(tmp_path)})


def test_report_is_self_contained(graded_class):
    html = (graded_class.out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html


def test_report_renders_in_chromium_without_errors(graded_class, tmp_path):
    page = (graded_class.out / "report.html").as_uri()
    proc = chromium(tmp_path, "--dump-dom", page)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert "Uncaught" not in proc.stderr, proc.stderr[-2000:]
    html_tag = re.search(r"<html[^>]*>", dom).group(0)
    assert 'data-ready="yes"' in html_tag                     # the page's script ran to its end
    # totals of 0, 0, 0, 0, 0, 2, 22 and 42 out of 42: three bars in the total chart, all drawn
    assert 'data-bars="3"' in html_tag
    assert "张三" in dom
    # pass rates among those who handed the file in: udp-echo-h's server tests 2 of 4, erin's 2 of 3
    struggled = dom[dom.index("Where the class struggled"):dom.index("Pass rate per test")]
    assert '<li class="watch"><span class="rate">50%</span> <b>replies go to each sender</b>' in struggled
    assert "client retries when the reply is lost" in struggled        # nobody's client resends
    rates = dom[dom.index("Pass rate per test"):dom.index("<h2>Students")]
    assert "find of an unknown name says Not found" in rates
    assert "expected 'Not found', got 'None'" in dom
    assert re.search(r'<tr class="watch"><td>server binds UDP 9999</td>.*?2/4<div class="muted small">'
                     r'\+2 without the file', rates)
    failed = dom[dom.index("Could not be graded"):]
    assert "oscar" in failed and "trudy" in failed
    banner = '<section class="isolation-warning"'
    assert (banner in dom) == (level(graded_class) != "sandbox")          # the page warns, above everything
    assert banner not in dom or dom.index(banner) < dom.index("Score distribution")

    shot = tmp_path / "report.png"
    proc = chromium(tmp_path, "--window-size=1280,2200", f"--screenshot={shot}", page)
    assert proc.returncode == 0 and "Uncaught" not in proc.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("SOCKGRADE_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["SOCKGRADE_KEEP_SCREENSHOT"])


def test_feedback_says_once_what_was_not_handed_in(graded_class):
    frank = (graded_class.out / "feedback" / "frank.md").read_text(encoding="utf-8")
    assert frank.count("**Not handed in:** contactclientudp.py or contact_client_udp.py; "
                       "contactserverudp.py or contact_server_udp.py.") == 1
    assert "### ❌ add replies NAME added" not in frank          # no section per test for a missing file


# -- one truth: the report's cards, lists and histogram, the CSV and the terminal count alike ------
def _report_students(html: str) -> dict[str, tuple[str, str]]:
    """The report's students table: student -> (percent, failed tests) as written."""
    body = html[html.index('<table class="students'):]
    body = body[:body.index("</table>")]
    found = {}
    for row in re.findall(r'<tr data-percent="[^"]*">(.*?)</tr>', body):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        name = re.sub(r"<a [^>]*>.*?</a>", "", cells[0]).strip()      # a link to the student's pictures
        found[unescape(name)] = (cells[-4], cells[-2])
    return found


def _terminal_students(out: str) -> dict[str, list[str]]:
    """The class table a pipe shows (the full one): student -> its cells."""
    table = out[out.index("students; percent over"):]
    rows = table[table.index("┡"):table.index("└")].splitlines()[1:]
    cells = [[c.strip() for c in row.strip("│").split("│")] for row in rows]
    return {re.sub(r" ⚠ .*", "", row[0]): row for row in cells}


def test_the_report_the_csv_and_the_terminal_count_alike(graded_class):
    from grader.grading import marking, standing
    from grader.results import AssignmentResult, Status
    html = (graded_class.out / "report.html").read_text(encoding="utf-8")
    csv_rows = {r["student"]: r for r in csv.DictReader((graded_class.out / "grades.csv").open(encoding="utf-8-sig"))}
    results = [AssignmentResult.from_dict(r) for r in graded_class.records]
    book = marking.build(results)
    report = _report_students(html)
    assert set(report) == set(csv_rows) == {row.student for row in book.rows}
    terminal = _terminal_students(graded_class.proc.stdout)
    for row in book.rows:
        said = csv_rows[row.student]
        assert report[row.student] == (said["percent"], said["failed tests"]), row.student
        cells = terminal[row.student]           # ..., total, %, [bonus,] failed, problems
        assert cells[-2] == said["failed tests"] and said["percent"] in cells[-5:-2], (row.student, cells)
        # The progress bar counts from the same place the table does.
        theirs = standing.of([r for r in results if r.student == row.student])
        assert (theirs.failed, theirs.incomplete) == (row.failed, row.incomplete), row.student
    # The cards and the list of those who could not be graded: the same students, and only them.
    cards = dict((label, value) for value, label in re.findall(
        r'<div class="value">([^<]*)</div><div class="label">([^<]*)</div>', html))
    listed = html[html.index("<h2>Could not be graded</h2>"):]
    listed = [unescape(n) for n in re.findall(r"<li><b>(.*?)</b>", listed[:listed.index("</div>")])]
    incomplete = sorted(row.student for row in book.rows if row.incomplete)
    assert sorted(listed) == incomplete and cards["could not be graded"] == str(len(incomplete))
    assert "oscar" in incomplete                                       # a zip that cannot be opened
    for row in book.rows:          # missing an assignment alone is no grading failure (the machine's may be)
        broken = any(r.status in (Status.GRADING_FAILED, Status.NOT_GRADED) or
                     any(t.status is Status.GRADING_FAILED for t in r.tests)
                     for r in results if r.student == row.student)
        assert (row.student in incomplete) == broken, row.student
    assert cards["missed an assignment"] == str(sum(1 for r in csv_rows.values() if "not handed in" in r["problems"]))
    # Each student sits in the bar of the percent the tables show, and "see there" points nowhere off the page.
    chart = html[html.index('data-view="total"><svg'):]
    chart = chart[:chart.index("</svg>")]
    for low, high, names in re.findall(r'data-low="(\d+)" data-high="(\d+)".*?<title>[^:]*: \d+ — ([^<]*)</title>',
                                       chart):
        for name in unescape(names).split(", "):
            percent = float(csv_rows[name]["percent"])
            assert int(low) <= percent < int(high) or (int(high) == 100 and percent == 100), (name, percent, low)
    assert "see there" not in html
