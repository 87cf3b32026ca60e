#!/usr/bin/env python3
# Homework 16 - contact book server over UDP
# Dmitri P.
import socket
import sys
import time

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 65535

# every record is [name, phone]; kept in the order they were added
records = []
served = 0


def log(who, what):
    stamp = time.strftime('%H:%M:%S')
    sys.stdout.write('[%s] %s:%s %s\n' % (stamp, who[0], who[1], what))
    sys.stdout.flush()


def index_of(name):
    i = 0
    while i < len(records):
        if records[i][0] == name:
            return i
        i = i + 1
    return -1


def add_contact(name, phone):
    pos = index_of(name)
    if pos >= 0:
        records[pos][1] = phone
    else:
        records.append([name, phone])
    return name + ' added'


def remove_contact(name):
    pos = index_of(name)
    if pos < 0:
        return 'Not found'
    records.pop(pos)
    return name + ' removed'


def find_contact(name):
    pos = index_of(name)
    if pos < 0:
        return 'Not found'
    return records[pos][1]


def parse(text):
    fields = text.strip('\n').split(';')
    for f in fields:
        if len(f) == 0:
            return None, []
    return fields[0], fields[1:]


def execute(command, args):
    if command == 'add':
        if len(args) != 2:
            return 'ERROR: bad command'
        return add_contact(args[0], args[1])
    if command == 'remove':
        if len(args) != 1:
            return 'ERROR: bad command'
        return remove_contact(args[0])
    if command == 'find':
        if len(args) != 1:
            return 'ERROR: bad command'
        return find_contact(args[0])
    return 'ERROR: bad command'


def make_socket(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


server = make_socket(HOST, PORT)
log(('-', PORT), 'contact book server up')
while True:
    data, addr = server.recvfrom(BUFSIZE)
    served = served + 1
    try:
        command, args = parse(data.decode('utf-8'))
    except UnicodeDecodeError:
        log(addr, 'sent bytes that are not UTF-8, ignored')
        continue
    answer = execute(command, args)
    log(addr, '#%d %s -> %s (%d contacts)' % (served, command, answer, len(records)))
    server.sendto(answer.encode('utf-8'), addr)
