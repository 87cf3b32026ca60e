"""UDP contact server for the lecture 16 homework.  Author: Chen Wei"""
import logging
import socket

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 65535

logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s')
phonebook: dict[str, str] = {}


def make_socket(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def respond(request: str) -> str:
    match request.split(';'):
        case ['add', who, number] if who and number:
            phonebook[who] = number
            return f'{who} added'
        case ['remove', who] if who:
            try:
                del phonebook[who]
            except KeyError:
                return 'Not found'
            return f'{who} removed'
        case ['find', who] if who:
            return phonebook.get(who) or 'Not found'
        case _:
            return 'ERROR: bad command'


def main() -> None:
    sock = make_socket(HOST, PORT)
    logging.info('listening on udp %s:%d', HOST, PORT)
    with sock:
        while True:
            raw, client = sock.recvfrom(BUFSIZE)
            try:
                request = raw.decode()
            except UnicodeError:
                logging.warning('undecodable datagram from %s', client)
                continue
            response = respond(request)
            logging.info('%s says %r, answered %r', client, request, response)
            sock.sendto(response.encode(), client)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
