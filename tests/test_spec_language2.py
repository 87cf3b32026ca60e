"""Spec language 2 on real programs and sockets: a pause (sleep), step lists with parameters
(use ... with), an abrupt disconnect (close: reset), an expectation that skips other messages (skip),
and failure reasons that name the step as the spec wrote it."""
import pytest

from conftest import make_submission, threaded_tcp_server
from grader.specfile import SpecError, load_spec
from grader.steps import REGISTERED

# A line server: `ask` gets two notices, then the answer; `how` tells how the previous client left
# (fin: a polite close, reset: an RST); `late` answers after a second; anything else is echoed.
SERVER = threaded_tcp_server("""\
    import time
    left = ['none']

    def serve(conn):
        conn.sendall(b'Welcome!\\n')
        buf = b''
        try:
            while True:
                data = conn.recv(1024)
                if not data:
                    left[0] = 'fin'
                    return
                buf += data
                while b'\\n' in buf:
                    line, buf = buf.split(b'\\n', 1)
                    text = line.decode()
                    if text == 'ask':
                        conn.sendall(b'* notice one\\n* notice two\\nanswer 42\\n')
                    elif text == 'how':
                        conn.sendall((left[0] + '\\n').encode())
                    elif text == 'late':
                        time.sleep(1.0)
                        conn.sendall(b'at last\\n')
                    else:
                        conn.sendall(('echo ' + text + '\\n').encode())
        except ConnectionResetError:
            left[0] = 'reset'
        finally:
            conn.close()
""")

SPEC = """\
id: lang2
transport: tcp
framing: newline
roles:
  server: {files: [server.py], reference: ref_server.py}
defaults: {timeout: 3, tags: [protocol]}
step_lists:
  hello:
    - {client: "${who}", expect: "Welcome!"}
    - {client: "${who}", send: "I am ${who}"}
    - {client: "${who}", expect: "echo I am ${who}"}
tests:
  - name: skip passes over notices
    steps:
      - {expect: "Welcome!"}
      - {send: ask}
      - {expect: "answer 42", skip: "\\\\* .*"}
  - name: without skip the notice fails
    steps:
      - {expect: "Welcome!"}
      - {send: ask}
      - {expect: "answer 42"}
  - name: a message skip does not cover fails
    steps:
      - {expect: "Welcome!"}
      - {send: ask}
      - {expect: "answer 42", skip: "nothing like this"}
  - name: a reset is seen as a reset
    steps:
      - {use: hello, with: {who: a}}
      - {client: a, close: reset}
      - {sleep: 0.3}
      - {client: b, expect: "Welcome!"}
      - {client: b, send: how}
      - {client: b, expect: reset}
  - name: a polite close is seen as one
    steps:
      - {use: hello, with: {who: a}}
      - {client: a, close: true}
      - {sleep: 0.3}
      - {client: b, expect: "Welcome!"}
      - {client: b, send: how}
      - {client: b, expect: fin}
  - name: a pause lets a slow answer come
    steps:
      - {expect: "Welcome!"}
      - {send: late}
      - {sleep: 1.5}
      - {expect: "at last", timeout: 0.5}
  - name: parameters fill clients and texts
    steps:
      - {use: hello, with: {who: ann}}
      - {use: hello, with: {who: bob}}
  - name: a wrong greeting from a list names the list
    steps:
      - {use: hello, with: {who: zed}}
      - {client: zed, send: ask}
      - {client: zed, expect: "answer 43", skip: "\\\\* .*", timeout: 1}
  - name: a swarm of parameterised clients
    swarm:
      clients: 3
      steps:
        - {use: hello, with: {who: "u${i}"}}
"""


def line_of(text: str) -> int:
    """The line of SPEC where ``text`` first appears."""
    return next(n for n, line in enumerate(SPEC.splitlines(), 1) if text in line)


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lang2")
    (folder / "ref_server.py").write_text(SERVER)
    (folder / "spec.yaml").write_text(SPEC)
    return load_spec(folder / "spec.yaml")


@pytest.fixture(scope="module")
def graded(spec, tmp_path_factory, engine):
    student = make_submission(tmp_path_factory.mktemp("student"), {"server.py": SERVER})
    return {t.name: t for t in engine.grade(student, spec).tests}


def test_every_new_form_passes_where_the_server_is_right(graded):
    for name in ("skip passes over notices", "a reset is seen as a reset", "a polite close is seen as one",
                 "a pause lets a slow answer come", "parameters fill clients and texts",
                 "a swarm of parameterised clients"):
        assert graded[name].passed, (name, graded[name].reason)


def test_skipped_messages_go_to_the_transcript(graded):
    notes = [e["data"] for e in graded["skip passes over notices"].transcript
             if e["event"] == "note" and e["data"].startswith("skipped")]
    assert notes == ["skipped '* notice one'", "skipped '* notice two'"]


def test_without_skip_the_first_notice_fails(graded):
    test = graded["without skip the notice fails"]
    assert not test.passed and "'* notice one'" in test.reason


