"""A teacher's new assignment, written from scratch with no change to the grader.

The UDP mail service that follows lecture 16: ``send;TO;TEXT`` -> ``sent id=N``,
``list;TO`` -> one line per mail (or ``no mail``), ``remove;TO;ID`` with the
id ``send`` gave. Students hand in a server, a client driven by its arguments
and a menu-driven client that reads ``input()``. This test writes the spec and
the reference programs in a temporary folder, runs ``grade check`` on them,
then grades a correct and a broken student.
"""
import re
import textwrap

import pytest

from conftest import make_submission
from grader.cli import main
from grader.grading.engine import Engine
from grader.specfile import load_spec

SPEC = r"""
# The UDP mail service (after lecture 16).
id: udp-mail
title: UDP mail service
transport: udp
address: {host: 127.0.0.1, port: 9999}

roles:
  server: {files: [mailserver.py, mail_server.py], reference: reference/mail_server.py}
  client: {files: [mailclient.py, mail_client.py], reference: reference/mail_client.py}
  menu:   {files: [mailmenu.py, mail_menu.py], reference: reference/mail_menu.py}

defaults:
  timeout: 3
  points: 2
  tags: [protocol]

step_lists:
  bob_gets_two:                       # two mails for bob; their ids are kept as ${first}, ${second}
    - {send: "send;bob;hello"}
    - {expect: {regex: "sent id=(?P<first>\\d+)"}}
    - {send: "send;bob;see you"}
    - {expect: {regex: "sent id=(?P<second>\\d+)"}}

tests:
  - name: server binds UDP 9999
    tags: [startup, transport]
    startup: true

  - name: send answers with a new id
    hint: "Reply 'sent id=N' with a number that grows with every mail."
    steps:
      - use: bob_gets_two
      - {send: "send;amy;hi"}
      - {expect: {regex: "sent id=\\d+"}}

  - name: list shows every mail of the mailbox
    steps:
      - use: bob_gets_two
      - {send: "list;bob"}
      - {expect: {lines: ["${first}: hello", "${second}: see you"], any_order: true}}

  - name: remove deletes the mail with that id
    steps:
      - use: bob_gets_two
      - {send: "remove;bob;${first}"}
      - {expect: "removed ${first}"}
      - {send: "list;bob"}
      - {expect: {lines: ["${second}: see you"]}}
      - {send: "remove;bob;${first}"}
      - {expect: "Not found"}

  - name: each recipient has a mailbox
    tags: [state]
    steps:
      - {client: a, send: "send;dan;for dan"}
      - {client: a, expect: {regex: "sent id=\\d+"}}
      - {client: b, send: "list;eve"}
      - {client: b, expect: "no mail"}

  - name: a bad command gets an error and the server goes on
    tags: [robustness]
    steps:
      - {client: bad, send: "hello"}
      - {client: bad, expect: {contains: ERROR}}
      - {client: bad, send: {hex: fffe80}}
      - {client: good, send: "send;fay;still here"}
      - {client: good, expect: {regex: "sent id=\\d+"}}

  - name: client sends send;TO;TEXT and prints the id
    tags: [client]
    client:
      argv: [send, bob, hello]
      sent: ["send;bob;hello"]
      output: [{regex: "sent id=\\d+"}]

  - name: client removes a mail by its id
    tags: [client]
    client:
      before:
        - {send: "send;gus;old news"}
        - {expect: {regex: "sent id=(?P<id>\\d+)"}}
      argv: [remove, gus, "${id}"]
      sent: ["remove;gus;${id}"]
      output: ["removed ${id}"]

  - name: menu client sends, lists and quits
    tags: [client]
    bonus: true
    client:
      role: menu
      interact:
        - {prompt: "choice>"}
        - {type: 1}
        - {prompt: "to>"}
        - {type: hal}
        - {prompt: "text>"}
        - {type: "hi hal"}
        - {prompt: {regex: "sent id=(?P<id>\\d+)"}}
        - {prompt: "choice>"}
        - {type: 2}
        - {prompt: "to>"}
        - {type: hal}
        - {prompt: "${id}: hi hal"}
        - {prompt: "choice>"}
        - {type: 4}
      sent: ["send;hal;hi hal", "list;hal"]
      output: [{contains: bye}]

  - name: student client with student server
    tags: [interop]
    hidden: true
    client:
      server: student
      argv: [send, ivy, hello]
      output: [{regex: "sent id=\\d+"}]
"""

