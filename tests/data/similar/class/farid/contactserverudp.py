#!/usr/bin/env python3
"""Contact book server (UDP) - Farid A., lecture 16 homework."""
import socket
import sys

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 65535


class BadCommand(Exception):
    pass


def make_socket(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


class ContactServer:
    def __init__(self, host, port):
        self.sock = make_socket(host, port)
        self.data = {}
        self.count = 0

    def cmd_add(self, name, phone):
        self.data[name] = phone
        return name + ' added'

    def cmd_remove(self, name):
        if name not in self.data:
            return 'Not found'
        del self.data[name]
        return name + ' removed'

    def cmd_find(self, name):
        return self.data[name] if name in self.data else 'Not found'

    def dispatch(self, text):
        verb, *args = text.split(';')
        method = getattr(self, 'cmd_' + verb, None)
        if method is None or not all(args):
            raise BadCommand(text)
        try:
            return method(*args)
        except TypeError:
            raise BadCommand(text) from None

    def run(self):
        print('UDP server started on %s:%d...' % (HOST, PORT))
        sys.stdout.flush()
        while True:
            data, addr = self.sock.recvfrom(BUFSIZE)
            self.count += 1
            try:
                reply = self.dispatch(data.decode('utf-8'))
            except (UnicodeDecodeError, BadCommand):
                reply = 'ERROR: bad command'
            print('request %d from %s:%s' % ((self.count,) + addr), flush=True)
            self.sock.sendto(reply.encode('utf-8'), addr)


if __name__ == '__main__':
    try:
        ContactServer(HOST, PORT).run()
    except KeyboardInterrupt:
        print('bye')
