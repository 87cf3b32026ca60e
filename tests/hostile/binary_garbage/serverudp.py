# Hostile: a right UDP echo server that writes random bytes and terminal escapes to stdout and stderr.
import os
import socket
import sys

ESCAPES = b'\x1b[2J\x1b[H\x1b]0;owned\x07\r\x00\x08\x08'
sys.stdout.buffer.write(os.urandom(200000) + ESCAPES)
sys.stderr.buffer.write(os.urandom(200000) + ESCAPES)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
while True:
    data, addr = s.recvfrom(1024)
    sys.stdout.buffer.write(os.urandom(1000) + ESCAPES)
    s.sendto(b'Hello, ' + data + b'!', addr)
