"""The teacher's term: the course file, a gradebook that adds up, misnamed files, late work (issue 14)."""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import EXAMPLES
from grader.specfile import catalog
from grader.input import config, discover
from grader.grading import marking, standing
from grader.reporting import gradebook, lms
from grader import results as res

FOUR = ["tcp-echo-threaded", "udp-echo", "udp-contacts", "tcp-contacts-threaded"]
UTC8 = dt.timezone(dt.timedelta(hours=8))


def course_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sockgrade.toml"
    path.write_text(body, encoding="utf-8")
    return path


def four_assignments(extra: str = "", **due) -> str:
    text = ""
    for spec in FOUR:
        text += f'[[assignment]]\nspec = "{spec}"\n'
        if spec in due:
            text += f"due = {due[spec]}\n"
    return extra + text


# -- the course file -------------------------------------------------------------
def test_the_commented_course_file_loads_and_says_every_policy(tmp_path):
    path = course_file(tmp_path, config.COMMENTED)
    course = config.load(path)
    assert [a.spec for a in course.assignments] == FOUR
    assert course.bonus == "cap" and course.misnamed_penalty == 10
    assert course.late == config.LatePolicy(per_day=10, max_days=7, grace_minutes=15)
    assert course.outputs["csv"] == tmp_path / "results" / "grades.csv"         # relative to the file
    assert course.assignments[1].due == dt.datetime(2026, 10, 9, 23, 59, tzinfo=UTC8)


@pytest.mark.parametrize("body, where, says", [
    ("jobs = 0\n", ":1: jobs:", "at least 1"),
    ("[course]\nname = 'x'\nbonus = \"lots\"\n", ":3: course.bonus:", "cap, count, ignore"),
    ("[late]\nper_day = 150\n", ":2: late.per_day:", "0 to 100"),
    ('[[assignment]]\nspec = "udp-echo"\n\n[[assignment]]\nspec = "udp-contacts"\nweight = -1\n',
     ":6: assignment[2].weight:", "above 0"),
    ('[[assignment]]\nspec = "udp-echo"\ndue = "friday"\n', ":3: assignment[1].due:", "date and time"),
    ('[[assignment]]\nspec = "udp-echo"\n[extensions]\nbob = { udp-contacts = 2026-10-01T00:00:00Z }\n',
     ":4: extensions.bob.udp-contacts:", "none of the course's assignments (udp-echo)"),
    ("colour = 'blue'\n", ":1: colour:", "unknown setting"),
    ("[outputs]\nhtml = 'x.html'\n", ":2: outputs.html:", "[outputs] takes"),
    ("[late]\nper_days = 10\n", ":2: late.per_days:", "did you mean per_day?"),
    ("[late]\nmax_days = inf\n", ":2: late.max_days:", "0 or more, not inf"),          # TOML's inf is no limit
    ('assignment = [1, 2]\n', ":1: assignment[1]:", "must be a table ([[assignment]]), not 1"),
    ('[[assignment]]\nspec = "udp-echo"\n[[assignment]]\nspec = "udp-echo"\n', ":4: assignment[2].spec:",
     "declared twice"),
])
def test_a_mistake_in_the_course_file_names_its_line_and_key(tmp_path, body, where, says):
    path = course_file(tmp_path, body)
    with pytest.raises(config.ConfigError) as caught:
        config.load(path)
    message = str(caught.value)
    assert message.startswith(str(path) + where) and says in message, message


# -- the gradebook's arithmetic ----------------------------------------------------
def result(student, assignment, passed: dict[str, bool], bonus=(), points=1.0, **fields) -> res.AssignmentResult:
    tests = [res.TestResult(name, [], points if ok else 0.0, points, res.Status.verdict(ok), bonus=name in bonus,
                        reason="" if ok else "expected 'x', got 'y'") for name, ok in passed.items()]
    return res.AssignmentResult(student, assignment, assignment, tests, **fields)


