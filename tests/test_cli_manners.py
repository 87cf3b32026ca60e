"""The command line as a new user meets it, through real `grade` processes: mistakes on stderr in
argparse's form with exit status 2, numbers checked as they are read, - for stdout, `grade help`,
`grade list`, -k, whole names in a pipe, and --stable outputs that are the same bytes twice."""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT
from grader import results as res         # res.TestResult: a name pytest does not try to collect
from grader.reporting import json_report
from grader.reporting.stable import LEFT_OUT, stable


def grade(*args, env=None, cwd=ROOT) -> subprocess.CompletedProcess:
    """`grade ...` through pipes, as CI runs it; COLUMNS unset, as in a pipe it usually is."""
    base = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env={**base, **(env or {})}, timeout=900)


def refused(proc, message: str) -> None:
    """Exit 2, nothing on stdout, the message on stderr in argparse's form, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def results_file(folder: Path, records: list[res.AssignmentResult]) -> Path:
    path = folder / "results.json"
    json_report.write(records, path)
    return path


def a_result(student: str, assignment: str = "udp-echo", passed: bool = True) -> res.AssignmentResult:
    return res.AssignmentResult(student=student, assignment=assignment, title="UDP echo", isolation="sandbox",
                                tests=[res.TestResult(name="server binds UDP 9999", tags=["startup"],
                                                      points=2 if passed else 0, max_points=2,
                                                      status=res.Status.verdict(passed))])


# -- mistakes: stderr, `PROG: error: ...`, exit 2 ----------------------------------------------------
def test_every_command_reports_a_mistake_on_stderr(tmp_path):
    refused(grade(tmp_path / "nope"), f"grade: error: {tmp_path / 'nope'} does not exist")
    refused(grade("lsit", cwd=tmp_path), "grade: error: lsit does not exist (did you mean `grade list`?)")
    refused(grade("check", tmp_path / "missing.yaml"), f"grade check: spec error: {tmp_path / 'missing.yaml'}")
    refused(grade("new", "Not An Id", "--dir", tmp_path), "grade new: error: 'Not An Id' is not a valid id")
    refused(grade("merge", tmp_path / "missing.json"), f"grade merge: error: cannot read {tmp_path / 'missing.json'}")
    refused(grade("list", "no-such-spec"), "grade list: spec error: ")
    assert not list(tmp_path.iterdir())             # nothing written by any of them


def test_a_spec_error_names_file_and_line_on_stderr(tmp_path):
    spec = tmp_path / "mine.yaml"
    text = (ROOT / "specs" / "udp-echo.yaml").read_text(encoding="utf-8").replace("../reference/",
                                                                                   f"{ROOT / 'reference'}/")
    lines = text.splitlines()
    where = next(i for i, line in enumerate(lines) if line.strip().startswith("- name:") and i > 20)
    lines.insert(where + 1, "    pionts: 3")
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = grade(EXAMPLES / "alice", "--spec", spec)
    refused(proc, f"grade: spec error: {spec}:{where + 2}: ")
    assert "pionts" in proc.stderr and "points" in proc.stderr           # the key, and the hint
    check = grade("check", "--no-saboteurs", spec)
    refused(check, f"grade check: spec error: {spec}:{where + 2}: ")


@pytest.mark.parametrize("args, message", [
    (["--fail-under", "150"], "grade: error: argument --fail-under: 150 is not a percent: give a number from 0 to 100"),
    (["--fail-under", "-1"], "argument --fail-under: -1 is not a percent"),
    (["--fail-under", "nan"], "argument --fail-under: nan is not a percent"),
    (["--fail-under", "half"], "argument --fail-under: 'half' is not a number"),
    (["-j", "0"], "grade: error: argument -j/--jobs: 0 is too few: give 1 or more"),
    (["-j", "two"], "argument -j/--jobs: 'two' is not a whole number"),
    (["--shard", "two"], "grade: error: argument --shard: takes K/N, like 1/4"),
    (["--shard", "3/2"], "argument --shard: 3/2: K must be between 1 and N"),
    (["--shard", "0/2"], "argument --shard: 0/2: K must be between 1 and N"),
    (["--seed", "-1"], "grade: error: argument --seed: -1 is out of range: give a whole number from 0 to 4294967295"),
    (["--seed", "4294967296"], "argument --seed: 4294967296 is out of range"),
    (["--json", "-", "--junit", "-"], "grade: error: --json and --junit each say - (stdout)"),
    (["--feedback", "-"], "grade: error: --feedback writes a folder of files, so it cannot be - (stdout)"),
    (["-k", "no such words", "--spec", "udp-echo"], "grade: error: -k 'no such words' matches no test"),
])
def test_numbers_and_outputs_are_checked_before_grading(args, message, tmp_path):
    proc = grade(EXAMPLES / "alice", "--cache-dir", tmp_path / "cache", *args)
    refused(proc, message)
    assert not (tmp_path / "cache").exists()            # refused before anything was graded


@pytest.mark.parametrize("args, message", [
    (["check", "-j", "0", "x.yaml"], "grade check: error: argument -j/--jobs: 0 is too few"),
    (["new", "demo", "--port", "70000"], "grade new: error: argument --port: 70000 is not a port"),
    (["merge", "x.json", "--fail-under", "101"], "grade merge: error: argument --fail-under: 101 is not a percent"),
    (["help", "nope"], "grade help: error: argument COMMAND: invalid choice: 'nope'"),
])
def test_subcommands_check_their_numbers_too(args, message):
    refused(grade(*args), message)


def test_k_matching_nothing_lists_the_tests():
    proc = grade(EXAMPLES / "alice", "--spec", "udp-contacts", "-k", "retries", "-k", "nothing like it")
    refused(proc, "-k 'nothing like it' matches no test")
    assert "udp-contacts: server binds UDP 9999; " in proc.stderr and "generated conversations (1/3)" in proc.stderr


# -- `grade help` and `grade list` -------------------------------------------------------------------
@pytest.mark.parametrize("command", [None, "check", "list", "merge", "new"])
def test_help_is_the_help_of_the_command(command):
    asked = grade("help", *([command] if command else []))
    direct = grade(*([command] if command else []), "--help")
    assert asked.returncode == direct.returncode == 0, asked.stderr
    assert asked.stdout == direct.stdout and asked.stderr == ""
    prog = "grade" + (f" {command}" if command else "")
    assert asked.stdout.startswith(f"usage: {prog} ")
    if command is None:         # grade's help names every other command
        for name in ("check", "list", "merge", "new", "help"):
            assert f"  grade {name} " in asked.stdout


def test_list_shows_every_test_with_points_kind_and_marks():
    proc = grade("list", "tcp-echo-threaded")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
            for line in proc.stdout.splitlines() if line.startswith("│")}
    assert rows["server listens on TCP 9999"] == ["2", "startup", "server", "startup, transport", ""]
    assert rows["ten clients at once"] == ["2", "swarm", "server", "concurrency", ""]
    assert rows["client sends message1..message5 and exit"] == ["1", "client", "client", "client", "bonus"]
    assert rows["student client with student server"][-1] == "bonus"
    assert len(rows) == 9 and "9 tests; 13 points (+2 bonus)" in proc.stdout


def test_list_details_say_what_each_kind_of_test_does():
    proc = subprocess.run([sys.executable, "-m", "grader", "list", "udp-contacts", "--details"],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "250"})
    assert proc.returncode == 0, proc.stderr
    rows = {line.split("│")[1].strip(): line.split("│")[-2].strip()
            for line in proc.stdout.splitlines() if line.startswith("│")}
    assert rows["five clients at once"] == "5 clients at once, 5 answered"      # UDP: nobody is served together
    assert rows["generated conversations (2/3)"] == "conversation 2 of 3: 6 commands from 3 clients, seed 1"
    assert rows["student client with student server"] == "student's client against the student's server"
    assert rows["find returns the phone"] == "4 steps, 1 client"


def test_list_names_are_what_k_selects():
    proc = grade("list", "udp-contacts", "-k", "GENERATED", "--names")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"generated conversations ({i}/3)" for i in (1, 2, 3)]
    refused(grade("list", "udp-contacts", "-k", "nope"), "grade list: error: -k 'nope' matches no test of udp-contacts")


def test_k_and_test_select_together_and_json_goes_to_stdout(tmp_path):
    proc = grade(EXAMPLES / "alice", "--spec", "udp-contacts", "-k", "Generated Conversations (2",
                 "-k", "UNICODE", "--test", "server binds UDP 9999", "--cache-dir", tmp_path / "cache",
                 "--json", "-")
    assert proc.returncode == 0, proc.stderr
    [record] = json.loads(proc.stdout)              # stdout is the JSON alone
    assert [t["name"] for t in record["tests"]] == ["server binds UDP 9999", "unicode names",
                                                    "generated conversations (2/3)"]
    assert "alice — udp-contacts" in proc.stderr     # the table went to stderr
    assert "score 4 / 4" in proc.stderr


# -- - is stdout, for every file output --------------------------------------------------------------
def test_every_file_output_can_go_to_stdout(tmp_path):
    shard = results_file(tmp_path, [a_result("alice"), a_result("bob", passed=False)])
    files = {}
    for option in ("--json", "--csv", "--junit", "--report"):
        proc = grade("merge", shard, option, "-", "--stable")
        assert proc.returncode == 0, proc.stderr
        assert "alice" in proc.stderr and "bob" in proc.stderr          # the class table, on stderr
        written = grade("merge", shard, option, tmp_path / f"out{option}", "--stable")
        assert written.returncode == 0 and "alice" in written.stdout     # without -: the table on stdout
        files[option] = proc.stdout
        assert proc.stdout == (tmp_path / f"out{option}").read_text(encoding="utf-8"), option
    assert [r["student"] for r in json.loads(files["--json"])] == ["alice", "bob"]
    rows = list(csv.reader(io.StringIO(files["--csv"].lstrip("\ufeff"))))
    assert rows[0][0] == "student" and [r[0] for r in rows[1:]] == ["alice", "bob"]
    assert ET.fromstring(files["--junit"].split("\n", 1)[1]).tag == "testsuites"
    assert files["--report"].lstrip().lower().startswith("<!doctype html")


def test_an_output_that_cannot_be_written_is_one_line(tmp_path):
    shard = results_file(tmp_path, [a_result("alice")])
    (tmp_path / "taken").write_text("a file, not a folder\n")
    proc = grade("merge", shard, "--csv", tmp_path / "taken" / "grades.csv", "--json", tmp_path / "ok.json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"grade merge: error: --csv {tmp_path / 'taken' / 'grades.csv'}: cannot write it" in proc.stderr
    assert json.loads((tmp_path / "ok.json").read_text(encoding="utf-8"))[0]["student"] == "alice"


@pytest.mark.parametrize("bare", [False, True], ids=["environment", "bare-environment"])
@pytest.mark.parametrize("args", [["list"], ["list", "--names"], ["help"]])
def test_a_reader_that_leaves_early_gets_no_traceback(args, bare):
    """Also in a bare environment (a minimal Debian's, no TERM, no HOME), where what was left in
    stdout's buffer once failed only as Python exited (status 120)."""
    env = {"PATH": os.environ["PATH"], "LANG": "C"} if bare else None
    child = subprocess.Popen([sys.executable, "-m", "grader", *args], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
    child.stdout.close()                            # as `grade list | head -0` does
    err = child.stderr.read().decode()
    assert child.wait(60) == 1, err
    assert err == ""


# -- whole names in a pipe -----------------------------------------------------------------------------
def test_a_pipe_keeps_whole_names_whatever_the_terminal(tmp_path):
    student = "Maximilian_Alexander_Featherstonehaugh_Wolfeschlegel_2024_assignsubmission"
    assignment = "tcp-contacts-threaded-with-a-long-id"
    shard = results_file(tmp_path, [a_result(student, assignment), a_result("张三", "udp-echo")])
    for env in ({}, {"COLUMNS": "80"}):
        proc = grade("merge", shard, env=env)
        assert proc.returncode == 0, proc.stderr
        assert "…" not in proc.stdout
        lines = proc.stdout.splitlines()
        assert any(assignment in line for line in lines)
        [row] = [line for line in lines if student in line]
        assert row.count("│") == 8          # the whole row on one line: student, 2 assignments, total, %, failed,
        #                                     problems


# -- --stable keeps its promise ------------------------------------------------------------------------
def test_stable_leaves_out_what_scheduling_decides():
    transcript = [{"t": 0.5, "who": who, "event": "sent", "data": "add"} for who in ("server", "a", "b")]
    printed = "Accept new connection from 127.0.0.1:40186...Accept new connection from 127.0.0.1:40188...\n\n"
    together = res.TestResult(name="two at once", tags=[], points=0, max_points=1, status=res.Status.FAILED,
                              transcript=transcript, server_output=printed, duration=1.2)
    alone = res.TestResult(name="one", tags=[], points=0, max_points=1, status=res.Status.FAILED,
                           transcript=transcript[:2], duration=3.4,
                           server_output="Accept new connection from 127.0.0.1:40186...\n"
                                         "cwd /tmp/sockgrade-test-k2j4x9_a/sub, pid 4711\n")
    [result] = stable([res.AssignmentResult("carol", "tcp", "TCP", [together, alone], duration=9.9)])
    assert result.duration == 0 and [t.duration for t in result.tests] == [0, 0]
    assert result.tests[0].server_output == LEFT_OUT
    assert [e["t"] for e in result.tests[0].transcript] == [None, None, None]
    assert result.tests[1].server_output == ("Accept new connection from 127.0.0.1:<port 1>...\n"
                                             "cwd <scratch>/sub, pid <n>")     # with or without its newline


def test_two_stable_runs_of_the_class_write_the_same_bytes(tmp_path):
    """The example class graded twice at once without the cache: every output, byte for byte; carol's
    threaded server, whose threads print in the scheduler's order, included. Gradescope's file too."""
    runs = []
    for name in ("one", "two"):
        out = tmp_path / name
        runs.append((out, subprocess.Popen(
            [sys.executable, "-m", "grader", str(EXAMPLES), "--no-cache", "--stable", "--cache-dir", out / "cache",
             "--json", out / "results.json", "--csv", out / "grades.csv", "--junit", out / "junit.xml",
             "--report", out / "report.html", "--feedback", out / "feedback"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    for out, child in runs:
        stdout, stderr = child.communicate(timeout=900)
        assert child.returncode == 0, stdout + stderr
        shutil.rmtree(out / "cache")
    one, two = (sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) for out, _ in runs)
    assert one == two and len([p for p in one if p.suffix != ".svg"]) == 4 + 11   # four files, a feedback
    #                                                                                  file per student
    assert [p for p in one if p.suffix == ".svg"]       # and the pictures of failed tests beside them
    for path in one:
        assert (runs[0][0] / path).read_bytes() == (runs[1][0] / path).read_bytes(), f"{path} differs"
    carol = (runs[0][0] / "feedback" / "carol.md").read_text(encoding="utf-8")
    assert LEFT_OUT.strip() in carol                    # what made two runs differ before
    # Gradescope: carol's submission as run_autograder grades it, twice
    gradescope = []
    for name in ("gs1", "gs2"):
        shutil.copytree(EXAMPLES / "carol", tmp_path / name / "submission")
        gradescope.append(subprocess.Popen(
            [sys.executable, "-m", "grader", "--gradescope", "--stable", "--autograder-dir", tmp_path / name],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for child in gradescope:
        stdout, stderr = child.communicate(timeout=900)
        assert child.returncode == 0, stdout + stderr
    first, second = ((tmp_path / name / "results" / "results.json").read_bytes() for name in ("gs1", "gs2"))
    assert first == second
    assert json.loads(first)["execution_time"] == 0