REFERENCE_SERVER = '''\
"""Reference UDP mail server: send;TO;TEXT, list;TO, remove;TO;ID."""
import argparse
import socket

p = argparse.ArgumentParser()
p.add_argument('--host', default='127.0.0.1')
p.add_argument('--port', type=int, default=9999)
args = p.parse_args()

boxes = {}          # recipient -> {id: text}
next_id = 1
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((args.host, args.port))
print('mail server on UDP', args.port, flush=True)
while True:
    data, addr = s.recvfrom(65535)
    fields = data.decode('utf-8', 'replace').split(';')
    if fields[0] == 'send' and len(fields) == 3:
        boxes.setdefault(fields[1], {})[next_id] = fields[2]
        reply = 'sent id=%d' % next_id
        next_id += 1
    elif fields[0] == 'list' and len(fields) == 2:
        mails = boxes.get(fields[1], {})
        reply = '\\n'.join('%d: %s' % (i, t) for i, t in mails.items()) or 'no mail'
    elif fields[0] == 'remove' and len(fields) == 3:
        mails = boxes.get(fields[1], {})
        if fields[2].isdigit() and int(fields[2]) in mails:
            del mails[int(fields[2])]
            reply = 'removed %s' % fields[2]
        else:
            reply = 'Not found'
    else:
        reply = 'ERROR: bad command'
    s.sendto(reply.encode('utf-8'), addr)
'''

REFERENCE_CLIENT = '''\
"""Reference mail client: python3 mail_client.py send bob hello -> sent id=1"""
import argparse
import socket

p = argparse.ArgumentParser()
p.add_argument('--port', type=int, default=9999)
p.add_argument('words', nargs='+')
args = p.parse_intermixed_args()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(';'.join(args.words).encode('utf-8'), ('127.0.0.1', args.port))
print(s.recv(65535).decode('utf-8'))
'''

REFERENCE_MENU = '''\
"""Reference menu-driven mail client: asks what to do with input() until 4) quit."""
import argparse
import socket

p = argparse.ArgumentParser()
p.add_argument('--port', type=int, default=9999)
args = p.parse_args()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
while True:
    print('1) send  2) list  3) remove  4) quit')
    choice = input('choice> ').strip()
    if choice == '1':
        command = 'send;%s;%s' % (input('to> '), input('text> '))
    elif choice == '2':
        command = 'list;%s' % input('to> ')
    elif choice == '3':
        command = 'remove;%s;%s' % (input('to> '), input('id> '))
    elif choice == '4':
        print('bye')
        break
    else:
        print('unknown choice')
        continue
    s.sendto(command.encode('utf-8'), ('127.0.0.1', args.port))
    print(s.recv(65535).decode('utf-8'))
'''

# A student's own work, in the course's style: top-level code, a hard-coded
# address, a second of sleep per message, the newest mail listed first.
STUDENT_SERVER = '''\
import socket
import time

mailboxes = {}
counter = 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('Bind UDP on 9999')
while True:
    data, addr = s.recvfrom(1024)
    time.sleep(1)
    print('Received from %s:%s.' % addr)
    try:
        parts = data.decode().split(';')
    except UnicodeDecodeError:
        s.sendto(b'ERROR: bad command', addr)
        continue
    if parts[0] == 'send' and len(parts) == 3:
        counter = counter + 1
        mailboxes.setdefault(parts[1], []).append((counter, parts[2]))
        answer = 'sent id=' + str(counter)
    elif parts[0] == 'list' and len(parts) == 2:
        lines = [str(n) + ': ' + text for n, text in reversed(mailboxes.get(parts[1], []))]
        answer = '\\n'.join(lines) if lines else 'No mail!'
    elif parts[0] == 'remove' and len(parts) == 3:
        box = mailboxes.get(parts[1], [])
        found = [m for m in box if str(m[0]) == parts[2]]
        if found:
            box.remove(found[0])
            answer = 'removed ' + parts[2]
        else:
            answer = 'Not found'
    else:
        answer = 'ERROR: bad command'
    s.sendto(answer.encode(), addr)
'''

