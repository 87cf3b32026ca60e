#!/usr/bin/env python3
# Homework 16 - contact book client over UDP
# Dmitri P.
import socket
import sys

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 1024
TIMEOUT = 2
RETRIES = 3


def build_command(argv):
    words = []
    for w in argv:
        words.append(w.strip())
    return ';'.join(words)


def send_with_retry(sock, text, retries):
    attempt = 0
    while attempt < retries:
        sock.sendto(text.encode('utf-8'), (HOST, PORT))
        try:
            data, addr = sock.recvfrom(BUFSIZE)
            return data.decode('utf-8')
        except socket.timeout:
            attempt = attempt + 1
            sys.stderr.write('timeout %d/%d\n' % (attempt, retries))
    return None


def main():
    if len(sys.argv) < 3:
        print('usage: python3 %s add|remove|find NAME [PHONE]' % sys.argv[0])
        sys.exit(2)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(TIMEOUT)
    reply = send_with_retry(sock, build_command(sys.argv[1:]), RETRIES)
    sock.close()
    if reply is None:
        print('no reply from the server')
        sys.exit(1)
    print(reply)


if __name__ == '__main__':
    main()
