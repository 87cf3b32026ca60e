# Hostile: a right UDP echo server on the wrong port.
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9998))
print('Bind UDP on 9998')
while True:
    data, addr = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', addr)
