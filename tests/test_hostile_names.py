"""Every string a student controls is shown, never obeyed: folder names, file names and what their
programs print, with escape sequences, C1 controls, bidi overrides, newlines and carriage returns, and
rich markup, reach every output as their visible form (``\\x1b``, ``\\n``, ``\\u202e``); the terminal
obeys none of them (its title stays, its screen is not cleared) and each student is one row.

The class is graded once to a pipe with every output, then shown again from the cache on a real
terminal: tmux at 80 columns, whose every byte is recorded.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT
from grader.shown import shown

SPEC = "udp-contacts"
TESTS = ("find returns the phone", "client find prints the phone")
SUFFIX = "_{}_assignsubmission_file_"          # Moodle's download: the student's participant id
PWNED = "pwned-by-a-student"
# Each a student's name, as the folder of a Moodle download holds it.
NAMES = {
    "title": f"t\x1b]0;{PWNED}\x07",           # sets the terminal's title
    "clear": "c\x1b[2J\x1b[H",                 # clears the screen
    "red": "r\x1b[31m",                        # the rest of the line red; prints escapes too
    "csi": "k\x9b2J",                          # a C1 CSI: clears the screen on a terminal reading 8-bit controls
    "bidi": "b\u202etxt.exe",                  # shows as "bexe.txt" reversed
    "lines": "one\ntwo\rcr",                   # splits a row, returns to the start of the line
    "markup": "[reverse]m",                    # rich markup
}
NOT_UTF8 = "u\udcff\udcfe"                     # a folder named with the bytes u, 0xff, 0xfe
ZIPPED = "z\x1b[2J"                            # handed in as a zip holding a link named with escapes
LINK = f"l\x1b]0;{PWNED}\x07\n"
CLIENT = f"cl\x1b]0;{PWNED}\x07i\nent.py"      # the title student's client, under a name of its own
PRINTS = f"\x1b]0;{PWNED}\x07\x1b[2J\x1b[31mRED\x9b2J\u202eevil"
# What no output may hold raw: C0 but newline (and tab: JUnit's indentation), DEL, C1, separators, bidi.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def students() -> dict[str, str]:
    """Every student's real name -> the name the outputs show."""
    names = [*NAMES.values(), NOT_UTF8, ZIPPED]
    return {name: shown(name) for name in names}


def build_class(root: Path) -> Path:
    klass = root / "class"
    klass.mkdir()
    for number, name in enumerate([*NAMES.values(), NOT_UTF8], 101):
        folder = klass / (name + SUFFIX.format(number))
        shutil.copytree(EXAMPLES / "alice", folder)
    title = klass / (NAMES["title"] + SUFFIX.format(101))
    for other in title.iterdir():
        if other.name != "contactserverudp.py":
            other.unlink()
    shutil.copy(EXAMPLES / "alice" / "contactclientudp.py", title / CLIENT)
    server = klass / (NAMES["red"] + SUFFIX.format(103)) / "contactserverudp.py"
    source = server.read_text(encoding="utf-8")
    source = source.replace("print('UDP contact server started...')",
                            f"print({PRINTS!r}, flush=True)")
    source = source.replace("            return contacts[cmd[1]]", f"            return {PRINTS!r} + contacts[cmd[1]]")
    assert source.count(repr(PRINTS)) == 2
    server.write_text(source, encoding="utf-8")
    with zipfile.ZipFile(klass / (ZIPPED + SUFFIX.format(109) + ".zip"), "w") as z:
        z.write(EXAMPLES / "alice" / "contactserverudp.py", "contactserverudp.py")
        link = zipfile.ZipInfo(LINK)
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
    return klass


def grade(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, capture_output=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=600)


@dataclass
class Graded:
    klass: Path
    out: Path
    cache: Path
    proc: subprocess.CompletedProcess

    def args(self) -> list:
        return [self.klass, "--spec", SPEC, *(a for t in TESTS for a in ("--test", t)), "--cache-dir", self.cache]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    root = tmp_path_factory.mktemp("hostile-names")
    klass = build_class(root)
    out = root / "out"
    run = Graded(klass, out, root / "cache", None)
    run.proc = grade(*run.args(), "-v", "--csv", out / "grades.csv", "--json", out / "results.json",
                     "--junit", out / "junit.xml", "--moodle", out / "moodle.csv", "--canvas", out / "canvas.csv",
                     "--feedback", out / "feedback", "--report", out / "report.html")
    assert run.proc.returncode == 0, run.proc.stdout.decode(errors="replace") + run.proc.stderr.decode(errors="replace")
    return run


def no_raw_controls(text: str, where: str) -> None:
    found = RAW.search(text)
    near = text[max(found.start() - 60, 0):found.end() + 20] if found else ""
    assert not found, f"{where} holds a raw {found.group(0)!r}: ...{near!r}"


