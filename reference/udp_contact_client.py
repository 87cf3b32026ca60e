"""UDP contact-book client (PROTOCOLS.md section 5, lecture 16 homework).

Joins the command words with `;`, sends them as one datagram, prints the
reply and exits. Exits 1 if no reply arrives within 10 s.

Run: python3 udp_contact_client.py [--host 127.0.0.1] [--port 9999] [--delay 0] WORD...
e.g. python3 udp_contact_client.py add zhangsan 13800138000  ->  zhangsan added
"""
import argparse
import socket
import sys
import time

TIMEOUT = 3  # seconds per try: longer than the course server's 1 s sleep; UDP may lose a datagram
TRIES = 3


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=9999)
    p.add_argument('--delay', type=float, default=0,
                   help='seconds slept before sending (the course uses 1)')
    p.add_argument('words', nargs='*', metavar='WORD',
                   help='command words, e.g.: add NAME PHONE | remove NAME | find NAME')
    args = p.parse_intermixed_args()
    if not args.words:
        p.error('no command given (e.g. add zhangsan 13800138000)')  # exits 2
    return args


def main():
    args = parse_args()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT)
        time.sleep(args.delay)
        for _ in range(TRIES):
            s.sendto(';'.join(args.words).encode('utf-8'), (args.host, args.port))
            try:
                reply = s.recv(1024)
            except TimeoutError:
                continue
            print(reply.decode('utf-8', errors='replace'), flush=True)
            return
        raise TimeoutError


if __name__ == '__main__':
    try:
        main()
    except TimeoutError:
        sys.exit('error: no reply from server after %d tries' % TRIES)
    except OSError as e:
        sys.exit('error: %s' % e)
