"""A hostile or broken spec file is one spec error with its file and line: never a traceback, a hang,
or gigabytes of memory. Each bomb is loaded in a child process limited to 1 GiB of address space and
10 s: finishing there with the spec error proves bounded memory and no hang."""
import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.specfile import SpecError, load_spec
from grader.spec import yaml_marks

ROOT = Path(__file__).resolve().parent.parent
MEMORY = 1 << 30
TIMEOUT = 10

HEAD = """\
id: demo
transport: udp
roles:
  server:
    files: [s.py]
"""                                       # the bombs start at line 6
TESTS = """\
tests:
  - name: binds
    tags: [startup]
    startup: true
"""


def spec_text(middle: str = "", tests: str = TESTS) -> str:
    return HEAD + middle + tests


def laughs() -> str:
    """Billion laughs: nine anchors, each nine aliases of the one before (9**9 values)."""
    lines = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"x-{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def merge_laughs() -> str:
    """The same through merge keys: each mapping merges the one before nine times over a list."""
    lines = ["x-a: &a {" + ", ".join(f"k{i}: lol" for i in range(9)) + "}"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"x-{name}: &{name} " + "{<<: [" + ", ".join([f"*{prev}"] * 9) + "], " + f"{name}: [" +
                     ", ".join([f"*{prev}"] * 9) + "]}")
    return "\n".join(lines) + "\n"


BOMBS = {
    # name: (text, the lines where the error may point, a word of its message)
    "alias bomb": (spec_text(laughs()), range(6, 15), "aliases expanded"),
    "merge-key alias bomb": (spec_text(merge_laughs()), range(6, 15), "aliases expanded"),
    "recursive alias in a list": (spec_text("x-r: &r [1, 2, *r]\n"), [6], "inside its own anchor"),
    "recursive alias in a mapping": (spec_text("x-r: &r\n  a: 1\n  b: *r\n"), [8], "inside its own anchor"),
    "recursive alias, deeper": (spec_text("x-r: &r\n  a: [1, {b: [*r]}]\n"), [7], "inside its own anchor"),
    "5000-deep list": (spec_text("x-deep: " + "[" * 5000 + "]" * 5000 + "\n"), [6], "64 levels"),
    "5000-deep mapping": (spec_text("x-deep: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"), [6], "64 levels"),
    "5000-deep block list": (spec_text("x-deep:\n  " + "- " * 5000 + "x\n"), [7], "64 levels"),
    "deep through aliases": (spec_text("".join(
        f"x-{i}: &d{i} [[[[[[[[[[{'*d%d' % (i - 1) if i else 1}]]]]]]]]]]\n" for i in range(20))),
        range(6, 26), "64 levels"),
    "merge loop": (spec_text("x-m: &m\n  k: 1\n  <<: *m\n"), [8], "inside its own anchor"),
    "merge loop through another mapping": (spec_text("x-a: &a\n  k: 1\n  b:\n    <<: *a\n"), [9],
                                           "inside its own anchor"),
    "huge file": (spec_text("# padding padding padding padding padding\n" * 40_000), None, "larger than 1 MiB"),
    "a million values": (spec_text("x-many: [" + "1," * 400_000 + "1]\n"), [6], "100000 values"),
    "long number": (spec_text("x-n: " + "1:" * 50_000 + "1\n"), [6], "a number of"),
    "step lists that multiply": (HEAD + "step_lists:\n  l0: [{send: x}, {send: x}, {send: x}, {send: x}]\n" + "".join(
        f"  l{i}: [{{use: l{i - 1}}}, {{use: l{i - 1}}}, {{use: l{i - 1}}}, {{use: l{i - 1}}}]\n" for i in range(1, 16))
        + "tests:\n  - name: talks\n    tags: [protocol]\n    steps: [{use: l15}]\n", [26], "100000 steps"),
}

CHILD = """\
import json, sys
from grader.spec import SpecError, yaml_marks
if sys.argv[2] == "pure":
    yaml_marks._Loader = yaml_marks._PurePythonLoader
from grader.specfile.loader import load_spec
try:
    load_spec(sys.argv[1])
except SpecError as exc:
    print(json.dumps({"source": str(exc.source), "line": exc.line, "path": exc.path,
                      "message": exc.message, "text": str(exc)}))
    sys.exit(3)
print("loaded")
"""


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_bounded(args, **kwargs) -> subprocess.CompletedProcess:
    """``args`` in a child with 1 GiB of address space, killed (and the test failed) after 10 s."""
    env = {**os.environ, "COLUMNS": "400", "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_limit_memory,
                           env=env, cwd=ROOT, **kwargs)


