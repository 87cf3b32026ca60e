"""`grade check`: every saboteur is flagged by a deliberately weak spec; exit codes; `grade new`."""
import textwrap

import pytest

from conftest import PORT_ARG, threaded_tcp_server
from grader.cli import main
from grader.grading.check import check
from grader.specfile import load_spec


PING_SERVER = threaded_tcp_server("""\
    def serve(conn):
        with conn:
            while True:
                data = conn.recv(1024)
                if not data or data == b'exit':
                    return
                if data == b'ping':
                    conn.sendall(b'pong')           # anything else gets no reply
""")

PING_CLIENT = PORT_ARG + textwrap.dedent("""\
    import socket
    word = [a for a in sys.argv[1:] if a not in ('--port', str(PORT))][0]
    with socket.create_connection(('127.0.0.1', PORT), timeout=5) as s:
        s.sendall(word.encode())
        print(s.recv(1024).decode())
""")

WEAK_SPEC = """\
id: weak
transport: tcp
roles:
  server: {files: [server.py], reference: ref/server.py}
  client: {files: [client.py], reference: ref/client.py}
defaults: {timeout: 1, tags: [protocol]}
tests:
  - name: binds
    tags: [startup]
    startup: true
  - name: ping gets pong
    steps: [{send: ping}, {expect: pong}]
  - name: unknown words are ignored
    steps: [{send: hello}, {expect: {silence: 0.5}}]
  - name: ping gets a reply
    steps: [{send: ping}, {expect: {any: true}}]
  - name: exit closes the connection
    steps: [{send: exit}, {expect: {closed: true}}]
  - name: the client runs
    tags: [client]
    client: {argv: [ping]}
  - name: the client prints pong
    tags: [client]
    client: {argv: [ping], sent: [ping], output: [pong]}
  - name: the reference talks to itself
    server: reference
    steps: [{send: ping}, {expect: pong}]
"""


def write_spec(folder, text=WEAK_SPEC):
    (folder / "ref").mkdir(parents=True, exist_ok=True)
    (folder / "ref" / "server.py").write_text(PING_SERVER)
    (folder / "ref" / "client.py").write_text(PING_CLIENT)
    path = folder / "spec.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")


def test_each_saboteur_is_flagged_on_a_weak_spec(tmp_path):
    report = check(load_spec(write_spec(tmp_path)))
    assert report.reference_failures == []
    warnings = dict(report.warnings)
    assert set(warnings) == {"unknown words are ignored", "ping gets a reply", "exit closes the connection",
                             "the client runs", "the reference talks to itself"}
    assert warnings["unknown words are ignored"].startswith("passed by the silent server, the crashing server")
    assert warnings["ping gets a reply"].startswith("passed by the same-reply server, the echo server:")
    assert warnings["exit closes the connection"].startswith("passed by the crashing server:")
    assert warnings["the client runs"].startswith("passed by the mute client:")
    assert "runs only reference programs" in warnings["the reference talks to itself"]
    # The strong tests catch every saboteur that plays their role; the startup test is not asked to.
    assert report.caught_by("ping gets pong") == {"silent server": True, "same-reply server": True,
                                                  "echo server": True, "crashing server": True}
    assert report.caught_by("the client prints pong") == {"mute client": True}
    assert report.caught_by("binds") == {}


def test_warnings_pass_unless_strict(tmp_path, capsys, wide):
    spec = write_spec(tmp_path)
    assert main(["check", "--no-saboteurs", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "saboteurs not run (--no-saboteurs)" in out
    assert "'the reference talks to itself': it runs only reference programs" in out
    assert "READY, with 1 warning" in out
    assert main(["check", "--no-saboteurs", "--strict", str(spec)]) == 1


def test_reference_that_fails_exits_1(tmp_path, capsys, wide):
    spec = write_spec(tmp_path, WEAK_SPEC.replace("{expect: pong}]\n  - name: unknown",
                                                  "{expect: {equals: PONG, match: exact}}]\n  - name: unknown"))
    assert main(["check", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "the reference programs fail 1 of 8 tests" in out
    assert "expected 'PONG', got 'pong'" in out
    assert "saboteurs not run: fix the reference programs" in out
    assert "NOT READY" in out


def test_spec_errors_are_all_listed_and_exit_2(tmp_path, capsys, wide):
    spec = write_spec(tmp_path, WEAK_SPEC.replace("steps: [{send: ping}, {expect: pong}]\n  - name: unknown",
                                                  "steps: [{send: ping}, {expct: pong}]\n  - name: unknown")
                      .replace("tags: [client]\n    client: {argv: [ping]}", "tags: [clients]\n    client: {argv: [ping]}"))
    assert main(["check", str(spec)]) == 2
    captured = capsys.readouterr()
    err = captured.err                  # mistakes go to stderr, one `grade check: spec error: ...` each
    assert captured.out == ""
    assert f"grade check: {spec}: 2 spec errors" in err
    assert f"grade check: spec error: {spec}:12: tests[1].steps[1].expct: unknown key 'expct'" in err
    assert "hint: did you mean 'expect'?" in err
    assert f"grade check: spec error: {spec}:20: tests[5].tags[0]: 'clients' is not one of" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_new_skeleton_passes_check(transport, tmp_path, capsys, wide):
    assert main(["new", f"demo-{transport}", "--transport", transport, "--dir", str(tmp_path)]) == 0
    spec = tmp_path / f"demo-{transport}.yaml"
    assert (tmp_path / f"demo-{transport}-reference" / "server.py").is_file()
    assert "# " in spec.read_text()                   # commented, to be read
    assert main(["check", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "READY: the reference passes every test and every saboteur is caught" in out
    assert "PASSED" not in out
    # The files exist now: a second `grade new` refuses to overwrite them.
    assert main(["new", f"demo-{transport}", "--dir", str(tmp_path)]) == 2
    assert "grade new: error: will not overwrite" in capsys.readouterr().err
