"""What the teacher reads fits the terminal it is on: in a real terminal (tmux) at 80×24 and at 60×20,
every table of `grade` keeps its words whole and a student's row to two lines at most.

The example class is graded once to a pipe (its JSON, CSV and cache kept); then, on the terminal,
`grade` shows it again from the cache (the class, and `-v` with every student's tests), `grade merge`
shows a class of 30 with long Chinese and English names made of those records, and `grade list`,
`grade similar` and `grade check` show their tables.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, SPECS
from grader.reporting import causes, fit
from grader.results import AssignmentResult
from test_hostile_names import Tmux, _quoted

SIZES = ((80, 24), (60, 20))
LONG_NAMES = ["Maximilian-Alexander von Montgomery-Fitzgerald", "欧阳诸葛司马上官慕容长孙", "Nguyễn Thị Minh Khai",
              "Oluwaseun Adebayo-Ogunlesi", "司马相如 Sima Xiangru", "Anne-Sophie Charlotte de la Rochefoucauld",
              "李", "Bartholomew Kowalczyk-Wiśniewski", "张伟伟伟伟伟伟伟伟伟伟伟伟伟", "María José García-Hernández"]
DONE = "THE-END"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The example class, graded once; and a class of 30 with long names made of its records."""
    root = tmp_path_factory.mktemp("narrow")
    done = subprocess.run([sys.executable, "-m", "grader", str(EXAMPLES), "--cache-dir", str(root / "cache"),
                           "--json", str(root / "class.json")], capture_output=True, text=True, timeout=1800)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    records = json.loads((root / "class.json").read_text(encoding="utf-8"))
    students = sorted({r["student"] for r in records})
    thirty = []
    for i in range(30):
        name = f"{LONG_NAMES[i % len(LONG_NAMES)]} {i + 1}"
        thirty += [{**r, "student": name} for r in records if r["student"] == students[i % len(students)]]
    (root / "thirty.json").write_text(json.dumps(thirty, ensure_ascii=False), encoding="utf-8")
    return root


@pytest.fixture
def tmux(tmp_path):
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed")
    server = Tmux(tmp_path)
    (tmp_path / "tmux.conf").write_text("set -g history-limit 100000\n")
    yield server
    server("kill-server", check=False)


def on_terminal(tmux, tmp_path, size, *args) -> list[str]:
    """The lines `grade ARGS` left on a terminal of ``size``, every one, with tmux's own wrapping
    undone (-J), so that a line wider than the terminal shows as one."""
    width, height = size
    done = f"done-{uuid.uuid4().hex}"
    command = " ".join(_quoted(a) for a in (sys.executable, "-m", "grader", *args))
    tmux("-f", str(tmp_path / "tmux.conf"), "new-session", "-d", "-x", str(width), "-y", str(height), "-s", "t",
         "-c", str(ROOT), f"{command}; echo exit $? {DONE}; {tmux.command('wait-for', '-S', done)}; exec sleep 600")
    tmux("wait-for", done)
    for _ in range(300):
        screen = tmux("capture-pane", "-p", "-J", "-t", "t", "-S", "-")
        if f" {DONE}" in screen:
            break
    tmux("kill-session", "-t", "t")
    lines = screen.rstrip().splitlines()
    assert lines[-1].strip() in (f"exit 0 {DONE}", f"exit 1 {DONE}"), screen     # 1: a test the machine failed
    lines = [line.rstrip() for line in lines[:-1]]
    wide = [line for line in lines if len(line) > width and fit.cell_len(line) > width]
    assert not wide, f"wider than {width} columns: {wide}"
    return lines


def whole(word: str, text: str) -> bool:
    return re.search(rf"(?<!\S){re.escape(word)}(?!\S)", text) is not None


def in_order(letters: str, text: str) -> bool:
    rest = iter(text)
    return all(letter in rest for letter in letters)


def class_rows(lines: list[str], names: list[str]) -> dict[str, list[str]]:
    """The narrow class table's rows: student -> their lines (a row starts at column 0, goes on indented)."""
    rules = [i for i, line in enumerate(lines) if line.startswith("───")]
    assert len(rules) >= 2, "\n".join(lines)
    body = lines[rules[-2] + 1:rules[-1]]
    rows: list[list[str]] = []
    for line in body:
        if line and not line[0].isspace():
            rows.append([line])
        else:
            rows[-1].append(line)
    assert len(rows) == len(names), "\n".join(body)
    found = {}
    for name, row in zip(names, rows):
        assert len(row) <= 2, f"{name}: {row}"
        found[name] = row
    return found


