"""UDP echo server (PROTOCOLS.md section 3, lecture 16 serverudp.py).

Answers every datagram with `Hello, <data>!`, sent back to the sender's
address. Single-threaded: UDP has no connections to wait on.

Run: python3 udp_echo_server.py [--host 127.0.0.1] [--port 9999] [--delay 0]
"""
import argparse
import signal
import socket
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=9999)
    p.add_argument('--delay', type=float, default=0,
                   help='seconds slept before each reply (the course uses 1)')
    return p.parse_args()


def main():
    args = parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.host, args.port))
    print('Bind UDP on %d' % s.getsockname()[1], flush=True)
    while True:
        data, addr = s.recvfrom(65535)  # read even a big datagram whole
        time.sleep(args.delay)
        print('Received from %s:%s.' % addr[:2], flush=True)
        try:
            s.sendto(b'Hello, %s!' % data, addr)
        except OSError:
            pass  # e.g. reply too big for one datagram; keep serving others


if __name__ == '__main__':
    # SIGTERM and SIGINT (even if the launching shell ignored it) both raise
    # KeyboardInterrupt, which ends the server quietly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        main()
    except KeyboardInterrupt:
        pass