def test_the_pipe_shows_every_name_and_obeys_none(graded):
    out = graded.proc.stdout.decode("utf-8")
    no_raw_controls(out, "stdout")
    no_raw_controls(graded.proc.stderr.decode("utf-8"), "stderr")
    class_table = out[out.index("students; percent over"):]
    rows = class_table[class_table.index("┡"):class_table.index("└")].splitlines()[1:]
    assert len(rows) == len(students()), rows
    for name, visible in students().items():
        assert len([row for row in rows if row.startswith(f"│ {visible} ")]) == 1, (visible, rows)
    assert "[reverse]m" in out and r"t\x1b]0;" in out and r"one\ntwo\rcr" in out and r"b\u202etxt" in out
    assert r"u\xff\xfe" in out                              # bytes that are no UTF-8, shown as such
    # what the program printed, in -v's output of its failed test; the file names quoted in reasons
    assert shown(PRINTS) in out
    assert shown(CLIENT) in out and shown(LINK) in out


def test_the_csv_has_one_row_per_student_as_shown(graded):
    text = (graded.out / "grades.csv").read_text(encoding="utf-8-sig")
    no_raw_controls(text.replace("\r\n", "\n"), "grades.csv")
    rows = list(csv.reader(text.splitlines()))
    assert len(rows) == 1 + len(students())
    assert sorted(r[0] for r in rows[1:]) == sorted(students().values())
    problems = {r[0]: r[-1] for r in rows[1:]}
    assert shown(CLIENT) in problems[shown(NAMES["title"])]
    assert shown(LINK) in problems[shown(ZIPPED)]


def test_the_lms_files_have_one_row_per_student_as_shown(graded):
    for name in ("moodle.csv", "canvas.csv"):
        text = (graded.out / name).read_text(encoding="utf-8")
        no_raw_controls(text.replace("\r\n", "\n"), name)
        rows = list(csv.reader(text.splitlines()))
        named = [row[1] if name == "moodle.csv" else row[0] for row in rows[1:]]
        named = [n for n in named if n != "Points Possible"]
        assert sorted(named) == sorted(students().values()), (name, named)


def test_the_json_keeps_the_real_names_as_json_escapes(graded):
    text = (graded.out / "results.json").read_text(encoding="utf-8")
    no_raw_controls(text, "results.json")
    assert "\\u001b" in text and "\\u202e" in text and "\\u009b" in text
    records = json.loads(text)
    assert sorted(r["student"] for r in records) == sorted({*NAMES.values(), shown(NOT_UTF8), ZIPPED})
    title = next(r for r in records if r["student"] == NAMES["title"])
    assert title["extra_data"]["misnamed"] == {"client": CLIENT}


def test_junit_is_xml_with_every_name_shown(graded):
    text = (graded.out / "junit.xml").read_text(encoding="utf-8")
    no_raw_controls(text, "junit.xml")
    root = ET.fromstring(text)                          # XML holds no C0 control at all: it parses
    suites = {s.get("package"): s for s in root.iter("testsuite")}
    assert {shown(n).replace(".", "_") for n in students()} == set(suites)
    values = [v for e in root.iter() for v in [e.text or "", *e.attrib.values()]]
    for value in values:
        no_raw_controls(value.replace("\t", ""), "a junit value")
    assert any(shown(PRINTS) in v for v in values)


def test_feedback_files_keep_their_markdown_whole(graded):
    files = sorted((graded.out / "feedback").glob("*.md"))
    for pictures in (graded.out / "feedback").glob("*-pictures"):     # named as the Markdown file is
        assert not RAW.search(pictures.name) and (graded.out / "feedback" / f"{pictures.name[:-9]}.md").is_file()
    assert len(files) == len(students())
    tables = 0
    for path in files:
        assert not RAW.search(path.name)
        text = path.read_text(encoding="utf-8")
        no_raw_controls(text, path.name)
        table = [line for line in text.splitlines() if line.startswith("|")]
        # a row of the tests' table: three cells, whatever a name holds ("|" escaped)
        assert all(line.endswith("|") and len(re.findall(r"(?<!\\)\|", line)) == 4 for line in table), table
        tables += bool(table)
    assert tables == len(students()) - 1          # the zip refused has no tests
    titles = [path.read_text(encoding="utf-8").splitlines()[0] for path in files]
    assert r"# Feedback for one\\ntwo\\rcr" in titles and r"# Feedback for u\\xff\\xfe" in titles, titles
    red = (graded.out / "feedback" / f"{shown(NAMES['red']).replace(chr(92), '_')}.md").read_text(encoding="utf-8")
    assert shown(PRINTS) in red


