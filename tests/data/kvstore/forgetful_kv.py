"""A UDP key-value store that forgets in the way the file FORGET beside it names (no-book, per-client,
last-only, empties); its commands are right."""
import os
import socket


def handle(store, text):
    fields = text.split(";")
    if fields[0] == "set" and len(fields) == 3:
        store[fields[1]] = fields[2]
        return "OK"
    if fields[0] == "get" and len(fields) == 2:
        return store.get(fields[1], "(nil)")
    if fields[0] == "del" and len(fields) == 2:
        return "1" if store.pop(fields[1], None) is not None else "0"
    if fields[0] == "incr" and len(fields) == 3 and store.get(fields[1], "0").isdigit() and fields[2].isdigit():
        store[fields[1]] = str(int(store.get(fields[1], "0")) + int(fields[2]))
        return store[fields[1]]
    if fields == ["count"]:
        return str(len(store))
    return "ERR"


FORGET = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "FORGET")).read().strip()
stores = {}
handled = 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9999))
while True:
    data, sender = s.recvfrom(65535)
    text = data.decode("utf-8", errors="replace")
    store = {} if FORGET == "no-book" else stores.setdefault(sender if FORGET == "per-client" else 0, {})
    reply = handle(store, text)
    if FORGET == "last-only" and text.split(";")[0] in ("set", "incr") and reply != "ERR":
        key = text.split(";")[1]
        for other in [k for k in store if k != key]:
            del store[other]
    handled += 1
    if FORGET == "empties" and handled % 2 == 0:
        store.clear()
    s.sendto(reply.encode("utf-8"), sender)
