"""A UDP contact server that forgets in the way FORGET names (no-book, per-client, last-only, empties):
every other answer is right."""
import os
import socket

from book import handle

FORGET = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "FORGET")).read().strip()
books = {}
handled = 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9999))
while True:
    data, sender = s.recvfrom(65535)
    text = data.decode("utf-8", errors="replace")
    if FORGET == "no-book":
        book = {}
    elif FORGET == "per-client":
        book = books.setdefault(sender, {})
    else:
        book = books.setdefault("all", {})
    reply = handle(book, text)
    if FORGET == "last-only" and text.startswith("add;") and reply.endswith(" added"):
        name = text.split(";")[1]
        for other in [n for n in book if n != name]:
            del book[other]
    handled += 1
    if FORGET == "empties" and handled % 2 == 0:
        book.clear()
    s.sendto(reply.encode("utf-8"), sender)
