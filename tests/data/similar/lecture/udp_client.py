#!/usr/bin/env python3
# Lecture 16: a UDP client. Sends each word given on its command line and prints the replies.
import socket
import sys

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 1024
TIMEOUT = 2


def ask(sock, text):
    sock.sendto(text.encode('utf-8'), (HOST, PORT))
    data, addr = sock.recvfrom(BUFSIZE)
    return data.decode('utf-8')


def main():
    if len(sys.argv) < 2:
        print('usage: python3 %s WORD...' % sys.argv[0])
        sys.exit(2)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(TIMEOUT)
    try:
        for word in sys.argv[1:]:
            print(ask(sock, word))
    except socket.timeout:
        print('no reply from the server')
        sys.exit(1)
    finally:
        sock.close()


if __name__ == '__main__':
    main()
