"""A bad spec gets one message with file, line and key; the CLI shows no traceback."""
import textwrap

import pytest

from grader.cli import main
from grader.specfile import SpecError, load_spec

GOOD = """\
id: demo
transport: udp
roles:
  server:
    files: [s.py]
tests:
  - name: binds
    tags: [startup]
    startup: true
  - name: talks
    tags: [protocol]
    steps:
      - send: hi
      - expect: hello
"""


def write(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path, text) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, text))
    return caught.value


def test_good_spec_loads(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert [t.kind for t in spec.tests] == ["startup", "conversation"]
    assert spec.tests[1].params.steps[1].expect.values == ("hello",)


def test_unknown_key_points_at_its_line_and_suggests(tmp_path):
    err = error_of(tmp_path, GOOD.replace("      - expect: hello", "      - expct: hello"))
    assert err.line == 14
    assert err.path == "tests[1].steps[1].expct"
    assert "unknown key 'expct'" in err.message
    assert "expect" in err.hint


def test_bad_expectation_explains_the_forms(tmp_path):
    err = error_of(tmp_path, GOOD.replace("expect: hello", "expect: [hello]"))
    assert err.path == "tests[1].steps[1].expect"
    assert err.line == 14
    assert "must be a string or a mapping" in err.hint


def test_test_with_two_kinds(tmp_path):
    err = error_of(tmp_path, GOOD.replace("    startup: true", "    startup: true\n    steps: [{send: x}]"))
    assert "more than one of startup, steps, client" in err.message
    assert err.line == 7


def test_unknown_tag(tmp_path):
    err = error_of(tmp_path, GOOD.replace("tags: [protocol]", "tags: [protcol]"))
    assert err.path == "tests[1].tags[0]" and err.line == 11
    assert "'protcol' is not one of" in err.message


def test_top_level_typo_has_a_message(tmp_path):
    err = error_of(tmp_path, GOOD.replace("transport: udp", "transprt: udp"))
    assert err.message and err.line == 2


def test_yaml_syntax_error_has_line(tmp_path):
    err = error_of(tmp_path, GOOD + "  - name: [unclosed\n")
    assert "not valid YAML" in err.message and err.line


def test_yaml_syntax_error_names_the_character(tmp_path):
    err = error_of(tmp_path, GOOD.replace("transport: udp", "transport: @udp"))
    assert "not valid YAML" in err.message and "'@'" in err.message and err.line == 2


def test_reference_outside_the_spec_folder(tmp_path):
    err = error_of(tmp_path, GOOD.replace("files: [s.py]", "files: [s.py]\n    reference: ../../../etc/passwd"))
    assert "outside" in err.message and err.path == "roles.server.reference" and err.line == 6


def test_infinite_points(tmp_path):
    err = error_of(tmp_path, GOOD.replace("    startup: true", "    startup: true\n    points: .inf"))
    assert "not a finite number" in err.message and err.path == "tests[0].points" and err.line == 10


def test_duplicate_key(tmp_path):
    err = error_of(tmp_path, GOOD.replace("transport: udp", "transport: udp\ntransport: tcp"))
    assert "appears twice" in err.message and err.line == 3


def test_missing_reference_program(tmp_path):
    err = error_of(tmp_path, GOOD.replace("files: [s.py]", "files: [s.py]\n    reference: nowhere.py"))
    assert "does not exist" in err.message and err.path == "roles.server.reference"


def test_reference_expectation_needs_reference_program(tmp_path):
    err = error_of(tmp_path, GOOD.replace("expect: hello", "expect: {reference: true}"))
    assert "reference program" in err.message


def test_duplicate_test_names(tmp_path):
    err = error_of(tmp_path, GOOD.replace("name: talks", "name: binds"))
    assert "used twice" in err.message and err.line == 10


def test_cli_prints_location_not_traceback(tmp_path, capsys):
    spec = write(tmp_path, GOOD.replace("      - expect: hello", "      - expct: hello"))
    student = tmp_path / "alice"
    student.mkdir()
    code = main([str(student), "--spec", str(spec)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"grade: spec error: {spec}:14" in err and "expct" in err
    assert "Traceback" not in err


def test_cli_unknown_spec_id(tmp_path, capsys):
    (tmp_path / "bob").mkdir()
    assert main([str(tmp_path / "bob"), "--spec", "no-such-spec"]) == 2
    assert "no spec with id 'no-such-spec'" in capsys.readouterr().err


def test_shipped_specs_load():
    from grader.specfile import catalog
    ids = {s.id for s in catalog.load_all()}
    assert ids == {"tcp-echo-threaded", "udp-echo", "udp-contacts", "tcp-contacts-threaded"}


# -- a spec that cannot be read as text ------------------------------------------------------------
# A byte in the name of the first test -> what the one line says of it.
NOT_TEXT = {
    "nul": (b"\x00", r"is \x00, a control character YAML does not allow"),
    "not-utf8": (b"\xff", "is 0xff: the file is not UTF-8 text"),
    "control": (b"\x01", r"is \x01, a control character YAML does not allow"),
    "del": (b"\x7f", r"is \x7f, a control character YAML does not allow"),
    "c1": ("\x9b".encode(), r"is \x9b, a control character YAML does not allow"),
}


def not_text_spec(folder, byte: bytes):
    """GOOD with ``byte`` inside a test's name; the path and where the byte is (offset, line, column)."""
    data = GOOD.encode()
    offset = data.index(b"binds") + 2
    path = folder / "spec.yaml"
    path.write_bytes(data[:offset] + byte + data[offset:])
    line = data[:offset].count(b"\n") + 1
    return path, offset, line, offset - data.rfind(b"\n", 0, offset)


def grade_cli(*args, cwd=None):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          errors="backslashreplace", cwd=cwd, timeout=300)


def one_line_naming(proc, path, offset, line, column, says):
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{path}:{line}: cannot read the spec as text: byte {offset} (line {line}, column {column}) {says}" \
        in proc.stderr


@pytest.mark.parametrize("kind", NOT_TEXT)
def test_a_spec_that_is_not_text_is_one_line_with_its_offset(tmp_path, kind):
    byte, says = NOT_TEXT[kind]
    path, offset, line, column = not_text_spec(tmp_path, byte)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.line == line and f"byte {offset} (line {line}, column {column}) {says}" in str(caught.value)
    one_line_naming(grade_cli("check", path), path, offset, line, column, says)


@pytest.mark.parametrize("command", ["grade", "list", "similar", "gradescope", "specs-dir"])
def test_every_command_reading_a_spec_says_it_is_not_text_in_one_line(tmp_path, command):
    byte, says = NOT_TEXT["nul"]
    (tmp_path / "specs").mkdir()
    path, offset, line, column = not_text_spec(tmp_path / "specs", byte)
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "s.py").write_text("print('hi')\n", encoding="utf-8")
    (tmp_path / "autograder" / "submission").mkdir(parents=True)
    args = {"grade": [tmp_path / "class" / "alice", "--spec", path],
            "list": ["list", path],
            "similar": ["similar", tmp_path / "class", "--spec", path],
            "gradescope": ["--gradescope", "--spec", path, "--autograder-dir", tmp_path / "autograder"],
            "specs-dir": [tmp_path / "class" / "alice", "--specs-dir", tmp_path / "specs"]}[command]
    one_line_naming(grade_cli(*args), path, offset, line, column, says)
