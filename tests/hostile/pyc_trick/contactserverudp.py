# A right UDP contact server whose commands live in contacts_logic.py; handed in by two students, one of whom adds a doctored __pycache__ (see README.md).
import socket

from contacts_logic import handle

book = {}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 9999))
print("UDP contact server started...")
while True:
    data, addr = s.recvfrom(1024)
    reply = handle(book, data.decode("utf-8", errors="replace"))
    s.sendto(reply.encode("utf-8"), addr)