def columns(*specs) -> tuple:
    return tuple(gradebook.Assignment(s, s, 10.0) for s in specs)


def test_percent_is_over_the_course_and_bonus_is_capped_apart():
    full = {f"t{i}": True for i in range(10)}
    one_failed = {**full, "t9": False}
    results = [result("ann", "a", {**one_failed, "extra": True}, bonus={"extra"}, points=1.0),
               result("ann", "b", full),
               result("bo", "a", full)]                                        # bo handed in one of four
    course = marking.Course(columns("a", "b", "c", "d"))
    book = marking.build(results, course)
    rows = {r.student: r for r in book.rows}
    assert book.over == "course" and "the course's 4 assignments" in book.basis
    assert rows["bo"].percent == 25.0 and rows["bo"].total == 10                # its points / the course's total
    assert "not handed in: b, c, d" in rows["bo"].problems and rows["bo"].absent == {"b", "c", "d"}
    assert rows["ann"].bonus == 1 and rows["ann"].failed == 1                   # a failed test is never hidden
    capped = marking.build([result("cy", "a", {**full, "extra": True}, bonus={"extra"})],
                           marking.Course(columns("a")))
    assert capped.rows[0].percent == 100.0 and capped.rows[0].bonus == 1       # 11 / 10 capped
    counted = marking.build([result("cy", "a", {**full, "extra": True}, bonus={"extra"})],
                            marking.Course(columns("a"), bonus="count"))
    assert counted.rows[0].percent == 110.0
    ignored = marking.build([result("cy", "a", {**one_failed, "extra": True}, bonus={"extra"})],
                            marking.Course(columns("a"), bonus="ignore"))
    assert ignored.rows[0].percent == 90.0


def test_weights_and_the_run_without_a_course():
    full, half = {f"t{i}": True for i in range(10)}, {f"t{i}": i < 5 for i in range(10)}
    weighed = marking.Course((gradebook.Assignment("a", "a", 10.0, weight=3),
                              gradebook.Assignment("b", "b", 40.0, weight=1)))
    book = marking.build([result("ann", "a", full), result("ann", "b", half, points=4.0)], weighed)
    assert book.rows[0].percent == round(100 * (3 * 1 + 1 * 0.5) / 4, 2)
    run = marking.build([result("ann", "a", full), result("bo", "b", half)])
    assert run.over == "run" and "this run's 2 assignments" in run.basis


def test_late_work_loses_its_share_per_day_and_an_extension_moves_the_date():
    due = dt.datetime(2026, 10, 9, 23, 59, tzinfo=UTC8)
    course = marking.Course((gradebook.Assignment("a", "a", 10.0, due=due),),
                            late=config.LatePolicy(per_day=10, max_days=3, grace_minutes=15),
                            extensions={"cy": {"a": due + dt.timedelta(days=2)}})
    full = {f"t{i}": True for i in range(10)}

    def handed(student, when):
        return result(student, "a", full, submitted_at=when.isoformat())
    book = marking.build([handed("on-time", due + dt.timedelta(minutes=10)),       # within the grace
                          handed("two-days", due + dt.timedelta(days=1, hours=3)),
                          handed("too-late", due + dt.timedelta(days=4)),
                          handed("cy", due + dt.timedelta(days=1))], course)
    rows = {r.student: r for r in book.rows}
    assert rows["on-time"].percent == 100 and not rows["on-time"].penalties
    assert rows["two-days"].percent == 80 and "2 days late" in rows["two-days"].penalties["a"][0]
    assert rows["too-late"].percent == 0 and "no points" in rows["too-late"].problems[0]
    assert rows["cy"].percent == 100                                               # her extension


# -- misnamed files and submission times on real submissions --------------------------
@dataclass
class Term:
    results: list
    book: gradebook.Gradebook
    specs: list
    proc: subprocess.CompletedProcess
    out: Path


