# Emma L. - UDP contacts (homework of lecture 16)
# socketserver does the receive loop; the lecture's answer() became a regex table
import re
import socketserver

HOST = '127.0.0.1'
PORT = 9999

CONTACTS = {}
PATTERNS = [
    (re.compile(r'add;([^;]+);([^;]+)'), 'add'),
    (re.compile(r'remove;([^;]+)'), 'remove'),
    (re.compile(r'find;([^;]+)'), 'find'),
]


def answer(text):
    for pattern, verb in PATTERNS:
        found = pattern.fullmatch(text)
        if not found:
            continue
        name = found.group(1)
        if verb == 'add':
            CONTACTS[name] = found.group(2)
            return f'{name} added'
        if name not in CONTACTS:
            return 'Not found'
        if verb == 'remove':
            CONTACTS.pop(name)
            return f'{name} removed'
        return CONTACTS[name]
    return 'ERROR: bad command'


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            print('Bad datagram from %s:%s' % self.client_address)
            return
        reply = answer(text)
        print(self.client_address, repr(text), '=>', repr(reply), flush=True)
        sock.sendto(reply.encode('utf-8'), self.client_address)


class Server(socketserver.UDPServer):
    allow_reuse_address = True
    max_packet_size = 65535


if __name__ == '__main__':
    with Server((HOST, PORT), Handler) as server:
        print(f'contacts on udp://{HOST}:{PORT}', flush=True)
        server.serve_forever()
