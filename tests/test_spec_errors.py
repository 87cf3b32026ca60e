"""A bad spec gets one message with file, line and key; the CLI shows no traceback."""
import textwrap

import pytest

from grader.cli import main
from grader.spec import SpecError, load_spec

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
    assert spec.tests[1].steps[1].expect.values == ("hello",)


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
    from grader.spec import catalog
    ids = {s.id for s in catalog.load_all()}
    assert ids == {"tcp-echo-threaded", "udp-echo", "udp-contacts", "tcp-contacts-threaded"}