@pytest.fixture(scope="module")
def graded_term(tmp_path_factory) -> Term:
    """`grade CLASS.zip` run where the course file is. bob handed in tcp-echo-threaded only; kim handed in
    udp-echo with the wrong file names; lee's udp-echo (a Moodle folder) was handed in on 2026-10-12, after
    its due date; canvasstu's files (frank's udp-echo) come as Canvas names them."""
    root = tmp_path_factory.mktemp("term")
    on_time, late = (2026, 10, 1, 12, 0, 0), (2026, 10, 12, 9, 30, 0)
    entries = [(f"bob/{name}", EXAMPLES / "bob" / name, on_time) for name in ("client.py", "serverthread.py")]
    entries += [("kim/UDPServer.py", EXAMPLES / "alice" / "serverudp.py", on_time),
                ("kim/my_client.py", EXAMPLES / "alice" / "clientudp.py", on_time)]
    entries += [(f"lee_4242_assignsubmission_file_/{name}", EXAMPLES / "alice" / name, late)      # Moodle's way
                for name in ("serverudp.py", "clientudp.py")]
    entries += [("canvasstu_555_777_serverudp.py", EXAMPLES / "frank" / "serverudp.py", on_time),  # Canvas's
                ("canvasstu_LATE_555_777_clientudp-1.py", EXAMPLES / "frank" / "clientudp.py", on_time)]
    with zipfile.ZipFile(root / "class.zip", "w") as z:     # the platform's download: its times are the truth
        for name, source, when in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=when), source.read_bytes())
    path = course_file(root, four_assignments(
        "[course]\nmisnamed_penalty = 10\n[late]\nper_day = 20\n"
        '[outputs]\njson = "out/results.json"\ncsv = "out/grades.csv"\nmoodle = "out/moodle.csv"\n'
        'canvas = "out/canvas.csv"\nfeedback = "out/feedback"\njunit = "out/junit.xml"\n',
        **{"udp-echo": "2026-10-10T23:59:00"}))
    proc = subprocess.run([sys.executable, "-m", "grader", "class.zip", "--no-cache"], cwd=root, capture_output=True,
                          text=True, timeout=900, env={**os.environ, "COLUMNS": "250"})
    results = [res.AssignmentResult.from_dict(r)
               for r in json.loads((root / "out" / "results.json").read_text(encoding="utf-8"))]
    specs = catalog.resolve(FOUR)
    book = marking.build(results, marking.course_from(config.load(path), specs))
    return Term(results, book, specs, proc, root / "out")


def test_grade_reads_the_course_file_where_it_runs(graded_term):
    proc, out = graded_term.proc, graded_term.out
    assert proc.returncode == 0, proc.stdout + proc.stderr
    flat = " ".join(proc.stdout.split())
    assert "percent over the course's 4 assignments, by points, bonus capped at 100%" in flat
    assert all((out / name).exists() for name in ("grades.csv", "canvas.csv", "moodle-udp-echo.csv", "feedback"))
    rows = {r[0]: r for r in csv.reader((out / "grades.csv").open(encoding="utf-8-sig"))}
    header = rows["student"]
    bob = dict(zip(header, rows["bob"]))
    course_total = sum(s.max_score for s in graded_term.specs)
    assert bob["max"] == gradebook.points(course_total)
    assert float(bob["percent"]) == round(100 * float(bob["tcp-echo-threaded"]) / course_total, 1)
    assert "not handed in: udp-echo, udp-contacts, tcp-contacts-threaded" in bob["problems"]
    assert "left out" in flat and "--moodle" in flat                  # bob has no Moodle id, and is told so
    kim = (out / "feedback" / "kim.md").read_text(encoding="utf-8")
    assert "UDPServer.py graded as the server" in kim