def load_bounded(path: Path, parser: str = "fast") -> dict:
    child = run_bounded([sys.executable, "-c", CHILD, str(path), parser])
    assert "Traceback" not in child.stderr, child.stderr[-3000:]
    assert child.returncode == 3, (child.returncode, child.stdout, child.stderr[-3000:])
    return json.loads(child.stdout)


# The YAML bombs again on PyYAML's own parser (used where libyaml is missing), but those that are
# only big: it composes 100000 values in seconds, not in the tenth of a second libyaml takes.
BOTH_PARSERS = [(bomb, "fast") for bomb in BOMBS] + [
    (bomb, "pure") for bomb in BOMBS if bomb not in ("a million values", "step lists that multiply")]


@pytest.mark.parametrize("bomb, parser", BOTH_PARSERS)
def test_bomb_is_one_spec_error(tmp_path, bomb, parser):
    text, lines, words = BOMBS[bomb]
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    error = load_bounded(path, parser)
    assert error["source"] == str(path)
    assert words in error["message"]
    if lines is None:           # the huge file: the line where 1 MiB falls
        lines = [text.encode()[:yaml_marks.MAX_FILE_BYTES].count(b"\n") + 1]
    assert error["line"] in lines, error
    assert error["text"].startswith(f"{path}:{error['line']}: ")


def test_a_device_is_read_no_further_than_the_limit():
    error = load_bounded(Path("/dev/zero"))
    assert "larger than 1 MiB" in error["message"] and error["line"] == 1


@pytest.mark.parametrize("bomb", ["alias bomb", "5000-deep list", "merge loop", "recursive alias in a list",
                                  "huge file"])
def test_grade_check_says_spec_error_without_traceback(tmp_path, bomb):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMBS[bomb][0], encoding="utf-8")
    child = run_bounded([sys.executable, "-m", "grader", "check", "--no-saboteurs", str(path)])
    assert child.returncode == 2, (child.stdout, child.stderr[-3000:])
    assert "Traceback" not in child.stdout + child.stderr
    errors = [line for line in child.stderr.splitlines() if line.startswith("grade check: spec error: ")]
    assert len(errors) == 1 and f"{path}:" in errors[0], child.stderr


@pytest.mark.parametrize("bomb", ["alias bomb", "5000-deep mapping", "merge loop"])
def test_grading_with_a_bomb_says_spec_error_without_traceback(tmp_path, bomb):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMBS[bomb][0], encoding="utf-8")
    (tmp_path / "alice").mkdir()
    child = run_bounded([sys.executable, "-m", "grader", str(tmp_path / "alice"), "--spec", str(path)])
    assert child.returncode == 2, (child.stdout, child.stderr[-3000:])
    assert "Traceback" not in child.stdout + child.stderr
    errors = [line for line in child.stderr.splitlines() if line.startswith("grade: spec error: ")]
    assert len(errors) == 1 and f"{path}:" in errors[0], child.stderr


# -- numbers ------------------------------------------------------------------------------------
def error_of(tmp_path, text) -> SpecError:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")
    return caught.value


STEPS_TEST = """\
tests:
  - name: talks
    tags: [protocol]
    steps: [{send: hi}, {expect: hello}]
"""


