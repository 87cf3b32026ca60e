#!/usr/bin/env python3
"""Contact book client (UDP) - Farid A."""
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


class ContactClient:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(TIMEOUT)

    def call(self, *words, tries=3):
        message = ';'.join(words)
        for _ in range(tries):
            try:
                return ask(self.sock, message)
            except socket.timeout:
                pass
        raise ConnectionError('the server does not answer')

    def close(self):
        self.sock.close()


if __name__ == '__main__':
    client = ContactClient()
    try:
        print(client.call(*sys.argv[1:]))
    except ConnectionError as e:
        sys.exit(str(e))
    finally:
        client.close()