def test_grade_new_course_writes_a_course_file_that_grade_reads(tmp_path):
    def new_course(*args):
        return subprocess.run([sys.executable, "-m", "grader", "new-course", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    done = new_course()
    assert done.returncode == 0 and "4 assignments" in done.stdout, done.stderr
    assert config.load(tmp_path / "sockgrade.toml").assignments[0].spec == "tcp-echo-threaded"
    again = new_course()
    assert again.returncode == 2 and again.stderr.startswith("grade new-course: error: ") and "--force" in again.stderr
    assert new_course("--force").returncode == 0
    assert new_course("term/course.toml").returncode == 0 and (tmp_path / "term" / "course.toml").is_file()


def test_a_student_who_handed_in_one_assignment_gets_its_points_over_the_course(graded_term):
    book, specs = graded_term.book, graded_term.specs
    bob = next(r for r in book.rows if r.student == "bob")
    course_total = sum(s.max_score for s in specs)
    assert book.maximum == course_total
    assert bob.percent == standing.percent(100 * bob.scores["tcp-echo-threaded"] / course_total)
    assert bob.scores["tcp-echo-threaded"] > 0 and bob.total == bob.scores["tcp-echo-threaded"]
    assert "not handed in: udp-echo, udp-contacts, tcp-contacts-threaded" in bob.problems


def test_a_misnamed_server_is_found_graded_and_its_name_reported(graded_term):
    results, book = graded_term.results, graded_term.book
    kim = {r.assignment: r for r in results if r.student == "kim"}
    echo = kim["udp-echo"]
    assert echo.misnamed == {"server": "UDPServer.py", "client": "my_client.py"}
    assert echo.files == echo.misnamed and echo.score == echo.max_score         # graded: alice's programs
    assert "udp-contacts" not in kim or not kim["udp-contacts"].misnamed.get("server")   # one file, one role
    row = next(r for r in book.rows if r.student == "kim")
    assert row.scores["udp-echo"] == pytest.approx(echo.max_score * 0.8)       # -10% per misnamed file
    assert any("UDPServer.py graded as the server" in p for p in row.problems)


def test_a_late_zip_is_penalised_from_its_entries_times_and_keeps_its_moodle_id(graded_term):
    results, book = graded_term.results, graded_term.book
    lee = {r.assignment: r for r in results if r.student == "lee"}["udp-echo"]
    assert lee.student_id == "4242"
    assert dt.datetime.fromisoformat(lee.submitted_at).replace(tzinfo=None) == dt.datetime(2026, 10, 12, 9, 30)
    row = next(r for r in book.rows if r.student == "lee")
    assert row.student_id == "4242"
    assert row.scores["udp-echo"] == pytest.approx(lee.max_score * 0.6)          # 2 days late, 20% a day
    assert any("2 days late" in p for p in row.problems)


def test_the_search_never_takes_another_assignments_file(tmp_path):
    folder = tmp_path / "sam"
    folder.mkdir()
    shutil.copy(EXAMPLES / "alice" / "serverudp.py", folder / "serverudp.py")        # udp-echo, by name
    shutil.copy(EXAMPLES / "alice" / "contactserverudp.py", folder / "notes.py")       # udp-contacts, misnamed
    specs = catalog.resolve(FOUR)
    found = discover.misnamed_across(folder, specs)
    assert {r: p.name for r, p in found.get("udp-contacts", {}).items()} == {"server": "notes.py"}
    assert "udp-echo" not in found and "tcp-echo-threaded" not in found
    (folder / "notes.py").write_text("print('no sockets here')\n", encoding="utf-8")
    assert discover.misnamed_across(folder, specs).get("udp-contacts", {}) == {}


def test_gradescope_metadata_gives_the_time_and_the_sid(tmp_path):
    submission = tmp_path / "submission"
    shutil.copytree(EXAMPLES / "frank", submission)
    (tmp_path / "submission_metadata.json").write_text(json.dumps(
        {"created_at": "2026-10-11T08:00:00.123456+08:00", "users": [{"name": "Frank", "sid": "S77"}]}))
    from grader.input import submitted
    assert submitted.gradescope_single(submission) == ("2026-10-11T08:00:00+08:00", "S77")


def test_moodle_and_canvas_imports_carry_the_platforms_ids(graded_term, tmp_path):
    results, book = graded_term.results, graded_term.book
    canvas = {r.assignment: r for r in results if r.student == "canvasstu"}
    assert canvas["udp-echo"].student_id == "555" and canvas["udp-echo"].files == {
        "server": "serverudp.py", "client": "clientudp.py"}                     # the names as handed in
    written, skipped = lms.write_moodle(book, tmp_path / "moodle.csv")
    assert [p.name for p in written] == [f"moodle-{s}.csv" for s in FOUR]
    assert "bob" in skipped and "lee" not in skipped
    rows = list(csv.DictReader((tmp_path / "moodle-udp-echo.csv").open(encoding="utf-8")))
    lee = next(r for r in rows if r["Identifier"] == "Participant 4242")
    assert float(lee["Grade"]) == pytest.approx(next(r for r in book.rows if r.student == "lee").scores["udp-echo"])
    assert lee["Maximum Grade"] == gradebook.points(catalog.resolve(["udp-echo"])[0].max_score)
    assert "days late" in lee["Feedback comments"]
    book.assignments[1].canvas_id = "31337"
    left_out = lms.write_canvas(book, tmp_path / "canvas.csv")
    table = list(csv.reader((tmp_path / "canvas.csv").open(encoding="utf-8")))
    assert table[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert table[0][6].endswith("(31337)") and table[1][0] == "Points Possible"
    ids = {row[1]: row for row in table[2:]}
    assert set(ids) == {"555", "4242"} and "bob" in left_out
    echo = table[0].index(table[0][6])
    assert float(ids["555"][echo]) == next(r for r in book.rows if r.student == "canvasstu").scores["udp-echo"]


def test_penalties_reach_the_json_and_alike_students_are_named(graded_term, tmp_path):
    records = {(r["student"], r["assignment"]): r["extra_data"]
               for r in json.loads((graded_term.out / "results.json").read_text(encoding="utf-8"))}
    lee = records[("lee", "udp-echo")]
    assert "2 days late" in lee["penalties"][0]
    assert lee["score_after_penalties"] == pytest.approx(0.6 * catalog.resolve(["udp-echo"])[0].max_score)
    assert "penalties" not in records[("bob", "tcp-echo-threaded")]
    suites = {s.get("name"): {p.get("name"): p.get("value") for p in s.iter("property")}
              for s in ET.parse(graded_term.out / "junit.xml").getroot().findall("testsuite")}
    assert "2 days late" in suites["lee / udp-echo"]["penalties"]
    assert float(suites["lee / udp-echo"]["score_after_penalties"]) == lee["score_after_penalties"]
    # kim's and lee's udp-echo are both alice's: `grade similar` says so, and the gradebook then names them
    pairs = [{"a": "kim", "b": "lee", "role": "server", "spec": "udp-echo", "similarity": 1.0, "identical": True},
             {"a": "bob", "b": "kim", "role": "client", "spec": "udp-echo", "similarity": 0.2, "identical": False}]
    (tmp_path / "similar.json").write_text(json.dumps(pairs), encoding="utf-8")
    merged = subprocess.run([sys.executable, "-m", "grader", "merge", graded_term.out / "results.json",
                             "--similar", tmp_path / "similar.json", "--csv", tmp_path / "grades.csv"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert merged.returncode == 0, merged.stderr
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "grades.csv").open(encoding="utf-8-sig"))}
    assert "similar to lee (udp-echo server, identical)" in rows["kim"]["problems"]
    assert "similar to kim (udp-echo server, identical)" in rows["lee"]["problems"]
    assert "similar to" not in rows["bob"]["problems"]                     # 20% is no reason to look


def test_the_search_never_goes_through_a_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(EXAMPLES / "alice" / "serverudp.py", outside / "their_server.py")     # another student's
    folder = tmp_path / "mo"
    folder.mkdir()
    (folder / "theirs").symlink_to(outside, target_is_directory=True)
    (folder / "server.py").symlink_to(outside / "their_server.py")
    assert discover.misnamed_across(folder, catalog.resolve(FOUR)) == {}


def test_a_students_own_zip_sets_no_submission_time(tmp_path):
    """Its entries' times are the student's to choose: a late student would date them early."""
    klass = tmp_path / "class"
    klass.mkdir()
    with zipfile.ZipFile(klass / "sly.zip", "w") as z:
        for name in ("serverudp.py", "clientudp.py"):
            z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), (EXAMPLES / "alice" / name).read_bytes())
    from grader.input import classroom
    found = classroom.open_class(klass, catalog.resolve(FOUR), tmp_path / "scratch")
    [sly] = found.students
    sly.prepare(tmp_path / "scratch")
    assert sly.path is not None and sly.submitted_at == ""