def test_the_html_report_shows_every_name(graded):
    text = (graded.out / "report.html").read_text(encoding="utf-8")
    no_raw_controls(text, "report.html")
    assert "[reverse]m" in text and r"one\ntwo\rcr" in text and r"t\x1b]0;" in text


def test_a_student_is_named_as_the_table_shows_them_and_a_mistake_lists_them_on_one_line(graded):
    wrong = grade(*graded.args(), "--student", "nobody")
    err = wrong.stderr.decode("utf-8")
    assert wrong.returncode == 2 and err.count("\n") == 1, err
    no_raw_controls(err, "the mistake")
    assert all(visible in err for visible in students().values()), err
    one = grade(*graded.args(), "--student", shown(NAMES["lines"]))         # from the cache
    out = one.stdout.decode("utf-8")
    assert one.returncode == 0 and f"│ {shown(NAMES['lines'])} " in out and "1 student named with --student" in out


def test_grade_similar_shows_the_names_too(graded, tmp_path):
    proc = grade("similar", graded.klass, "--spec", SPEC, "--top", 100, "--json", tmp_path / "similar.json",
                 "--report", tmp_path / "similar.html")
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, proc.stderr
    no_raw_controls(out + proc.stderr.decode("utf-8"), "grade similar")
    assert all(shown(name) in out for name in NAMES.values())      # all alike: copies of alice
    for name in ("similar.json", "similar.html"):
        no_raw_controls((tmp_path / name).read_text(encoding="utf-8"), name)
    pairs = json.loads((tmp_path / "similar.json").read_text(encoding="utf-8"))
    assert {p["a"] for p in pairs} | {p["b"] for p in pairs} >= set(NAMES.values())


# -- a real terminal ------------------------------------------------------------------------------
# CSI sequences rich writes itself: colours and styles (m), and the progress bar's cursor moves.
OWN_SEQUENCE = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\?25[lh]|\x1b\[[0-9]*[AK]")
LAST_LINE = "from the cache"         # the run's last words


class Tmux:
    """A tmux server of a test's own (its own socket), 80 columns wide."""

    def __init__(self, folder: Path):
        self.socket = folder / "tmux"
        self.env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}

    def __call__(self, *args, check: bool = True) -> str:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], env=self.env, capture_output=True,
                              text=True, check=check, timeout=600).stdout

    def command(self, *args) -> str:
        """``tmux ARGS`` as a shell inside the pane runs it, on this server."""
        return " ".join(_quoted(a) for a in ("tmux", "-S", self.socket, *args))


@pytest.fixture
def tmux(tmp_path):
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed")
    server = Tmux(tmp_path)
    yield server
    server("kill-server", check=False)


def test_a_terminal_obeys_no_name(graded, tmux, tmp_path):
    raw = tmp_path / "raw"
    done = f"graded-{uuid.uuid4().hex}"
    grading = " ".join(_quoted(a) for a in (sys.executable, "-m", "grader", *graded.args(), "-v"))
    tmux("new-session", "-d", "-x", "80", "-y", "50", "-s", "t", "-c", str(ROOT),
         f"{tmux.command('wait-for', 'go')}; {grading}; {tmux.command('wait-for', '-S', done)}; exec sleep 600")
    tmux("pipe-pane", "-t", "t", "-o", f"cat > {_quoted(raw)}")     # every byte the pane is sent
    before = tmux("display-message", "-p", "-t", "t", "#{pane_title}")
    tmux("wait-for", "-S", "go")
    tmux("wait-for", done)
    screen = _until(lambda: tmux("capture-pane", "-p", "-e", "-J", "-t", "t", "-S", "-"))
    tmux("pipe-pane", "-t", "t")
    written = _until(lambda: raw.read_bytes().decode("utf-8"))
    assert LAST_LINE in screen and LAST_LINE in written
    assert tmux("display-message", "-p", "-t", "t", "#{pane_title}") == before
    sequences = set(re.findall(r"\x1b[^a-zA-Z]*[a-zA-Z]?", written))
    assert all(OWN_SEQUENCE.fullmatch(s) for s in sequences), sequences
    no_raw_controls(OWN_SEQUENCE.sub("", written).replace("\r", ""), "the terminal")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", screen)
    assert re.search(r"^student +\S", plain, re.M)  # nothing cleared the screen under the (narrow) table
    for visible in (r"\x1b]0;", r"\u202e", r"\x9b", "[reverse]m", r"u\xff\xfe"):
        assert visible in plain


def _until(read, tries: int = 300):
    """What ``read`` returns once it holds the run's last line (tmux may pass the last bytes on late)."""
    for _ in range(tries):
        text = read()
        if LAST_LINE in text:
            return text
        time.sleep(0.1)
    return text


def _quoted(value) -> str:
    return "'" + str(value).replace("'", "'\"'\"'") + "'"
