"""Threaded TCP contact-book server (PROTOCOLS.md sections 4 and 6).

Sends `Welcome!` on each connection, then answers commands (fields joined
by `;`) until `exit` or the client closes:
  add;NAME;PHONE -> `NAME added` (an existing NAME is overwritten)
  remove;NAME    -> `NAME removed` or `Not found`
  find;NAME      -> PHONE or `Not found`
anything else    -> `ERROR: bad command`
Each connection has its own thread; all of them share one dictionary,
guarded by a lock, for the life of the process.

Run: python3 tcp_contact_server.py [--host 127.0.0.1] [--port 9999] [--delay 0]
"""
import argparse
import signal
import socket
import threading
import time

book = {}
book_lock = threading.Lock()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=9999)
    p.add_argument('--delay', type=float, default=0,
                   help='seconds slept before each reply (the course uses 1)')
    return p.parse_args()


def handle(text):
    """Apply one command to the shared book and return the reply.

    The caller must hold book_lock.
    """
    fields = text.split(';')
    # Empty fields are refused: an empty PHONE would make `find` answer an
    # empty message, which the client cannot tell from no answer at all.
    if not all(fields):
        return 'ERROR: bad command'
    if fields[0] == 'add' and len(fields) == 3:
        book[fields[1]] = fields[2]
        return '%s added' % fields[1]
    if fields[0] == 'remove' and len(fields) == 2:
        if fields[1] not in book:
            return 'Not found'
        del book[fields[1]]
        return '%s removed' % fields[1]
    if fields[0] == 'find' and len(fields) == 2:
        return book.get(fields[1], 'Not found')
    return 'ERROR: bad command'


def worker(sock, addr, delay):
    print('Accept new connection from %s:%s...' % addr[:2], flush=True)
    try:
        with sock:
            sock.sendall(b'Welcome!')
            while True:
                data = sock.recv(1024)
                text = data.decode('utf-8', errors='replace')
                if not data or text == 'exit':
                    break
                time.sleep(delay)
                with book_lock:
                    reply = handle(text)
                    print(book, flush=True)  # under the lock: printing iterates it
                sock.sendall(reply.encode('utf-8'))
    except OSError:
        pass  # client reset the connection: nothing left to do but log it
    print('Connection from %s:%s closed.' % addr[:2], flush=True)


def main():
    args = parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.host, args.port))
    s.listen(5)
    print('Waiting for connection...', flush=True)
    while True:
        sock, addr = s.accept()
        threading.Thread(target=worker, args=(sock, addr, args.delay),
                         daemon=True).start()


if __name__ == '__main__':
    # SIGTERM and SIGINT (even if the launching shell ignored it) both raise
    # KeyboardInterrupt, which ends the server quietly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        main()
    except KeyboardInterrupt:
        pass
