# Hostile in appearance only: a right UDP echo server that starts 40 threads first (each sleeps), as a student who
# thread-pools everything might. It must pass: thread stacks are not memory abuse.
import socket
import threading
import time

for _ in range(40):
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
print('40 threads started')
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
while True:
    data, addr = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', addr)
