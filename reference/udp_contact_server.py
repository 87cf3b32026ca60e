"""UDP contact-book server (PROTOCOLS.md sections 4 and 5, lecture 16 homework).

Each datagram is one command, fields joined by `;`:
  add;NAME;PHONE -> `NAME added` (an existing NAME is overwritten)
  remove;NAME    -> `NAME removed` or `Not found`
  find;NAME      -> PHONE or `Not found`
anything else    -> `ERROR: bad command`
The reply goes back to the sender. One dictionary, kept in memory, serves all
clients.

Run: python3 udp_contact_server.py [--host 127.0.0.1] [--port 9999] [--delay 0]
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


def handle(book, text):
    """Apply one command to book and return the reply."""
    fields = text.split(';')
    # Empty fields are refused: an empty PHONE would make `find` answer an
    # empty message, which a TCP client cannot tell from no answer at all.
    if not all(fields):
        return 'ERROR: bad command'
    if fields[0] == 'add' and len(fields) == 3:
        book[fields[1]] = fields[2]
        return '%s added' % fields[1]
    if fields[0] == 'remove' and len(fields) == 2:
        if fields[1] not in book:
            return 'Not found'
        del book[fields[1]]
        return '%s removed' % fields[1]
    if fields[0] == 'find' and len(fields) == 2:
        return book.get(fields[1], 'Not found')
    return 'ERROR: bad command'


def main():
    args = parse_args()
    book = {}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.host, args.port))
    print('UDP contact server started...', flush=True)
    while True:
        data, addr = s.recvfrom(65535)  # read even a big datagram whole
        time.sleep(args.delay)
        print('Received from %s:%s.' % addr[:2], flush=True)
        reply = handle(book, data.decode('utf-8', errors='replace'))
        print(book, flush=True)
        try:
            s.sendto(reply.encode('utf-8'), addr)
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
