#!/usr/bin/env python3
# -*- coding: utf-8 -*-

# multi-thread contact server
# Alice

import socket
import threading
import time

contacts = {}
lock = threading.Lock()

def handle(msg):
    cmd = msg.split(';')
    if cmd[0] == 'add' and len(cmd) == 3:
        contacts[cmd[1]] = cmd[2]
        return cmd[1] + ' added'
    elif cmd[0] == 'remove' and len(cmd) == 2:
        if cmd[1] in contacts:
            del contacts[cmd[1]]
            return cmd[1] + ' removed'
        return 'Not found'
    elif cmd[0] == 'find' and len(cmd) == 2:
        if cmd[1] in contacts:
            return contacts[cmd[1]]
        return 'Not found'
    else:
        return 'ERROR: bad command'

def worker(sock, addr):
    print('Accept new connection from %s:%s...' % addr)
    sock.send(b'Welcome!')
    while True:
        data = sock.recv(1024)
        time.sleep(1)
        msg = data.decode('utf-8', errors='replace')
        if not data or msg == 'exit':
            break
        # all threads use the same contacts, so only one at a time
        with lock:
            reply = handle(msg)
            print(contacts)
        sock.send(reply.encode('utf-8'))
    sock.close()
    print('Connection from %s:%s closed.' % addr)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 9999))
s.listen(5)
print('Waiting for connection...')
while True:
    sock, addr = s.accept()
    t = threading.Thread(target=worker, args=(sock, addr))
    t.start()
