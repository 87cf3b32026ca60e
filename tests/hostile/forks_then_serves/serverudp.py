# Hostile: starts 200 sleeping children (as many as it may), then serves udp-echo rightly; its own client is the course's.
import socket
import subprocess
import sys

children = []
for _ in range(200):
    try:
        children.append(subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', 'HOSTILE-MARKER']))
    except OSError:
        break
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
while True:
    data, sender = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', sender)
