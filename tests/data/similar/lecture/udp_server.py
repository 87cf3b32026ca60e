#!/usr/bin/env python3
# Lecture 16: a UDP server. Every datagram is answered at the address it came from.
# Homework: keep the socket code, write your own protocol in answer().
import socket
import sys

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 65535


def make_socket(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def answer(text):
    # replace this with your own protocol
    return 'Received %s;' % text


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
        sock.sendto(reply.encode('utf-8'), addr)


if __name__ == '__main__':
    server = make_socket(HOST, PORT)
    try:
        serve(server)
    except KeyboardInterrupt:
        print('bye')
    finally:
        server.close()
