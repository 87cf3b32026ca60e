"""The spec language on real programs: newline framing, captured values, replies of several
lines, interactive clients on a terminal; and how the loader reads defaults, step lists and anchors."""
import textwrap

import pytest

from conftest import PORT_ARG, make_submission, threaded_tcp_server
from grader.results import Cause
from grader.specfile import SpecError, load_spec


LINE_SERVER = threaded_tcp_server("""\
    def serve(conn):
        buf = b''
        with conn:
            while True:
                data = conn.recv(1024)
                if not data:
                    return
                buf += data
                while b'\\n' in buf:
                    line, buf = buf.split(b'\\n', 1)
                    text = line.decode()
                    if text == 'both':
                        conn.sendall(b'one\\ntwo\\n')          # two messages in one segment
                    elif text == 'list':
                        conn.sendall(b'c\\na\\nb\\n')
                    else:
                        conn.sendall(('echo ' + text + '\\n').encode())
""")

LINE_CLIENT = PORT_ARG + textwrap.dedent("""\
    import socket
    s = socket.create_connection(('127.0.0.1', PORT))
    s.sendall(b'first\\nsecond\\n')                        # two messages in one send
    data = b''
    while data.count(b'\\n') < 2:
        data += s.recv(1024)
    print(data.decode().strip())
""")

LINES_SPEC = """\
id: lines-tcp
transport: tcp
framing: newline
roles:
  server: {files: [server.py], reference: ref_server.py}
  client: {files: [client.py], reference: ref_client.py}
defaults: {timeout: 2, tags: [protocol]}
tests:
  - name: each line is a message
    steps:
      - {send: hi}
      - {expect: {equals: "echo hi", match: exact}}
      - {send: both}
      - {expect: one}
      - {expect: two}
  - name: a reply of several lines in any order
    steps:
      - {send: list}
      - {expect: {lines: [a, b, c], any_order: true}}
      - {send: hi}
      - {expect: "echo hi"}
  - name: the client's lines
    tags: [client]
    client:
      sent: [first, second]
      output: ["echo first", "echo second"]
"""