def check_class(lines, book_csv: Path, width: int) -> None:
    table = list(csv.DictReader(book_csv.open(encoding="utf-8-sig")))
    names = [r["student"] for r in table]
    ids = [k for k in table[0] if k not in ("student", "total", "max", "percent", "bonus", "failed tests", "problems")]
    keys = fit.column_keys(ids)
    rows = class_rows(lines, names)
    legend = " ".join(lines[lines.index(max((l for l in lines if l.startswith("───")), key=lines.index)) + 1:])
    for ident in ids:
        assert f"{keys[ident]} {ident} /" in legend                # each key explained once, its id whole
    for record in table:
        name, row = record["student"], rows[record["student"]]
        text = " ".join(row)
        for word in name.split():
            if fit.cell_len(word) == len(word):                    # a word of narrow letters stays whole
                assert whole(word, text), (word, row)
        assert in_order(name.replace(" ", ""), text), (name, row)         # Chinese: its characters, in order
        numbers = row[0].split()
        assert record["percent"] in numbers and record["failed tests"] == numbers[-1], (record, row[0])
        problems = fit.with_keys(record["problems"], keys).split()
        if problems:               # the second line ends with the problems' first words, whole, or with …
            said = row[-1].split() if len(row) == 2 else []
            cut = bool(said) and said[-1] == fit.ELLIPSIS
            said = said[:-1] if cut else said
            shown = max((k for k in range(len(said) + 1) if said[len(said) - k:] == problems[:k]), default=0)
            assert shown == len(problems) or cut, (problems, row)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_example_class_fits(graded, tmux, tmp_path, size):
    lines = on_terminal(tmux, tmp_path, size, str(EXAMPLES), "--cache-dir", graded / "cache",
                        "--csv", tmp_path / "grades.csv")
    check_class(lines, tmp_path / "grades.csv", size[0])
    assert any(line.startswith("isolation: ") and "limits: " in " ".join(lines[lines.index(line):])
               for line in lines)                                 # the footer, at full isolation too


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_thirty_long_names_fit(graded, tmux, tmp_path, size):
    lines = on_terminal(tmux, tmp_path, size, "merge", graded / "thirty.json", "--csv", tmp_path / "grades.csv")
    check_class(lines, tmp_path / "grades.csv", size[0])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_students_tests_keep_their_words(graded, tmux, tmp_path, size):
    lines = on_terminal(tmux, tmp_path, size, str(EXAMPLES), "--cache-dir", graded / "cache", "-v",
                        "--json", tmp_path / "shown.json")
    screen = "\n".join(lines)
    width = size[0]
    # This run's own results (a test the busy machine failed is graded again, and may differ).
    for record in json.loads((tmp_path / "shown.json").read_text(encoding="utf-8")):
        result = AssignmentResult.from_dict(record)
        follows = causes.followers(result)           # these point to their first test instead of a reason
        for test in result.tests:
            words = test.name.split() + ([] if test.name in follows else test.reason.split("\n")[0].split()[:40])
            for word in words:
                if len(word) <= width // 3 and word.isprintable():
                    assert whole(word, screen), (result.student, test.name, word)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_list_similar_and_check_keep_their_words(tmux, tmp_path, size):
    listed = "\n".join(on_terminal(tmux, tmp_path, size, "list", "udp-contacts", "--details"))
    from grader.specfile import catalog
    for test in catalog.resolve(["udp-contacts"])[0].tests:
        assert all(whole(word, listed) for word in test.name.split()), test.name
    alike = on_terminal(tmux, tmp_path, size, "similar", str(EXAMPLES))
    pairs = [i for i, line in enumerate(alike) if re.match(r"\d+ +(\d+%|identical)", line)]
    assert pairs
    for i in pairs:                                                # a pair is two lines at most
        nxt = next((j for j in pairs if j > i), len(alike))
        block = [line for line in alike[i:nxt] if line.strip()]
        assert len(block) <= 2 or not block[2].startswith(" "), alike[i:nxt]
    assert any(whole("tcp-contacts-threaded", line) for line in alike)
    if size[0] == 60:                        # one spec's check, at the narrower width (it grades: slow)
        checked = "\n".join(on_terminal(tmux, tmp_path, size, "check", SPECS / "udp-echo.yaml"))
        assert "READY" in checked
        for name in ("server binds UDP 9999", "replies go to each sender"):
            assert all(whole(word, checked) for word in name.split())
