"""``grade similar``: the real command on a class of independent solutions and one copied pair.

``tests/data/similar/class`` holds seven students' udp-contacts solutions, all started from the
lecture's code in ``tests/data/similar/lecture``: six written independently (ana, ben, chen,
dmitri, emma, farid) and gus's, dmitri's with the names changed and the functions reordered.
"""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path

from conftest import ROOT

DATA = ROOT / "tests" / "data" / "similar"
CLASS = DATA / "class"
LECTURE = [DATA / "lecture" / "udp_server.py", DATA / "lecture" / "udp_client.py"]
BASE = [arg for path in LECTURE for arg in ("--base", str(path))]
COPIED = ("dmitri", "gus")
INDEPENDENT = ["ana", "ben", "chen", "dmitri", "emma", "farid"]


def grade(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def pairs_of(*args, env=None) -> list[dict]:
    return json.loads(_pairs_json(tuple(map(str, args)), tuple(sorted((env or {}).items()))))


@functools.cache            # the same comparison, asked by several tests: run once per test process
def _pairs_json(args: tuple[str, ...], env: tuple) -> str:
    done = grade("similar", *args, "--json", "-", env=dict(env))
    assert done.returncode == 0, done.stderr
    return done.stdout


def similarity(pairs, a, b, role) -> float:
    return next(p["similarity"] for p in pairs if {p["a"], p["b"]} == {a, b} and p["role"] == role)


def test_the_copied_pair_ranks_first_well_above_every_other_pair():
    pairs = pairs_of(CLASS, *BASE)
    assert pairs == sorted(pairs, key=lambda p: -p["similarity"])
    assert all({"a", "b", "role", "similarity"} <= p.keys() and 0 <= p["similarity"] <= 1 for p in pairs)
    assert len(pairs) == 2 * 21                     # 7 students: 21 pairs per role, server and client
    for role in ("server", "client"):
        ranked = [p for p in pairs if p["role"] == role]
        assert (ranked[0]["a"], ranked[0]["b"]) == COPIED
        assert not ranked[0]["identical"]
        assert ranked[0]["similarity"] >= ranked[1]["similarity"] + 0.3, ranked[:2]
    copied = min(similarity(pairs, *COPIED, role) for role in ("server", "client"))
    others = [p["similarity"] for p in pairs if (p["a"], p["b"]) != COPIED]
    assert copied >= 0.8
    assert copied >= max(others) + 0.3


def test_code_shared_from_the_lecture_does_not_count():
    given = pairs_of(CLASS, *BASE)
    ignored = pairs_of(CLASS)
    for role in ("server", "client"):
        independent = list(combinations(INDEPENDENT, 2))
        with_base = sum(similarity(given, a, b, role) for a, b in independent) / len(independent)
        without = sum(similarity(ignored, a, b, role) for a, b in independent) / len(independent)
        assert without >= 2 * with_base and without - with_base >= 0.04, (role, without, with_base)
    # ana and farid both kept the lecture's receive loop, word for word: alike only through it
    assert similarity(ignored, "ana", "farid", "server") >= 0.25
    assert similarity(given, "ana", "farid", "server") <= 0.05
    assert (given[0]["a"], given[0]["b"]) == (ignored[0]["a"], ignored[0]["b"]) == COPIED


def test_identical_files_come_first_and_are_marked(tmp_path):
    klass = tmp_path / "class"
    shutil.copytree(CLASS, klass)
    (klass / "hana").mkdir()
    for name in ("contactserverudp.py", "contactclientudp.py"):     # ana's files, saved on Windows
        (klass / "hana" / name).write_bytes((klass / "ana" / name).read_bytes().replace(b"\n", b"\r\n"))
    pairs = pairs_of(klass, *BASE)
    assert [(p["a"], p["b"], p["identical"], p["similarity"]) for p in pairs[:2]] == \
        [("ana", "hana", True, 1.0)] * 2
    assert {p["role"] for p in pairs[:2]} == {"server", "client"}
    assert not any(p["identical"] for p in pairs[2:])
    assert (pairs[2]["a"], pairs[2]["b"]) == COPIED

    shown = grade("similar", klass, *BASE, "--top", "3")
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if re.match(r"^│\s*\d+ │", line)]
    assert len(rows) == 3
    assert all("identical" in row and "ana" in row and "hana" in row for row in rows[:2])
    assert "dmitri" in rows[2] and "gus" in rows[2] and "identical" not in rows[2]
    assert "2 pairs of identical files" in shown.stdout


