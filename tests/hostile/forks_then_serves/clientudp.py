# Hostile's partner: the course's client unchanged, which cannot start once its server has used up the processes.
"""UDP echo client (PROTOCOLS.md section 3, lecture 16 clientudp.py).

Sends message1 .. message5 as datagrams and prints each reply
(`Hello, message1!` ...). Exits 1 if a reply does not arrive within 10 s.

Run: python3 udp_echo_client.py [--host 127.0.0.1] [--port 9999] [--delay 0]
"""
import argparse
import socket
import sys
import time

TIMEOUT = 10  # seconds; a lost datagram must not leave us waiting forever


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=9999)
    p.add_argument('--delay', type=float, default=0,
                   help='seconds slept before each message (the course uses 1)')
    return p.parse_args()


def main():
    args = parse_args()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT)
        for data in [b'message1', b'message2', b'message3', b'message4', b'message5']:
            time.sleep(args.delay)
            s.sendto(data, (args.host, args.port))
            print(s.recv(1024).decode('utf-8', errors='replace'), flush=True)


if __name__ == '__main__':
    try:
        main()
    except TimeoutError:
        sys.exit('error: no reply from server within %d s' % TIMEOUT)
    except OSError as e:
        sys.exit('error: %s' % e)
