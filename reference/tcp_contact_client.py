"""TCP contact-book client (PROTOCOLS.md section 4, lecture 15 homework).

Joins the command words with `;`, connects, prints the welcome, sends the
command, prints the reply, sends `exit` and closes. Exits 1 if the server is
unreachable, closes early, or does not answer within 10 s.

Run: python3 tcp_contact_client.py [--host 127.0.0.1] [--port 9999] [--delay 0] WORD...
e.g. python3 tcp_contact_client.py add zhangsan 13800138000  ->  Welcome! / zhangsan added
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
                   help='seconds slept before sending the command (the course uses 1)')
    p.add_argument('words', nargs='*', metavar='WORD',
                   help='command words, e.g.: add NAME PHONE | remove NAME | find NAME')
    args = p.parse_intermixed_args()
    if not args.words:
        p.error('no command given (e.g. add zhangsan 13800138000)')  # exits 2
    return args


def receive(s):
    data = s.recv(1024)
    if not data:
        raise ConnectionError('server closed the connection')
    return data.decode('utf-8', errors='replace')


def main():
    args = parse_args()
    with socket.create_connection((args.host, args.port), timeout=TIMEOUT) as s:
        print(receive(s), flush=True)
        time.sleep(args.delay)
        s.sendall(';'.join(args.words).encode('utf-8'))
        print(receive(s), flush=True)
        s.sendall(b'exit')


if __name__ == '__main__':
    try:
        main()
    except TimeoutError:
        sys.exit('error: no reply from server within %d s' % TIMEOUT)
    except OSError as e:
        sys.exit('error: %s' % e)