def test_the_terminal_shows_the_top_pairs_at_or_above_the_threshold():
    shown = grade("similar", CLASS, *BASE, "--min", "0.5")
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if re.match(r"^│\s*\d+ │", line)]
    assert len(rows) == 2
    assert all("dmitri" in row and "gus" in row for row in rows)
    assert "2 at or above 0.5" in shown.stdout
    assert pairs_of(CLASS, *BASE, "--min", "0.5") == pairs_of(CLASS, *BASE)[:2]
    one = grade("similar", CLASS, *BASE, "--top", "1")
    assert len([line for line in one.stdout.splitlines() if re.match(r"^│\s*\d+ │", line)]) == 1


def test_each_students_files_decide_the_assignment(tmp_path):
    klass = tmp_path / "class"
    shutil.copytree(CLASS, klass)
    for student in ("ivy", "jon"):              # they handed in udp-echo's server
        (klass / student).mkdir()
        (klass / student / "serverudp.py").write_text(
            (ROOT / "reference" / "udp_echo_server.py").read_text(encoding="utf-8")
            + f"\n\ndef {student}_extra(values):\n    total = 0\n    for v in values:\n"
              "        total = total + v * v\n    return total\n", encoding="utf-8")
    pairs = pairs_of(klass, *BASE)
    echo = [p for p in pairs if p["spec"] == "udp-echo"]
    assert [(p["a"], p["b"], p["role"]) for p in echo] == [("ivy", "jon", "server")]
    assert echo[0]["similarity"] > 0.5           # their own lines alike; the reference they share does not count
    assert {p["spec"] for p in pairs} == {"udp-echo", "udp-contacts"}
    assert not any("ivy" in (p["a"], p["b"]) and p["spec"] == "udp-contacts" for p in pairs)
    chosen = pairs_of(klass, *BASE, "--spec", "udp-contacts")
    assert {p["spec"] for p in chosen} == {"udp-contacts"}
    # ivy's and jon's UDP servers are found for udp-contacts under another name, as `grade --spec` finds them
    assert len(chosen) == 36 + 21


def test_the_report_names_the_pair_has_no_external_resource_and_the_class_report_links_to_it(tmp_path):
    out = tmp_path / "out"
    done = grade("similar", CLASS, *BASE, "--report", out / "similar.html", "--top", "3")
    assert done.returncode == 0, done.stderr
    page = (out / "similar.html").read_text(encoding="utf-8")
    first = page[page.index('id="pair-1"'):page.index('id="pair-2"')]
    assert "dmitri" in first and "gus" in first and "server" in first
    assert first.count("<pre>") == 2 and "<mark>" in first
    assert "records.append" in first and "people.append" in first       # each one's own code, side by side
    assert 'href="#pair-3"' in page and 'id="pair-4"' not in page
    for external in ("http:", "https:", "//", "src=", "<link", "@import", "url(", "<script"):
        assert external not in page.replace("<!DOCTYPE html>", ""), external

    # the class report written beside it links to it; one in another folder does not
    from grader.reporting import json_report
    from grader.results import AssignmentResult, Status, TestResult
    results = [AssignmentResult(student=s, assignment="udp-contacts", title="UDP contact book", isolation="sandbox",
                                tests=[TestResult("startup", ["startup"], 2, 2, Status.PASSED)]) for s in INDEPENDENT]
    json_report.write(results, tmp_path / "results.json")
    for folder in (out, tmp_path / "elsewhere"):
        merged = grade("merge", tmp_path / "results.json", "--report", folder / "class.html")
        assert merged.returncode == 0, merged.stderr
    assert '<a href="similar.html">similar.html</a>' in (out / "class.html").read_text(encoding="utf-8")
    assert "similar.html" not in (tmp_path / "elsewhere" / "class.html").read_text(encoding="utf-8")


