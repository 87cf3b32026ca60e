"""Threaded TCP echo server (PROTOCOLS.md section 1, lecture 16 serverthread.py).

Sends `Welcome!` to each new connection, then answers every message with
`Received <data>;` until the client sends `exit` or closes. Each connection
is served by its own thread, so clients do not wait for each other.

Run: python3 tcp_echo_server.py [--host 127.0.0.1] [--port 9999] [--delay 0]
"""
import argparse
import signal
import socket
import threading
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=9999)
    p.add_argument('--delay', type=float, default=0,
                   help='seconds slept before each reply (the course uses 1)')
    return p.parse_args()


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
                sock.sendall(('Received %s;' % text).encode('utf-8'))
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
