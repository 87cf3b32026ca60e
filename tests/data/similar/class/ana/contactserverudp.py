#!/usr/bin/env python3
# Lecture 16 homework: UDP contact book server (Ana)
import socket
import sys

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 65535

book = {}


def make_socket(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def answer(text):
    parts = text.split(';')
    if '' in parts:
        return 'ERROR: bad command'
    if parts[0] == 'add' and len(parts) == 3:
        book[parts[1]] = parts[2]
        return parts[1] + ' added'
    elif parts[0] == 'remove' and len(parts) == 2:
        if parts[1] in book:
            del book[parts[1]]
            return parts[1] + ' removed'
        else:
            return 'Not found'
    elif parts[0] == 'find' and len(parts) == 2:
        if parts[1] in book:
            return book[parts[1]]
        else:
            return 'Not found'
    else:
        return 'ERROR: bad command'


def serve(sock):
    print('UDP server started on %s:%d...' % (HOST, PORT))
    sys.stdout.flush()
    while True:
        data, addr = sock.recvfrom(BUFSIZE)
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            print('Bad datagram from %s:%s' % addr)
            continue
        print('Received from %s:%s.' % addr)
        reply = answer(text)
        print(book)
        sock.sendto(reply.encode('utf-8'), addr)


if __name__ == '__main__':
    server = make_socket(HOST, PORT)
    try:
        serve(server)
    except KeyboardInterrupt:
        print('bye')
    finally:
        server.close()
