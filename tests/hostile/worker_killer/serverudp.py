# Hostile: a right UDP echo server that, once bound, SIGKILLs every other process it can see.
# (In the grader's own PID namespace, level none, the test's fence in probe.json keeps it to the
# test's own processes.)
import json
import os
import signal
import socket
import sys

if 'HOSTILE-MARKER' not in sys.argv:       # the marker on its command line: what a test finds left behind
    os.execv(sys.executable, [sys.executable, '-u', sys.argv[0], 'HOSTILE-MARKER'])

PROBE = json.load(open('probe.json'))


def parent_of(pid):
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            return int(f.read().rsplit(b')', 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def alone_in_namespace():
    try:
        with open('/proc/self/status') as f:
            nspid = [line.split()[1:] for line in f if line.startswith('NSpid:')]
        return len(nspid) == 1 and len(nspid[0]) == 1 and \
            os.readlink('/proc/self/ns/pid') != PROBE['grader_pid_ns']
    except OSError:
        return False


def in_reach(pid):
    if alone_in_namespace():
        return True
    seen = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        pid = parent_of(pid)
        if pid == PROBE['fence_pid']:
            return True
    return False


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('Bind UDP on 9999', flush=True)
me = os.getpid()
for pid in sorted(int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != me):
    if in_reach(pid):
        try:
            os.kill(pid, signal.SIGKILL)
            print('killed', pid, flush=True)
        except OSError as e:
            print('could not kill', pid, '-', e, flush=True)
while True:
    data, addr = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', addr)
