#!/usr/bin/env python3
# -*- coding: utf-8 -*-

# threaded contact server
# Heidi

import socket
import threading
import time

contacts = {}

def worker(sock, addr):
    print('Accept new connection from %s:%s...' % addr)
    sock.send(b'Welcome!')
    while True:
        data = sock.recv(1024)
        time.sleep(1)
        if not data or data.decode('utf-8') == 'exit':
            break
        cmd = data.decode('utf-8').split(';')
        if cmd[0] == 'add':
            if cmd[1] not in contacts:
                contacts[cmd[1]] = cmd[2]
            sock.send((cmd[1] + ' added').encode('utf-8'))
        elif cmd[0] == 'remove':
            if cmd[1] in contacts:
                del contacts[cmd[1]]
                sock.send((cmd[1] + ' removed').encode('utf-8'))
            else:
                sock.send(b'Not found')
        elif cmd[0] == 'find':
            if cmd[1] in contacts:
                sock.send(contacts[cmd[1]].encode('utf-8'))
            else:
                sock.send(b'Not found')
        print(contacts)
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
