#!/usr/bin/env python3
# UDP contact book client -- Gus
import socket
import sys

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 1024
TIMEOUT = 2
RETRIES = 3


def transmit(s, message, attempts):
    n = 0
    while n < attempts:
        s.sendto(message.encode('utf-8'), (HOST, PORT))
        try:
            reply, server = s.recvfrom(BUFSIZE)
            return reply.decode('utf-8')
        except socket.timeout:
            n = n + 1
            sys.stderr.write('timeout %d/%d\n' % (n, attempts))
    return None


def main():
    if len(sys.argv) < 3:
        print('usage: python3 %s add|remove|find NAME [PHONE]' % sys.argv[0])
        sys.exit(2)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    answer = transmit(s, make_message(sys.argv[1:]), RETRIES)
    s.close()
    if answer is None:
        print('no reply from the server')
        sys.exit(1)
    print(answer)


def make_message(args):
    parts = []
    for a in args:
        parts.append(a.strip())
    return ';'.join(parts)


if __name__ == '__main__':
    main()
