# contact book over UDP -- Ben
# started from the lecture's udp server; the book is a class now
import socket
import sys

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 65535


class ContactBook:
    def __init__(self):
        self.entries = {}

    def add(self, name, phone):
        self.entries[name] = phone
        return '{} added'.format(name)

    def remove(self, name):
        if self.entries.pop(name, None) is None:
            return 'Not found'
        return '{} removed'.format(name)

    def find(self, name):
        return self.entries.get(name, 'Not found')

    def handle(self, line):
        words = line.split(';')
        action = getattr(self, words[0], None) if words[0] in ('add', 'remove', 'find') else None
        arity = {'add': 2, 'remove': 1, 'find': 1}
        if action is None or len(words) - 1 != arity[words[0]] or not all(words):
            return 'ERROR: bad command'
        return action(*words[1:])


def make_socket(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


if __name__ == '__main__':
    contacts = ContactBook()
    udp = make_socket(HOST, PORT)
    print('contact server ready on port', PORT, flush=True)
    while True:
        packet, sender = udp.recvfrom(BUFSIZE)
        line = packet.decode('utf-8', errors='replace')
        result = contacts.handle(line)
        print(sender, line, '->', result, flush=True)
        udp.sendto(result.encode('utf-8'), sender)
