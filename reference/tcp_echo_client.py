"""TCP echo client (PROTOCOLS.md section 2, lecture 15 client.py).

Prints the server's welcome, sends message1 .. message5 printing each reply,
then sends `exit` and closes. Exits 1 if the server is unreachable, closes
early, or does not answer within 10 s.

Run: python3 tcp_echo_client.py [--host 127.0.0.1] [--port 9999] [--delay 0]
"""
import argparse
import socket
import sys
import time

TIMEOUT = 10  # seconds; never wait forever for a reply


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=9999)
    p.add_argument('--delay', type=float, default=0,
                   help='seconds slept before each message (the course uses 1)')
    return p.parse_args()


def receive(s):
    data = s.recv(1024)
    if not data:
        raise ConnectionError('server closed the connection')
    return data.decode('utf-8', errors='replace')


def main():
    args = parse_args()
    with socket.create_connection((args.host, args.port), timeout=TIMEOUT) as s:
        print(receive(s), flush=True)
        for data in ['message1', 'message2', 'message3', 'message4', 'message5']:
            time.sleep(args.delay)
            s.sendall(data.encode('utf-8'))
            print(receive(s), flush=True)
        s.sendall(b'exit')


if __name__ == '__main__':
    try:
        main()
    except TimeoutError:
        sys.exit('error: no reply from server within %d s' % TIMEOUT)
    except OSError as e:
        sys.exit('error: %s' % e)