@pytest.mark.parametrize("middle, tests, key, line, words", [
    ("", TESTS + "    points: .inf\n", "tests[0].points", 10, "not a finite number"),
    ("", TESTS + "    points: .nan\n", "tests[0].points", 10, "not a finite number"),
    ("", TESTS + "    points: -.inf\n", "tests[0].points", 10, "not a finite number"),
    ("", STEPS_TEST + "    timeout: .nan\n", "tests[0].timeout", 10, "not a finite number"),
    ("", STEPS_TEST.replace("{expect: hello}", "{expect: {silence: .NaN}}"),
     "tests[0].steps[1].expect.silence", 9, "not a finite number"),
    ("defaults: {timeout: .Inf}\n", TESTS, "defaults.timeout", 6, "not a finite number"),
    ("x-anything: [1, 2, .nan]\n", TESTS, "x-anything[2]", 6, "not a finite number"),
    ("limits: {memory_mib: 1.0e+20}\n", TESTS, "limits.memory_mib", 6, "should be of type integer"),
    ("", "tests:\n  - name: s\n    tags: [concurrency]\n    swarm: {clients: 5.0, steps: [{send: x}]}\n",
     "tests[0].swarm.clients", 9, "should be of type integer"),
    ("limits: {memory_mib: 100000000000000000000}\n", TESTS, "limits.memory_mib", 6, "at most 65536"),
    ("limits: {cpu_seconds: 100000}\n", TESTS, "limits.cpu_seconds", 6, "at most 600"),
    ("limits: {processes: 1000000}\n", TESTS, "limits.processes", 6, "at most 4096"),
    ("limits: {file_size_mib: 1000000}\n", TESTS, "limits.file_size_mib", 6, "at most 65536"),
    ("limits: {open_files: 1000000}\n", TESTS, "limits.open_files", 6, "at most 65536"),
    ("limits:\n  submission_seconds: 1.0e+9\n", TESTS, "limits.submission_seconds", 7, "at most 86400"),
    ("", TESTS + "    points: 1.0e+300\n", "tests[0].points", 10, "at most 1000"),
    ("defaults: {points: 5000}\n", TESTS, "defaults.points", 6, "at most 1000"),
    ("", STEPS_TEST + "    timeout: 86400\n", "tests[0].timeout", 10, "at most 600"),
    ("networks:\n  lossy: {seed: 99999999999999}\n", TESTS, "networks.lossy.seed", 7, "at most 4294967295"),
    ("networks:\n  lossy: {to_server: {drop: [1, 100000000000]}}\n", TESTS,
     "networks.lossy.to_server.drop[1]", 7, "at most 1000000"),
    ("", "tests:\n  - name: g\n    tags: [protocol]\n    generate: {commands: [x], seed: -1}\n",
     "tests[0].generate.seed", 9, "at least 0"),
    ("x-n: " + "9" * 500 + "\n", TESTS, "x-n", 6, "a number of 500 characters"),
])
def test_numbers_are_finite_and_bounded(tmp_path, middle, tests, key, line, words):
    err = error_of(tmp_path, spec_text(middle, tests))
    assert err.path == key and err.line == line
    assert words in err.message, err


def test_bounds_are_in_the_hint(tmp_path):
    err = error_of(tmp_path, spec_text("limits: {memory_mib: 16}\n"))
    assert err.path == "limits.memory_mib" and "at least 32" in err.message
    assert err.hint == "allowed: from 32 to 65536"


