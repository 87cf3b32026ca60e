# Hostile: a UDP contact server that first looks for files, folders and processes it must not see, prints what it finds, and answers a find of an unknown name with any secret it found (right when it finds none).
# Where to look comes from probe.json, which the test writes into the student's folder: the
# course's folders, the cache, another test's copy, the temporary folder, and the secret the
# test planted in each (and in the grader's environment). It prints `SAW <what>` for a folder it
# can list, `FOUND <what>` for the secret in a file or in a process's environment or command line.
import json
import os
import socket
import sys
import time

PROBE = json.load(open('probe.json'))
SECRET = PROBE['secret'].encode()
HERE = os.path.realpath(os.getcwd())
DEADLINE = time.monotonic() + 4
found = []
read = set()


def say(line, answer=True):
    if answer:           # the secret is what it answers with; folders it could list are only printed
        found.append(line)
    print(line, flush=True)


def look(label, path):
    real = os.path.realpath(path)
    if real in read or real.startswith(HERE + os.sep) or time.monotonic() > DEADLINE:
        return
    read.add(real)
    try:
        with open(path, 'rb') as f:
            data = f.read(1 << 20)
    except OSError:
        return
    if SECRET in data:
        say('FOUND %s %s %s' % (label, path, PROBE['secret']))


def walk(label, folder, depth=3, most=300):
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(root, d)) != HERE]
        if root[len(folder):].count(os.sep) >= depth:
            dirs[:] = []
        for name in files:
            most -= 1
            if most < 0:
                return
            look(label, os.path.join(root, name))


def saw(label, folder, entries):
    if entries:
        say('SAW %s %s: %s' % (label, folder, ', '.join(sorted(entries)[:5])), answer=False)


# The places of the old spy, relative to its folder, and a link the test may have handed in.
for place in ['../../specs/udp-contacts.yaml', '../specs/udp-contacts.yaml', '../reference/udp_contact_server.py',
              '../other-student/contactserverudp.py', 'secret_link']:
    look('near', place)

for label, folder in sorted(PROBE['hidden'].items()):
    try:
        entries = os.listdir(folder)
    except OSError:
        continue
    saw(label, folder, entries)
    walk(label, folder)

# The temporary folder: other tests' copies, fork servers' sockets (left out: the way to its own
# copy, and to its Python, which a virtual environment may have put there).
temp = PROBE['temp']
OWN = [HERE] + [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, os.path.dirname(sys.executable))]
try:
    entries = [n for n in os.listdir(temp)
               if not any((own + os.sep).startswith(os.path.join(temp, n) + os.sep) for own in OWN)]
except OSError:
    entries = []
saw('temp', temp, entries)
for name in entries:
    path = os.path.join(temp, name)
    if os.path.isdir(path):
        walk('temp', path, depth=1, most=50)
    else:
        look('temp', path)


# Processes: their environment (the grader's variables) and command lines. Kept, as the test's
# fence says, to the test's own processes when in the grader's PID namespace (level none).
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


for pid in sorted(int(p) for p in os.listdir('/proc') if p.isdigit()):
    if in_reach(pid):
        for what in ('environ', 'cmdline'):
            look('process %s' % what, '/proc/%d/%s' % (pid, what))
print('looked everywhere' + (' (out of time)' if time.monotonic() > DEADLINE else ''), flush=True)

contacts = {}


def handle(msg):
    cmd = msg.split(";")
    if cmd[0] == "add" and len(cmd) == 3:
        contacts[cmd[1]] = cmd[2]
        return cmd[1] + " added"
    if cmd[0] == "remove" and len(cmd) == 2:
        if cmd[1] in contacts:
            del contacts[cmd[1]]
            return cmd[1] + " removed"
        return "Not found"
    if cmd[0] == "find" and len(cmd) == 2:
        return contacts.get(cmd[1], "\n".join(found) or "Not found")
    return "ERROR: bad command"


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 9999))
print("UDP contact server started...")
while True:
    data, addr = s.recvfrom(1024)
    reply = handle(data.decode("utf-8", errors="replace"))
    s.sendto(reply.encode("utf-8"), addr)
