"""A threaded TCP contact server that forgets in the way FORGET names (no-book, per-connection,
last-only, empties): every other answer is right."""
import os
import socket
import threading

from book import handle

FORGET = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "FORGET")).read().strip()
shared = {}
handled = [0]
lock = threading.Lock()


def serve(conn):
    own = {}
    with conn:
        conn.sendall(b"Welcome!")
        while True:
            data = conn.recv(1024)
            text = data.decode("utf-8", errors="replace")
            if not data or text == "exit":
                return
            with lock:
                book = {} if FORGET == "no-book" else own if FORGET == "per-connection" else shared
                reply = handle(book, text)
                if FORGET == "last-only" and text.startswith("add;") and reply.endswith(" added"):
                    name = text.split(";")[1]
                    for other in [n for n in book if n != name]:
                        del book[other]
                handled[0] += 1
                if FORGET == "empties" and handled[0] % 2 == 0:
                    book.clear()
            conn.sendall(reply.encode("utf-8"))


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9999))
s.listen(16)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