def test_numbers_within_bounds_still_load(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(spec_text("limits: {memory_mib: 65536, cpu_seconds: 600, submission_seconds: 86400}\n"
                              "networks:\n  lossy: {seed: 4294967295, to_server: {drop: [1000000]}}\n"
                              "x-text: {a: 12345678901234567890123, b: 1:20, c: 0x1F}\n",
                              TESTS + "    points: 1000\n"))
    spec = load_spec(path)
    assert spec.tests[0].points == 1000 and spec.limits.memory_mib == 65536


# -- reference programs -------------------------------------------------------------------------
def write_spec(folder: Path, reference: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "spec.yaml"
    path.write_text(HEAD + f"    reference: {reference}\n" + TESTS, encoding="utf-8")
    return path


def reference_error(path: Path) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    err = caught.value
    assert err.path == "roles.server.reference" and err.line == 6, err
    return err


def test_reference_cannot_climb_out(tmp_path):
    err = reference_error(write_spec(tmp_path / "course" / "specs", "../../../etc/passwd"))
    assert "outside" in err.message and str((tmp_path / "course" / "specs").resolve()) in err.hint


@pytest.mark.parametrize("reference", ["/etc/passwd", "/etc/hostname-does-not-matter"])
def test_reference_cannot_be_an_absolute_path_elsewhere(tmp_path, reference):
    err = reference_error(write_spec(tmp_path, reference))
    assert "outside" in err.message


def test_reference_symlink_pointing_outside(tmp_path):
    outside = tmp_path / "elsewhere" / "secret.py"
    outside.parent.mkdir()
    outside.write_text("print('secret')\n")
    folder = tmp_path / "spec"
    folder.mkdir()
    (folder / "ref.py").symlink_to(outside)
    (folder / "refs").symlink_to(outside.parent)
    assert "outside" in reference_error(write_spec(folder, "ref.py")).message
    assert "outside" in reference_error(write_spec(folder, "refs/secret.py")).message


def test_reference_folder_beside_the_specs_cannot_be_a_symlink_elsewhere(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "server.py").write_text("print('hi')\n")
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "reference").symlink_to(tmp_path / "elsewhere")
    err = reference_error(write_spec(tmp_path / "course" / "specs", "../reference/server.py"))
    assert "outside" in err.message


def test_reference_inside_the_allowed_folders_loads(tmp_path):
    course = tmp_path / "course"
    for folder in (course / "specs" / "ref", course / "reference"):
        folder.mkdir(parents=True)
        (folder / "server.py").write_text("print('hi')\n")
    (course / "specs" / "link.py").symlink_to(course / "specs" / "ref" / "server.py")
    shipped = ROOT / "reference" / "udp_echo_server.py"
    for reference, expected in [("ref/server.py", course / "specs" / "ref" / "server.py"),
                                ("link.py", course / "specs" / "ref" / "server.py"),
                                ("../reference/server.py", course / "reference" / "server.py"),
                                (str(shipped), shipped)]:
        spec = load_spec(write_spec(course / "specs", reference))
        assert spec.roles["server"].reference == expected.resolve()


def test_reference_symlink_loop_and_nul_byte(tmp_path):
    (tmp_path / "a.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")
    assert "not a usable path" in reference_error(write_spec(tmp_path, "a.py")).message
    assert "not a usable path" in reference_error(write_spec(tmp_path, '"a\\0.py"')).message


def test_missing_reference_inside_still_says_so(tmp_path):
    err = reference_error(write_spec(tmp_path, "nowhere.py"))
    assert "does not exist" in err.message


# -- what the step lists and swarms multiply ----------------------------------------------------
def test_step_lists_nesting_too_deep(tmp_path):
    lists = "".join(f"  l{i}: [{{use: l{i - 1}}}]\n" for i in range(1, 41))
    err = error_of(tmp_path, HEAD + "step_lists:\n  l0: [{send: x}]\n" + lists
                   + "tests:\n  - name: t\n    tags: [protocol]\n    steps: [{use: l40}]\n")
    assert "more than 32 deep" in err.message and err.path.startswith("step_lists.")


def test_swarm_steps_are_counted(tmp_path):
    err = error_of(tmp_path, HEAD + "x-steps: &many [" + ", ".join(["{send: x}"] * 1001) + "]\n"
                   + "tests:\n  - name: t\n    tags: [concurrency]\n    swarm: {clients: 100, steps: *many}\n")
    assert "100000 steps" in err.message and err.path == "tests[0].swarm.clients"


def test_too_many_tests(tmp_path):
    tests = "".join(f"  - {{name: g{i}, <<: *gen}}\n" for i in range(41))
    err = error_of(tmp_path, HEAD + "x-gen: &gen {tags: [protocol], generate: {commands: [x], conversations: 50}}\n"
                   + "tests:\n" + tests)
    assert "more than 2000 tests" in err.message and err.path == "tests[40]"


# -- normal specs load as before, with either parser ----------------------------------------------
SPEC_FILES = sorted((ROOT / "specs").glob("*.yaml"))


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_both_parsers_read_the_shipped_specs_alike(path, monkeypatch):
    text = path.read_text(encoding="utf-8")
    fast = yaml_marks.load_with_lines(text, path)
    monkeypatch.setattr(yaml_marks, "_Loader", yaml_marks._PurePythonLoader)
    assert yaml_marks.load_with_lines(text, path) == fast
    assert load_spec(path).id == path.stem


def test_anchors_and_merges_still_work(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(HEAD + textwrap.dedent("""\
        x-base: &base {tags: [protocol], points: 2}
        x-more: &more {<<: *base, hint: read the lecture}
        x-steps: &steps [{send: hi}, {expect: hello}]
        tests:
          - name: one
            <<: *more
            steps: *steps
          - name: two
            <<: [*base, *more]
            points: 3
            steps: *steps
        """), encoding="utf-8")
    one, two = load_spec(path).tests
    assert (one.points, one.tags, one.hint, len(one.params.steps)) == (2, ("protocol",), "read the lecture", 2)
    assert (two.points, two.hint) == (3, "read the lecture")
