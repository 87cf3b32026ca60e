# Hostile: a right UDP echo server that closes stdin, stdout and stderr before anything else.
import os
import socket

os.close(0)
os.close(1)
os.close(2)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
while True:
    data, addr = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', addr)