def write_assignment(folder, spec_text: str, programs: dict[str, str]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in programs.items():
        (folder / name).write_text(source, encoding="utf-8")
    path = folder / "spec.yaml"
    path.write_text(spec_text, encoding="utf-8")
    return load_spec(path)


def by_name(result):
    return {t.name: t for t in result.tests}


def test_newline_framing_over_tcp(tmp_path, engine):
    spec = write_assignment(tmp_path / "a", LINES_SPEC, {"ref_server.py": LINE_SERVER,
                                                         "ref_client.py": LINE_CLIENT})
    good = make_submission(tmp_path / "good", {"server.py": LINE_SERVER, "client.py": LINE_CLIENT})
    result = engine.grade(good, spec)
    assert {n: t.reason for n, t in by_name(result).items() if not t.passed} == {}

    # A server that forgets the newline never completes a message.
    no_newline = LINE_SERVER.replace("('echo ' + text + '\\n')", "('echo ' + text)")
    assert no_newline != LINE_SERVER
    bad = make_submission(tmp_path / "bad", {"server.py": no_newline, "client.py": LINE_CLIENT})
    tests = by_name(engine.grade(bad, spec))
    assert not tests["each line is a message"].passed
    assert "without the newline that ends a message" in tests["each line is a message"].reason
    assert not tests["a reply of several lines in any order"].passed
    assert tests["the client's lines"].passed


TICKET_SERVER = PORT_ARG + textwrap.dedent("""\
    import random, socket
    tickets = {}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', PORT))
    while True:
        data, addr = s.recvfrom(1024)
        words = data.decode().split(';')
        if words[0] == 'new':
            number = str(random.randint(1000, 999999))        # a test cannot guess it
            tickets[number] = words[1]
            reply = 'ticket %s for %s' % (number, words[1])
        elif words[0] == 'show':
            reply = tickets.get(words[1], 'no such ticket')
        elif words[0] == 'cancel' and words[1] in tickets:
            del tickets[words[1]]
            reply = 'cancelled ' + words[1]
        elif words[0] == 'echo':
            reply = words[1]
        elif words[0] == 'list':
            reply = 'c\\na\\nb'
        elif words[0] == 'split':
            for part in ('b', 'c'):
                s.sendto(part.encode(), addr)
            reply = 'a'
        else:
            reply = 'bad command'
        s.sendto(reply.encode(), addr)
""")

TICKET_CLIENT = PORT_ARG + textwrap.dedent("""\
    import socket
    words = [w for w in sys.argv[1:] if w != '--port' and w != str(PORT)]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(';'.join(words).encode(), ('127.0.0.1', PORT))
    print(s.recv(1024).decode())
    print('stdin said', sys.stdin.readline().strip())
""")

CAPTURE_SPEC = r"""
id: tickets
transport: udp
roles:
  server: {files: [server.py], reference: ref_server.py}
  client: {files: [client.py], reference: ref_client.py}
defaults: {timeout: 2, tags: [protocol]}
tests:
  - name: an id captured by a regex group is reused
    steps:
      - {send: "new;ann"}
      - {expect: {regex: "ticket (?P<id>\\d+) for ann"}}
      - {send: "show;${id}"}
      - {expect: "ann"}
      - {send: "cancel;${id}"}
      - {expect: {regex: "cancelled ${id}"}}
  - name: a whole reply captured
    steps:
      - {send: "new;bo"}
      - {expect: {any: true, capture: reply}}
      - {send: "echo;${reply}"}
      - {expect: {equals: "${reply}", match: exact}}
  - name: captured values in argv and stdin
    tags: [client]
    client:
      before:
        - {send: "new;cy"}
        - {expect: {regex: "ticket (?P<id>\\d+) for cy"}}
      argv: [show, "${id}"]
      stdin: "${id}\n"
      sent: ["show;${id}"]
      output: ["cy", "stdin said ${id}"]
"""


def test_captured_values_are_reused(tmp_path, engine):
    spec = write_assignment(tmp_path / "a", CAPTURE_SPEC, {"ref_server.py": TICKET_SERVER,
                                                           "ref_client.py": TICKET_CLIENT})
    good = make_submission(tmp_path / "good", {"server.py": TICKET_SERVER, "client.py": TICKET_CLIENT})
    result = engine.grade(good, spec)
    assert {n: t.reason for n, t in by_name(result).items() if not t.passed} == {}
    sent = [e["data"] for e in by_name(result)["an id captured by a regex group is reused"].transcript
            if e["event"] == "sent"]
    number = sent[1].split(";")[1]
    assert number.isdigit() and sent[2] == f"cancel;{number}"

    # A server that shows every ticket as the last name seen fails where the id matters.
    forgetful = TICKET_SERVER.replace("reply = tickets.get(words[1], 'no such ticket')",
                                      "reply = 'nobody'")
    assert forgetful != TICKET_SERVER
    bad = make_submission(tmp_path / "bad", {"server.py": forgetful, "client.py": TICKET_CLIENT})
    tests = by_name(engine.grade(bad, spec))
    assert not tests["an id captured by a regex group is reused"].passed
    assert "expected 'ann', got 'nobody'" in tests["an id captured by a regex group is reused"].reason
    assert tests["a whole reply captured"].passed


def test_replies_of_several_lines(tmp_path, engine):
    spec_text = """\
id: listing
transport: udp
roles:
  server: {files: [server.py]}
defaults: {timeout: 1, tags: [protocol]}
tests:
  - name: any order
    steps: [{send: list}, {expect: {lines: [a, b, c], any_order: true}}]
  - name: in order
    steps: [{send: list}, {expect: {lines: [a, b, c]}}]
  - name: one line missing
    steps: [{send: list}, {expect: {lines: [a, b, c, d], any_order: true}}]
  - name: one datagram per line
    steps: [{send: split}, {expect: {lines: [c, {regex: "[ab]"}, {regex: "[ab]"}], any_order: true}}]
  - name: lines captured
    steps:
      - {send: list}
      - {expect: {lines: [{regex: "(?P<first>[abc])"}, a, b]}}
      - {send: "echo;${first}"}
      - {expect: c}
"""
    spec = write_assignment(tmp_path / "a", spec_text, {})
    sub = make_submission(tmp_path / "s", {"server.py": TICKET_SERVER})
    tests = by_name(engine.grade(sub, spec))
    assert tests["any order"].passed, tests["any order"].reason
    assert tests["one datagram per line"].passed, tests["one datagram per line"].reason
    assert tests["lines captured"].passed, tests["lines captured"].reason
    assert not tests["in order"].passed
    assert "line 1 should be 'a', got 'c'" in tests["in order"].reason
    assert not tests["one line missing"].passed
    assert "expected 4 lines, got 3" in tests["one line missing"].reason


MENU_CLIENT = PORT_ARG + textwrap.dedent("""\
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    while True:
        print('1) new ticket  2) quit')
        choice = input('choice> ')
        if choice == '2':
            print('bye')
            break
        name = input('name> ')
        s.sendto(('new;' + name).encode(), ('127.0.0.1', PORT))
        print(s.recv(1024).decode())
""")

MENU_SPEC = r"""
id: menu
transport: udp
roles:
  server: {files: [server.py], reference: ref_server.py}
  menu: {files: [menu.py], reference: ref_menu.py}
defaults: {timeout: 3, tags: [client]}
tests:
  - name: the menu asks, sends and prints
    client:
      role: menu
      interact:
        - {prompt: "choice>"}
        - {type: 1}
        - {prompt: "name>"}
        - {type: dee}
        - {prompt: {regex: "ticket (?P<id>\\d+) for dee"}}
        - {prompt: "choice>"}
        - {type: 2}
      sent: ["new;dee"]
      output: ["choice> 1", {contains: "ticket ${id} for dee"}, bye]
"""


def test_interactive_client_on_a_terminal(tmp_path, engine):
    spec = write_assignment(tmp_path / "a", MENU_SPEC, {"ref_server.py": TICKET_SERVER,
                                                        "ref_menu.py": MENU_CLIENT})
    good = make_submission(tmp_path / "good", {"menu.py": MENU_CLIENT})
    test = engine.grade(good, spec).tests[0]
    assert test.passed, test.reason        # its output check "choice> 1" needs the terminal's echo

    silent = MENU_CLIENT.replace("print(s.recv(1024).decode())", "s.recv(1024)")
    test = engine.grade(make_submission(tmp_path / "silent", {"menu.py": silent}), spec).tests[0]
    assert not test.passed
    # The 5th interaction, as the spec writes it: its action, file and line.
    line = next(n for n, text in enumerate(MENU_SPEC.splitlines(), 1) if "ticket (?P<id>" in text)
    assert test.reason.startswith(f"`prompt` at spec.yaml:{line}: expected the client to print a message matching")

    crashing = MENU_CLIENT.replace("name = input('name> ')", "name = int(input('name> '))")
    test = engine.grade(make_submission(tmp_path / "crash", {"menu.py": crashing}), spec).tests[0]
    assert not test.passed
    assert "before it ended" in test.reason
    assert "name> dee" in test.client_output        # the terminal echoes what was typed
    assert "ValueError: invalid literal for int()" in test.reason and "menu.py, line" in test.reason
    assert test.cause.kind is Cause.CRASHED and test.cause.role == "menu"        # the crash explains the prompt


# -- the loader: defaults, step lists, anchors, and errors on the new keys --------
BASE = """\
id: demo
transport: udp
roles:
  server: {files: [s.py]}
"""


def load(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(BASE + textwrap.dedent(text), encoding="utf-8")
    return load_spec(path)


def error(tmp_path, text) -> SpecError:
    with pytest.raises(SpecError) as caught:
        load(tmp_path, text)
    return caught.value


def test_defaults_step_lists_and_anchors(tmp_path):
    spec = load(tmp_path, """\
        x-common: &common
          points: 3
          hint: shared hint
        defaults:
          tags: [protocol]
          timeout: 2
        step_lists:
          hello:
            - {send: hello}
            - {expect: hi, timeout: 4}
        tests:
          - name: uses a list twice
            <<: *common
            steps:
              - use: hello
              - {use: hello, client: other}
              - {send: bye}
          - name: own tags win
            tags: [state]
            steps: [{send: x}]
        """)
    first, second = spec.tests
    assert (first.points, first.hint, first.tags) == (3, "shared hint", ("protocol",))
    assert [(s.action, s.client, s.timeout) for s in first.params.steps] == [
        ("send", "c1", 2), ("expect", "c1", 4), ("send", "other", 2), ("expect", "other", 4), ("send", "c1", 2)]
    assert first.params.steps[1].where == "step_lists.hello[1]"
    assert second.tags == ("state",) and second.points == 1


@pytest.mark.parametrize("text, where, message, hint", [
    ("""\
     tests:
       - name: t
         tags: [protocol]
         steps: [{send: "${id}"}]
     """, "tests[0].steps[0]", "${id} is used before any step captures it", "(?P<id>"),
    ("""\
     tests:
       - name: t
         steps: [{use: login}]
     """, "tests[0].steps[0].use", "no step list named 'login'", "none defined"),
    ("""\
     tests:
       - name: t
         steps: [{send: x}]
     """, "tests[0].name", "test 't' has no tags", "defaults"),
    ("""\
     tests:
       - name: t
         tags: [protocol]
         steps: [{expect: {equals: x, any_order: true}}]
     """, "tests[0].steps[0].expect.any_order", "`any_order` only goes with `lines`", "lines"),
    ("""\
     tests:
       - name: t
         tags: [protocol]
         steps: [{expect: {lines: [[a]]}}]
     """, "tests[0].steps[0].expect.lines[0]", "is not a valid line", "each item of `lines` must be"),
    ("""\
     tests:
       - name: t
         tags: [client]
         client: {stdin: x, interact: [{type: y}]}
     """, "tests[0].client.interact", "both `stdin` and `interact`", "one way"),
    ("""\
     tests:
       - name: t
         tags: [client]
         client: {interact: [{prompt: a, type: b}]}
     """, "tests[0].client.interact[0]", "several actions (prompt, type)", "prompt, type, eof"),
    ("""\
     step_lists:
       a: [{use: b}]
       b: [{use: a}]
     tests:
       - name: t
         tags: [protocol]
         steps: [{use: a}]
     """, "step_lists.b[0].use", "step list 'a' uses itself", "cannot use itself"),
])
def test_errors_on_new_keys(tmp_path, text, where, message, hint):
    err = error(tmp_path, text)
    assert err.path == where
    assert message in err.message
    assert hint in err.hint
    assert err.line


def test_captured_names_flow_in_step_order(tmp_path):
    # A value captured in a client's `before` steps is known to its argv, prompts and output.
    client_role = BASE.replace("  server: {files: [s.py]}", "  server: {files: [s.py]}\n  client: {files: [c.py]}")
    path = tmp_path / "spec.yaml"
    path.write_text(client_role + textwrap.dedent(r"""
        tests:
          - name: t
            tags: [client]
            client:
              server: student
              before:
                - {send: "new"}
                - {expect: {regex: "id=(?P<id>\\d+)"}}
              argv: ["${id}"]
              interact:
                - {prompt: {regex: "code (?P<code>\\w+)"}}
                - {type: "${code}-${id}"}
              output: ["${code}"]
        """), encoding="utf-8")
    assert load_spec(path).tests[0].params.argv == ("${id}",)
    path.write_text(client_role + textwrap.dedent(r"""
        tests:
          - name: t
            tags: [client]
            client:
              server: student
              argv: ["${code}"]
              interact:
                - {prompt: {regex: "code (?P<code>\\w+)"}}
        """), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.path == "tests[0].client.argv[0]"
    assert "${code} is used before" in caught.value.message
