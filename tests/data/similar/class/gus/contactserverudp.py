#!/usr/bin/env python3
# UDP contact book server -- Gus
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 65535

# list of [person, number] pairs
people = []
requests = 0


def make_socket(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def run_command(verb, params):
    if verb == 'add':
        if len(params) != 2:
            return 'ERROR: bad command'
        return insert_person(params[0], params[1])
    if verb == 'remove':
        if len(params) != 1:
            return 'ERROR: bad command'
        return delete_person(params[0])
    if verb == 'find':
        if len(params) != 1:
            return 'ERROR: bad command'
        return lookup_person(params[0])
    return 'ERROR: bad command'


def lookup_person(person):
    where = position(person)
    if where < 0:
        return 'Not found'
    return people[where][1]


def insert_person(person, number):
    where = position(person)
    if where >= 0:
        people[where][1] = number
    else:
        people.append([person, number])
    return person + ' added'


def split_request(message):
    pieces = message.strip('\n').split(';')
    for p in pieces:
        if len(p) == 0:
            return None, []
    return pieces[0], pieces[1:]


def delete_person(person):
    where = position(person)
    if where < 0:
        return 'Not found'
    people.pop(where)
    return person + ' removed'


def position(person):
    k = 0
    while k < len(people):
        if people[k][0] == person:
            return k
        k = k + 1
    return -1


def show(client, message):
    now = time.strftime('%H:%M:%S')
    sys.stdout.write('[%s] %s:%s %s\n' % (now, client[0], client[1], message))
    sys.stdout.flush()


udp = make_socket(HOST, PORT)
show(('-', PORT), 'server is running')
while True:
    packet, client = udp.recvfrom(BUFSIZE)
    requests = requests + 1
    try:
        verb, params = split_request(packet.decode('utf-8'))
    except UnicodeDecodeError:
        show(client, 'not UTF-8, skipped')
        continue
    reply = run_command(verb, params)
    show(client, '#%d %s -> %s (%d people)' % (requests, verb, reply, len(people)))
    udp.sendto(reply.encode('utf-8'), client)
