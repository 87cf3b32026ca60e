"""``grade new ID``: a commented skeleton spec and working reference programs to start from.

Writes ``DIR/ID.yaml`` and ``DIR/ID-reference/{server,client}.py``. The
skeleton's little protocol (``shout;TEXT`` -> ``TEXT`` in capitals) is there
to be replaced; ``grade check DIR/ID.yaml`` passes on it as written.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from grader.commands import UsageError
from grader.commands.options import port
from grader.spec.modes import Transport

HELP = "start a new assignment: write a commented skeleton spec and reference programs"


def add_arguments(parser) -> None:
    parser.add_argument("id", help="the assignment's id: lowercase letters, digits, - and _ (e.g. udp-mail)")
    parser.add_argument("--transport", choices=[t.value for t in Transport], default=Transport.TCP,
                        help="default: tcp")
    parser.add_argument("--port", type=port, default=9999,
                        help="the port students' programs use, 1 to 65535 (default 9999)")
    parser.add_argument("--dir", default=".", metavar="DIR", help="where to write the files (default: here)")


def run(args, console) -> int:
    paths = write_skeleton(args.id, Path(args.dir), transport=args.transport, port=args.port)
    for path in paths:
        console.print(f"wrote {path}", highlight=False)
    # The spec's absolute path: the commands work pasted anywhere (an id alone is only the shipped specs').
    console.print(f"next: edit them, then check the spec (from any folder):\n  grade check {_quoted(paths[0])}",
                  highlight=False, markup=False, soft_wrap=True)
    console.print("and grade a folder with it (here your reference programs, as a student hands them in; "
                  f"a student's folder in its place):\n  grade {_quoted(paths[1].parent)} --spec {_quoted(paths[0])}",
                  highlight=False, markup=False, soft_wrap=True)
    return 0


def _quoted(path: Path) -> str:
    return shlex.quote(str(path.resolve()))


def write_skeleton(assignment: str, folder: Path, *, transport: Transport = Transport.TCP,
                   port: int = 9999) -> list[Path]:
    """Write the spec and its reference folder; refuse to overwrite anything."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", assignment):
        raise UsageError(f"{assignment!r} is not a valid id: use lowercase letters, digits, - and _")
    if not 1 <= port <= 65535:
        raise UsageError("--port must be between 1 and 65535")
    stem = assignment.replace("-", "_")
    values = {"@ID@": assignment, "@TRANSPORT@": transport, "@PORT@": str(port),
              "@UPPER@": transport.upper(), "@REFDIR@": f"{assignment}-reference",
              "@SERVER_FILE@": f"{stem}_server.py", "@CLIENT_FILE@": f"{stem}_client.py",
              "@SPEC_PATH@": _quoted(folder / f"{assignment}.yaml"),
              "@REF_PATH@": _quoted(folder / f"{assignment}-reference"), "@DIR@": _quoted(folder)}
    files = {
        folder / f"{assignment}.yaml": SPEC,
        folder / f"{assignment}-reference" / "server.py": TCP_SERVER if transport == Transport.TCP else UDP_SERVER,
        folder / f"{assignment}-reference" / "client.py": TCP_CLIENT if transport == Transport.TCP else UDP_CLIENT,
    }
    existing = [str(p) for p in files if p.exists()]
    if existing:
        raise UsageError("will not overwrite " + ", ".join(existing))
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = template
        for key, value in values.items():
            text = text.replace(key, value)
        path.write_text(text, encoding="utf-8")
    return list(files)


