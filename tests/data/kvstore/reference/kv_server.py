"""A UDP key-value store, written for the tests of the generator's vocabulary (not a course program).

  set;KEY;VALUE -> OK            get;KEY -> VALUE or (nil)      del;KEY -> 1 or 0
  incr;KEY;N    -> the new value (a missing KEY counts as 0)    count   -> how many keys
anything else   -> ERR

Run: python3 kv_server.py [--port 9999]
"""
import argparse
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=9999)
    args = p.parse_args()
    store = {}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", args.port))
    while True:
        data, sender = s.recvfrom(65535)
        s.sendto(handle(store, data.decode("utf-8", errors="replace")).encode("utf-8"), sender)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
