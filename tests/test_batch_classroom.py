"""Finding the students of a class, extracting zips safely, and shards (nothing is graded here)."""
import os
import zipfile
from pathlib import Path

import pytest

from classbuild import EXAMPLES, ROOT, zip_folder
from grader.specfile import catalog
from grader.input import classroom
from grader.grading.batch import class_digest, dealt, parse_shard, shard_sizes
from grader.input.classroom import open_class
from grader.input.unzip import SubmissionProblem, extract

SPECS = catalog.load_all()


def names(found):
    return [s.name for s in found.students]


def test_a_folder_whose_own_files_match_is_one_student(tmp_path):
    found = open_class(EXAMPLES / "alice", SPECS, tmp_path)
    assert found.single and names(found) == ["alice"]


def test_a_class_folder_lists_folders_and_zips(tmp_path):
    klass = tmp_path / "class"
    for name in ("bob", "张三", "Zhang San_1234_assignsubmission_file_"):
        (klass / name).mkdir(parents=True)
        (klass / name / "serverudp.py").write_text("pass\n", encoding="utf-8")
    zip_folder(EXAMPLES / "ivan", klass / "ivan.zip")
    zip_folder(EXAMPLES / "ivan", klass / "bob.zip")           # a second "bob" keeps its file name
    (klass / "__MACOSX").mkdir()
    (klass / ".git").mkdir()
    (klass / "notes.txt").write_text("not a student\n", encoding="utf-8")
    found = open_class(klass, SPECS, tmp_path / "scratch")
    assert not found.single
    assert names(found) == ["Zhang San", "bob", "bob.zip", "ivan", "张三"]


def test_a_zip_of_one_student_wrapped_in_a_folder(tmp_path):
    archive = zip_folder(EXAMPLES / "frank", tmp_path / "frank.zip", wrap="frank-homework")
    found = open_class(archive, SPECS, tmp_path / "scratch")
    assert found.single and names(found) == ["frank"]
    student = found.students[0]
    student.prepare(tmp_path / "scratch")
    assert not student.problem
    assert (student.path / "frank-homework" / "serverudp.py").is_file()


def test_a_class_zip_of_student_folders(tmp_path):
    staged = tmp_path / "staged"
    for name in ("alice", "erin"):
        zip_folder(EXAMPLES / name, tmp_path / f"{name}.zip")
    (staged / "class").mkdir(parents=True)
    for name in ("alice", "erin"):
        os.rename(tmp_path / f"{name}.zip", staged / "class" / f"{name}.zip")     # zips inside the class zip
    (staged / "class" / "frank").mkdir()
    (staged / "class" / "frank" / "serverudp.py").write_bytes((EXAMPLES / "frank" / "serverudp.py").read_bytes())
    archive = zip_folder(staged, tmp_path / "download.zip")
    found = open_class(archive, SPECS, tmp_path / "scratch")
    assert not found.single and names(found) == ["alice", "erin", "frank"]
    for student in found.students:
        student.prepare(tmp_path / "scratch")
        assert not student.problem and any(student.path.iterdir())


def zip_with(tmp_path, entries: dict[str, bytes], mode: int | None = None) -> Path:
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            z.writestr(info, data)
    return archive


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/tmp/evil.py", "C:/evil.py", "..\\evil.py"])
def test_paths_leading_out_are_refused(tmp_path, name):
    archive = zip_with(tmp_path, {"serverudp.py": b"pass\n", name: b"print('out')\n"})
    target = tmp_path / "deep" / "out"
    with pytest.raises(SubmissionProblem, match="outside its folder"):
        extract(archive, target, 1 << 20, 100)
    assert not list(tmp_path.rglob("evil.py"))


def test_links_are_refused(tmp_path):
    archive = zip_with(tmp_path, {"serverudp.py": b"/etc/passwd"}, mode=0o120777)
    with pytest.raises(SubmissionProblem, match="symbolic link"):
        extract(archive, tmp_path / "out", 1 << 20, 100)