def test_mistakes_end_in_one_line_and_status_2(tmp_path):
    student = tmp_path / "one-student"
    shutil.copytree(CLASS / "ana", student)
    for args, words in [((tmp_path / "no-such-class",), "does not exist"),
                        ((CLASS, "--spec", "no-such-spec"), "no spec with id 'no-such-spec'"),
                        ((CLASS, "--base", tmp_path / "lecture.py"), "no such file"),
                        ((CLASS, "--base", DATA / "lecture"), "is a folder"),
                        ((CLASS, "--json", "-", "--report", "-"), "only one output"),
                        ((CLASS, "--min", "50"), "between 0 and 1"),
                        ((student,), "one student's submission")]:
        done = grade("similar", *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        said = (done.stdout + done.stderr).strip()
        assert len(said.splitlines()) == 1 and words in said, said
        assert "Traceback" not in said


def test_a_zip_of_the_class_gives_the_same_pairs(tmp_path):
    archive = shutil.make_archive(str(tmp_path / "class"), "zip", root_dir=DATA, base_dir="class")
    assert pairs_of(archive, *BASE) == pairs_of(CLASS, *BASE)


def test_the_figures_do_not_depend_on_pythons_salted_string_hashes():
    # copydetect hashes with hash(); keeping every fingerprint (no winnowing window) makes that not matter
    assert pairs_of(CLASS, *BASE, env={"PYTHONHASHSEED": "1"}) == pairs_of(CLASS, *BASE, env={"PYTHONHASHSEED": "2"})


def test_the_handout_is_not_a_copy_and_the_real_copy_ranks_first(tmp_path):
    # Ten students: every one hands in the lecture's client unchanged (one saved on Windows, one with
    # trailing spaces); hana and ivo hand in the lecture's server with the same one-line change; gus's
    # server (dmitri's, renamed) is under a name of his own, found as `grade` finds it.
    klass = tmp_path / "class"
    shutil.copytree(CLASS, klass)
    client = LECTURE[1].read_bytes()
    server = LECTURE[0].read_text(encoding="utf-8")
    for student in ("hana", "ivo", "jun"):
        (klass / student).mkdir()
    for n, folder in enumerate(sorted(klass.iterdir())):
        kept = client.replace(b"\n", b"\r\n") if n == 1 else client.replace(b"\n", b"   \n") if n == 2 else client
        (folder / "contactclientudp.py").write_bytes(kept)
    for student in ("hana", "ivo"):
        (klass / student / "contactserverudp.py").write_text(server.replace("9999", "9998"),
                                                              encoding="utf-8")
    (klass / "gus" / "contactserverudp.py").rename(klass / "gus" / "my_udp_book.py")

    pairs = pairs_of(klass, *BASE)
    assert (pairs[0]["a"], pairs[0]["b"], pairs[0]["role"]) == ("dmitri", "gus", "server")
    assert pairs[0]["files"] == ["contactserverudp.py", "my_udp_book.py"]
    assert not any(p["identical"] for p in pairs)
    assert not any(p["role"] == "client" for p in pairs)           # every client is the handout
    near = next(p for p in pairs if (p["a"], p["b"]) == ("hana", "ivo"))
    assert not near["identical"] and pairs.index(near) > 0    # the same port changed: all they wrote, little

    shown = grade("similar", klass, *BASE)
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if re.match(r"^│\s*\d+ │", line)]
    assert "dmitri" in rows[0] and "gus" in rows[0] and "identical" not in shown.stdout.split("kept")[0]
    assert ("kept the handout, compared with no one: ana, ben, chen, dmitri, emma, farid, gus, hana, ivo, jun "
            "(udp-contacts client: udp_client.py unchanged)") in " ".join(shown.stdout.split())


def test_a_file_that_is_the_reference_is_kept_handout_too(tmp_path):
    klass = tmp_path / "class"
    shutil.copytree(CLASS, klass)
    for student in ("ana", "ben"):
        shutil.copy(ROOT / "reference" / "udp_contact_server.py", klass / student / "contactserverudp.py")
    pairs = pairs_of(klass, *BASE)
    assert not any({"ana", "ben"} & {p["a"], p["b"]} for p in pairs if p["role"] == "server")
    assert (pairs[0]["a"], pairs[0]["b"]) == COPIED