# -- a course file that cannot be read as text --------------------------------------------------------
@pytest.mark.parametrize("byte, says", [
    (b"\x00", r"is \x00, a control character TOML does not allow"),
    (b"\xff", "is 0xff: the file is not UTF-8 text"),
    (b"\x1b", r"is \x1b, a control character TOML does not allow"),
])
@pytest.mark.parametrize("command", ["grade", "found", "merge", "similar"])
def test_a_course_file_that_is_not_text_is_one_line_with_its_offset(tmp_path, byte, says, command):
    data = b'[course]\nname = "Networks"\n'
    offset = data.index(b"works")
    path = tmp_path / "sockgrade.toml"
    path.write_bytes(data[:offset] + byte + data[offset:])
    shutil.copytree(EXAMPLES / "erin", tmp_path / "class" / "erin")
    one = res.AssignmentResult("erin", "udp-echo", "UDP echo", tests=[res.TestResult("t", [], 1, 1, res.Status.PASSED)])
    (tmp_path / "one.json").write_text(json.dumps([one.to_dict()]), encoding="utf-8")
    args = {"grade": ["class", "--config", path],
            "found": ["class"],                          # ./sockgrade.toml, where grade runs
            "merge": ["merge", "one.json", "--config", path],
            "similar": ["similar", "class"]}[command]
    proc = subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    where = path if command in ("grade", "merge") else path.name
    column = offset - data.rfind(b"\n", 0, offset)
    assert f"{where}:2: cannot read the course file as text: byte {offset} (line 2, column {column}) {says}" \
        in proc.stderr


def test_moodle_feedback_comments_say_what_failed(graded_term):
    """What Moodle shows the student: each failed test with the points it lost and why, then the
    problems, within the comment's limit, the rest in the feedback file the same run wrote."""
    out, book = graded_term.out, graded_term.book
    rows = {r["Full name"]: r["Feedback comments"]
            for r in csv.DictReader((out / "moodle-udp-echo.csv").open(encoding="utf-8"))}
    frank = next(r for r in book.rows if r.student == "canvasstu")            # frank's server binds TCP
    lost = frank.lost["udp-echo"]
    assert lost and rows["canvasstu"].startswith(f"failed: {lost[0].test} (-{gradebook.points(lost[0].points)}): ")
    assert "TCP" in rows["canvasstu"].split(";")[0]                          # its reason, on one line
    said = [f"{x.test} (-{gradebook.points(x.points)})" in rows["canvasstu"] for x in lost]
    assert all(said) or "the rest in your feedback file canvasstu.md" in rows["canvasstu"]
    assert (out / "feedback" / "canvasstu.md").is_file()
    assert "days late" in rows["lee"]
    assert all(len(text) <= lms.COMMENT_LIMIT and "\n" not in text for text in rows.values())