def test_size_and_count_caps_are_counted_while_writing(tmp_path):
    archive = zip_with(tmp_path, {"big.bin": b"\0" * (3 << 20)})       # compresses to almost nothing
    with pytest.raises(SubmissionProblem, match="more than 1 MB"):
        extract(archive, tmp_path / "out", 1 << 20, 100)
    many = zip_with(tmp_path, {f"f{i}.py": b"" for i in range(20)})
    with pytest.raises(SubmissionProblem, match="more than 10 files"):
        extract(many, tmp_path / "out2", 1 << 20, 10)


def test_a_big_folder_is_a_problem_for_that_student_only(tmp_path, monkeypatch):
    monkeypatch.setattr(classroom, "MAX_STUDENT_BYTES", 1000)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "serverudp.py").write_bytes(b"#" * 2000)
    student = classroom.Student("s", tmp_path / "s")
    student.prepare(tmp_path / "scratch")
    assert "more than" in student.problem and student.path is None


def test_gbk_names_from_chinese_windows_are_read(tmp_path):
    """Zips made by Windows' built-in tool in a Chinese locale store GBK names without the UTF-8 flag."""
    archive = tmp_path / "gbk.zip"
    placeholder = "ABCD/serverudp.py"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(placeholder, b"pass\n")
    raw = archive.read_bytes()
    gbk = "张三".encode("gbk")
    assert len(gbk) == 4 and raw.count(b"ABCD/") == 2      # local header and central directory
    archive.write_bytes(raw.replace(b"ABCD/", gbk + b"/"))
    extract(archive, tmp_path / "out", 1 << 20, 100)
    assert (tmp_path / "out" / "张三" / "serverudp.py").is_file()


def test_a_damaged_zip_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    student = classroom.Student("bad", tmp_path / "bad.zip")
    student.prepare(tmp_path / "scratch")
    assert "not a zip file" in student.problem


def test_shards_deal_the_class_in_turn_by_name():
    students = [f"student{i:02}" for i in range(60)] + ["张三", "alice"]
    for n in (1, 2, 3, 7, 62, 70):
        parts = [dealt(students, (k, n)) for k in range(1, n + 1)]
        assert sum(len(p) for p in parts) == len(students)
        assert set().union(*parts) == set(students)
        sizes = [len(p) for p in parts]
        assert max(sizes) - min(sizes) <= 1 and sizes == shard_sizes(len(students), n)
    # sorted by name, the i-th to shard i mod N + 1: the order the folder lists them in does not matter
    assert dealt(["bob", "alice", "carol", "dave"], (1, 3)) == {"alice", "dave"}
    assert dealt(list(reversed(students)), (2, 7)) == dealt(students, (2, 7))
    assert shard_sizes(11, 4) == [3, 3, 3, 2] and shard_sizes(2, 4) == [1, 1, 0, 0]
    assert class_digest(["b", "a"]) == class_digest(["a", "b"]) != class_digest(["a", "b", "c"])
    assert parse_shard("2/5") == (2, 5)
    for bad in ("0/2", "3/2", "1", "a/b"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_the_gradescope_zip_has_the_scripts_at_its_root(tmp_path):
    import subprocess
    import sys
    out = tmp_path / "autograder.zip"
    subprocess.run([sys.executable, str(ROOT / "gradescope" / "make_zip.py"), str(out)], check=True,
                   capture_output=True)
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert {"setup.sh", "run_autograder", "pyproject.toml", "grader/cli.py", "specs/udp-echo.yaml",
            "reference/udp_echo_server.py"} <= names
    assert modes["run_autograder"] & 0o111


def test_the_runs_own_output_folder_inside_the_class_is_no_student(tmp_path):
    klass = tmp_path / "class"
    (klass / "alice").mkdir(parents=True)
    (klass / "alice" / "serverudp.py").write_text("pass\n", encoding="utf-8")
    (klass / "feedback").mkdir()
    (klass / "feedback" / "alice.md").write_text("# Feedback\n", encoding="utf-8")
    assert names(open_class(klass, SPECS, tmp_path / "s")) == ["alice", "feedback"]
    assert names(open_class(klass, SPECS, tmp_path / "s", skip=[klass / "feedback"])) == ["alice"]