STUDENT_CLIENT = '''\
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(';'.join(sys.argv[1:]).encode(), ('127.0.0.1', 9999))
data = s.recv(1024)
print(data.decode())
s.close()
'''

STUDENT_MENU = '''\
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    print('1) send  2) list  3) remove  4) quit')
    choice = input('choice> ')
    if choice == '4':
        print('Bye!')
        break
    to = input('to> ')
    if choice == '1':
        msg = 'send;' + to + ';' + input('text> ')
    elif choice == '2':
        msg = 'list;' + to
    else:
        msg = 'remove;' + to + ';' + input('id> ')
    s.sendto(msg.encode(), ('127.0.0.1', 9999))
    print(s.recv(1024).decode())
'''

# Typical mistakes: one list for everybody, remove that deletes the wrong mail,
# a menu that forgets to print the server's answers.
BROKEN_SERVER = (STUDENT_SERVER
                 .replace("mailboxes.setdefault(parts[1], [])", "mailboxes.setdefault('all', [])")
                 .replace("mailboxes.get(parts[1], [])", "mailboxes.get('all', [])")
                 .replace("box.remove(found[0])", "box.pop()"))
BROKEN_MENU = STUDENT_MENU.replace("    print(s.recv(1024).decode())", "    s.recv(1024)")


@pytest.fixture(scope="module")
def assignment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("teacher")
    (folder / "reference").mkdir()
    (folder / "reference" / "mail_server.py").write_text(REFERENCE_SERVER)
    (folder / "reference" / "mail_client.py").write_text(REFERENCE_CLIENT)
    (folder / "reference" / "mail_menu.py").write_text(REFERENCE_MENU)
    (folder / "udp-mail.yaml").write_text(textwrap.dedent(SPEC))
    return folder / "udp-mail.yaml"


def test_the_mistakes_are_really_in_the_broken_programs():
    assert BROKEN_SERVER.count("'all'") == 3 and "box.pop()" in BROKEN_SERVER
    assert BROKEN_MENU != STUDENT_MENU


def test_grade_check_accepts_the_new_assignment(assignment, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["check", str(assignment)]) == 0
    out = capsys.readouterr().out
    assert "the spec is valid: 10 tests, 18 points (+2 bonus)" in out
    assert "the reference programs score full marks: 18 / 18 (+2 bonus)" in out
    assert "READY: the reference passes every test and every saboteur is caught" in out
    assert "warning" not in out


def test_a_correct_and_a_broken_student(assignment, tmp_path):
    spec = load_spec(assignment)
    good = make_submission(tmp_path / "good", {"mailserver.py": STUDENT_SERVER, "mailclient.py": STUDENT_CLIENT,
                                               "mailmenu.py": STUDENT_MENU})
    broken = make_submission(tmp_path / "broken", {"mail_server.py": BROKEN_SERVER,
                                                   "mail_client.py": STUDENT_CLIENT,
                                                   "mail_menu.py": BROKEN_MENU})
    with Engine() as engine:
        good_result, broken_result = engine.grade_all([(good, spec, "good"), (broken, spec, "broken")])

    assert {t.name: t.reason for t in good_result.tests if not t.passed} == {}
    assert (good_result.score, good_result.max_score, good_result.bonus_score) == (20, 18, 2)

    failed = {t.name: t for t in broken_result.tests if not t.passed}
    assert set(failed) == {"remove deletes the mail with that id", "each recipient has a mailbox",
                           "menu client sends, lists and quits"}
    assert "line 1 should be '2: see you', got '1: hello'" in failed["remove deletes the mail with that id"].reason
    assert failed["each recipient has a mailbox"].reason.endswith("expected 'no mail', got '1: for dan'")
    assert re.search(r"`prompt` at udp-mail.yaml:\d+: expected the client to print",
                     failed["menu client sends, lists and quits"].reason)
    assert (broken_result.score, broken_result.max_score) == (14, 18)
    assert next(t for t in broken_result.tests if t.name == "student client with student server").hidden
