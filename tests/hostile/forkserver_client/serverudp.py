# Hostile: a right UDP echo server that first hands its stdin, stdout and stderr to every Unix socket it can find, as the grader's trampoline hands them to the fork server, and prints what it managed.
# The sockets: the fork servers probe.json names, <temp>/sockgrade-forkserver-*/socket, every path
# in /proc/net/unix and what lies beside it. A fork server that took them would fork a worker of
# the grader's into this program's namespaces, reading its job from this program's stdin.
import array
import glob
import json
import os
import socket
import sys

if 'HOSTILE-MARKER' not in sys.argv:       # the marker on its command line: what a test finds left behind
    os.execv(sys.executable, [sys.executable, '-u', sys.argv[0], 'HOSTILE-MARKER'])

PROBE = json.load(open('probe.json'))
paths = list(PROBE.get('forkservers', []))
paths += sorted(glob.glob(os.path.join(PROBE['temp'], 'sockgrade-forkserver-*', 'socket')))
try:
    with open('/proc/net/unix') as f:
        next(f)
        for line in f:
            fields = line.split()
            if len(fields) >= 8:
                paths.append(fields[7])
                if not fields[7].startswith('@'):      # and its neighbours: a socket may be renamed once bound
                    folder = os.path.dirname(fields[7])
                    paths += sorted(glob.glob(os.path.join(folder, '*')))[:8]
except (OSError, StopIteration):
    pass

for path in list(dict.fromkeys(paths))[:64]:
    address = '\0' + path[1:] if path.startswith('@') else path
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(address)
    except OSError as e:
        print('could not connect', path, '-', e, flush=True)
        s.close()
        continue
    print('connected to', path, flush=True)
    try:
        s.sendmsg([b'run'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [0, 1, 2]))])
        print('handed stdin, stdout and stderr to', path, flush=True)
        reply = s.recv(1)
        print('reply from', path, repr(reply), '(a worker was started for us)' if reply == b'S' else '',
              flush=True)
    except OSError as e:
        print('then failed with', path, '-', e, flush=True)
    s.close()
print('tried every socket', flush=True)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('Bind UDP on 9999', flush=True)
while True:
    data, addr = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', addr)
