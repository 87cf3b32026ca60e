#!/usr/bin/env python3
# Lecture 16 homework: UDP contact book client (Ana)
# usage: python3 contactclientudp.py add zhangsan 13800138000
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
        print('usage: python3 %s add|remove|find NAME [PHONE]' % sys.argv[0])
        sys.exit(2)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(TIMEOUT)
    command = ';'.join(sys.argv[1:])
    try:
        for attempt in range(3):
            try:
                print(ask(sock, command))
                return
            except socket.timeout:
                print('no reply, trying again')
        print('no reply from the server')
        sys.exit(1)
    finally:
        sock.close()


if __name__ == '__main__':
    main()