def test_a_message_that_skip_does_not_cover_fails_the_step(graded):
    test = graded["a message skip does not cover fails"]
    assert not test.passed
    assert "which `skip` does not pass over either" in test.reason and "'* notice one'" in test.reason


def test_a_failing_step_of_a_list_names_its_line_and_where_the_list_was_used(graded):
    reason = graded["a wrong greeting from a list names the list"].reason
    # The 3rd step of the test is its own; it skipped both notices, then saw the answer.
    assert reason.startswith(f"`expect` at spec.yaml:{line_of('answer 43')}, client zed: expected "
                             "'answer 43' (after skipping 2 messages), got 'answer 42', which `skip` does not "
                             "pass over either"), reason


def test_the_parameters_are_filled_in_when_the_spec_is_loaded(spec):
    test = {t.name: t for t in spec.tests}["parameters fill clients and texts"]
    assert [(s.client, s.action, s.text) for s in test.params.steps if s.text] == [("ann", "send", "I am ann"),
                                                                            ("bob", "send", "I am bob")]
    assert test.params.steps[0].origin == f"step list `hello` used at line {line_of('who: ann')} with who=ann"
    assert test.params.steps[0].line == line_of('expect: "Welcome!"')       # the list's own step
    swarm = {t.name: t for t in spec.tests}["a swarm of parameterised clients"].params
    assert [s.text for s in swarm.per_client[2] if s.text] == ["I am u3"]
    assert swarm.measured_reply == 2


def test_a_reason_from_a_list_names_where_it_was_used(tmp_path, engine):
    spec_text = SPEC.split("tests:\n")[0] + """tests:
  - name: wrong
    steps:
      - {use: hello, with: {who: ann}}
      - {use: hello, with: {who: "ann\\\\u0000"}}
"""
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "ref_server.py").write_text(SERVER)
    (folder / "spec.yaml").write_text(spec_text)
    with pytest.raises(SpecError):     # a client name from a parameter is still a client name
        load_spec(folder / "spec.yaml")
    broken = SERVER.replace("('echo ' + text + '\\n')", "('echo ' + text[::-1] + '\\n')")
    assert broken != SERVER
    (folder / "spec.yaml").write_text(SPEC)
    student = make_submission(tmp_path / "s", {"server.py": broken})
    result = {t.name: t for t in engine.grade(student, load_spec(folder / "spec.yaml")).tests}
    reason = result["parameters fill clients and texts"].reason
    expect_line = line_of("echo I am ${who}")
    assert reason.startswith(f"`expect` at spec.yaml:{expect_line}, client ann (step list "
                             f"`hello` used at line {line_of('who: ann')} with who=ann): expected "
                             "'echo I am ann'"), reason


@pytest.mark.parametrize("step,where,message", [
    ("{sleep: -1}", "tests[0].steps[0].sleep", "it must be more than 0"),
    ("{sleep: 61}", "tests[0].steps[0].sleep", "it may be at most 60"),
    ("{close: abort}", "tests[0].steps[0].close", "'abort' is not"),
    ("{expect: {silence: 1}, skip: x}", "tests[0].steps[0].skip", "`skip` cannot go with `silence`"),
    ("{expect: hi, skip: '('}", "tests[0].steps[0].skip", "bad regular expression"),
    ("{send: hi, skip: x}", "tests[0].steps[0].skip", "`skip` does not go with `send`"),
    ("{send: hi, with: {who: a}}", "tests[0].steps[0].with", "`with` does not go with `send`"),
    ("{use: hello, with: {whom: a}}", "tests[0].steps[0].with.whom", "has no parameter 'whom'"),
    ("{use: hello}", "step_lists.hello[0].client", "has a ${name} that nothing fills in"),
    ("{sleep: 1, send: x}", "tests[0].steps[0]", "several actions (send, sleep)"),
])
def test_errors_point_at_the_key(tmp_path, step, where, message):
    text = SPEC.split("tests:\n")[0] + f"tests:\n  - name: t\n    steps:\n      - {step}\n"
    (tmp_path / "ref_server.py").write_text(SERVER)
    (tmp_path / "spec.yaml").write_text(text)
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "spec.yaml")
    assert caught.value.path == where and message in str(caught.value), str(caught.value)
    assert caught.value.line is not None


def test_every_action_is_in_the_schema_and_the_guide():
    from grader.specfile.schema import schema
    guide = open("docs/spec-guide.md", encoding="utf-8").read()
    for name, action in REGISTERED.items():
        assert name in schema()["$defs"]["interaction" if action.on_terminal else "step"]["properties"]
        assert f"| `{name}: " in guide, f"docs/spec-guide.md's tables of steps do not describe {name}"


def test_every_kind_is_in_the_schema_and_the_guide():
    from grader.kinds import KINDS
    from grader.specfile.schema import schema
    guide = open("docs/spec-guide.md", encoding="utf-8").read()
    table = guide.split("### Tests", 1)[1].split("\n### ", 1)[0]
    for kind in KINDS:
        assert kind.key in schema()["$defs"]["test"]["properties"]
        assert f"| `{kind.key}" in table, f"docs/spec-guide.md's table of test keys does not describe {kind.key}"
