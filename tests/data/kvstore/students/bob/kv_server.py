"""bob: serves one client until it leaves, then the next."""
import argparse
import socket
import threading

p = argparse.ArgumentParser()
p.add_argument('--host', default='127.0.0.1')
p.add_argument('--port', type=int, default=9999)
args = p.parse_args()

store = {}
lock = threading.Lock()


def answer(line):
    fields = line.split(';')
    with lock:
        if fields[0] == 'set' and len(fields) == 3:
            store[fields[1]] = fields[2]
            return 'OK'
        if fields[0] == 'get' and len(fields) == 2:
            return store.get(fields[1], 'Not found')
        if fields[0] == 'del' and len(fields) == 2:
            return 'deleted' if store.pop(fields[1], None) is not None else 'Not found'
        if fields == ['count']:
            return str(len(store))
    return 'ERROR: bad command'


def serve(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                return
            line = data.decode('utf-8', 'replace').strip()
            if line == 'quit':
                conn.sendall(b'bye')
                return
            conn.sendall(answer(line).encode('utf-8'))


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((args.host, args.port))
s.listen(5)
while True:
    conn, _ = s.accept()
    serve(conn)