SPEC = '''\
# @ID@: a skeleton written by `grade new`. Replace its little protocol
# (shout;TEXT -> TEXT in capitals) by your assignment's, test after test, and
# run `grade check @SPEC_PATH@` after each change: the reference programs must
# pass every test, and every test must fail the built-in saboteurs.
# Every key is explained in docs/spec-guide.md.
# Grade a folder with it (here the reference programs, as a student hands them
# in; a student's folder in its place), by the spec's path or its folder and id:
#   grade @REF_PATH@ --spec @SPEC_PATH@
#   grade @REF_PATH@ --specs-dir @DIR@ --spec @ID@
id: @ID@
title: Shout server and client (replace me)
transport: @TRANSPORT@                      # tcp or udp: what the server must bind
address: {host: 127.0.0.1, port: @PORT@}
framing: none                       # none: one send per message (the course); newline: lines

roles:
  server:
    files: [@SERVER_FILE@]            # the names students may use (case does not matter)
    reference: @REFDIR@/server.py
  client:
    files: [@CLIENT_FILE@]
    reference: @REFDIR@/client.py

defaults:
  timeout: 5                        # seconds a step waits: room for the course's time.sleep(1)
  points: 1
  match: tolerant                   # case, spaces and trailing ! . ; do not matter
  tags: [protocol]                  # for every test that does not list its own

step_lists:
  shout:                            # steps with parameters: `- {use: shout, with: {who: ann, text: hi}}`
    - {client: "${who}", send: "shout;${text}"}
    - {client: "${who}", expect: {reference: true}}

tests:
  - name: server binds @UPPER@ @PORT@
    tags: [startup, transport]
    points: 2
    startup: true
    hint: "bind(('127.0.0.1', @PORT@)) with the right socket type."

  - name: shout answers in capitals
    points: 2
    steps:
      - send: "shout;hello"
      - expect: {equals: HELLO, match: exact}   # exact: tolerant would accept 'hello' too
      - send: "shout;你好 world"
      - expect: {reference: true}               # whatever the reference answers

  - name: a bad command gets an error
    hint: "Answer 'ERROR: bad command' to anything that is not shout;TEXT."
    steps:
      - {send: "whisper;hello"}
      - {expect: {contains: "ERROR"}}

  - name: two clients are both served
    tags: [concurrency]
    steps:
      - {client: first, send: "shout;one"}
      - {client: second, send: "shout;two"}
      - {client: second, expect: {equals: TWO, match: exact}}
      - {client: first, expect: {equals: ONE, match: exact}}

  - name: bad bytes do not stop the server
    tags: [robustness]
    steps:
      - {client: rude, send: {hex: fffe80}}       # not UTF-8
      - {client: polite, send: "shout;still here"}
      - {client: polite, expect: "STILL HERE", timeout: 8}

  - name: a client that vanishes does not stop the server
    tags: [robustness]
    steps:
      - {use: shout, with: {who: rude, text: bye}}
      - {client: rude, close: reset}           # abruptly (TCP: an RST), as when a client is killed
      - {sleep: 0.2}                           # a moment for the server to notice
      - {use: shout, with: {who: polite, text: still here}}

  - name: client sends shout;WORDS and prints the reply
    tags: [client]
    points: 2
    client:
      argv: [shout, hi]                 # python3 @CLIENT_FILE@ shout hi
      sent: ["shout;hi"]                # what the (reference) server must receive
      output: [{equals: HI, match: exact}]   # lines the client must print, in this order

  - name: student client with student server
    tags: [interop]
    client:
      server: student
      argv: [shout, hi]
      output: [HI]

# More you can use (see docs/spec-guide.md):
#   - a value captured from a reply and used later:
#       - {expect: {regex: "sent id=(?P<id>\\\\d+)"}}
#       - {send: "remove;bob;${id}"}
#   - a reply of several lines, in any order:
#       - {expect: {lines: ["1: hello", "2: again"], any_order: true}}
#   - a client that asks questions with input(), played on a terminal:
#       client:
#         interact:
#           - {prompt: "choice>"}
#           - {type: 1}
#         output: [{contains: bye}]
#   - steps shared by several tests: `step_lists: {login: [...]}`, then `- use: login`
#   - lines passed over until one matches (a chat room's notices can come at any time):
#       - {client: ann, expect: "bob: hi", skip: ".*"}
#   - bonus: true (adds to the score, not to the maximum), hidden: true
'''

TCP_SERVER = '''\
"""Reference server for @ID@ (TCP): shout;TEXT -> TEXT in capitals.

One thread per connection; every message is one recv, every reply one send.
Anything else gets 'ERROR: bad command'. A reference program must accept
--port (the grader runs it on a port of its own) and default to the spec's.

Run: python3 server.py [--host 127.0.0.1] [--port @PORT@]
"""
import argparse
import socket
import threading


def answer(text):
    fields = text.split(';')
    if len(fields) == 2 and fields[0] == 'shout':
        return fields[1].upper()
    return 'ERROR: bad command'


def worker(conn, addr):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(answer(data.decode('utf-8', errors='replace')).encode('utf-8'))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=@PORT@)
    args = p.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.host, args.port))
    s.listen(5)
    print('Waiting for connection...', flush=True)
    while True:
        conn, addr = s.accept()
        threading.Thread(target=worker, args=(conn, addr), daemon=True).start()


if __name__ == '__main__':
    main()
'''

UDP_SERVER = '''\
"""Reference server for @ID@ (UDP): shout;TEXT -> TEXT in capitals.

Every datagram is one message; the reply goes back to its sender. Anything
else gets 'ERROR: bad command'. A reference program must accept --port (the
grader runs it on a port of its own) and default to the spec's.

Run: python3 server.py [--host 127.0.0.1] [--port @PORT@]
"""
import argparse
import socket


def answer(text):
    fields = text.split(';')
    if len(fields) == 2 and fields[0] == 'shout':
        return fields[1].upper()
    return 'ERROR: bad command'


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=@PORT@)
    args = p.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.host, args.port))
    print('Bind UDP on %d' % args.port, flush=True)
    while True:
        data, addr = s.recvfrom(65535)
        s.sendto(answer(data.decode('utf-8', errors='replace')).encode('utf-8'), addr)


if __name__ == '__main__':
    main()
'''

TCP_CLIENT = '''\
"""Reference client for @ID@ (TCP): joins its arguments with ';', sends them, prints the reply.

Run: python3 client.py [--port @PORT@] shout hello   ->   HELLO
"""
import argparse
import socket


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--port', type=int, default=@PORT@)
    p.add_argument('words', nargs='+')
    args = p.parse_intermixed_args()
    with socket.create_connection(('127.0.0.1', args.port), timeout=10) as s:
        s.sendall(';'.join(args.words).encode('utf-8'))
        print(s.recv(1024).decode('utf-8', errors='replace'))


if __name__ == '__main__':
    main()
'''

UDP_CLIENT = '''\
"""Reference client for @ID@ (UDP): joins its arguments with ';', sends them, prints the reply.

Run: python3 client.py [--port @PORT@] shout hello   ->   HELLO
"""
import argparse
import socket


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--port', type=int, default=@PORT@)
    p.add_argument('words', nargs='+')
    args = p.parse_intermixed_args()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(10)
        s.sendto(';'.join(args.words).encode('utf-8'), ('127.0.0.1', args.port))
        print(s.recv(65535).decode('utf-8', errors='replace'))


if __name__ == '__main__':
    main()
'''
