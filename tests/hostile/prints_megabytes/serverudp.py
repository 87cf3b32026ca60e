# Hostile: a right UDP echo server that first prints 4 MB, and more for every datagram.
import socket
import sys

for i in range(4):
    sys.stdout.write('spam ' * 200000 + '\n')
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('Bind UDP on 9999')
while True:
    data, addr = s.recvfrom(1024)
    sys.stdout.write('spam ' * 100000 + '\n')
    s.sendto(b'Hello, ' + data + b'!', addr)
