"""UDP contact client.  Author: Chen Wei
python3 contactclientudp.py find zhangsan
"""
import argparse
import socket


def build_parser():
    parser = argparse.ArgumentParser(description='talk to the contact server')
    parser.add_argument('words', nargs='+', help='add NAME PHONE | remove NAME | find NAME')
    parser.add_argument('--server', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=9999)
    return parser


def request(server, port, words):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(2.0)
        for _ in range(3):
            udp.sendto(';'.join(words).encode(), (server, port))
            try:
                return udp.recv(2048).decode()
            except socket.timeout:
                continue
    raise SystemExit('no answer from %s:%d' % (server, port))


if __name__ == '__main__':
    options = build_parser().parse_args()
    print(request(options.server, options.port, options.words))
