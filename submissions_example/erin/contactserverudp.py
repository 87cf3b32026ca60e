#!/usr/bin/env python3
# -*- coding: utf-8 -*-

# contactserverudp.py
# Erin

import socket
import time

contacts = {}

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# 绑定端口:
s.bind(('127.0.0.1', 9999))
print('UDP contact server started...')
while True:
    # 接收数据:
    data, addr = s.recvfrom(1024)
    time.sleep(1)
    print('Received from %s:%s.' % addr)
    cmd = data.decode('utf-8', errors='replace').split(';')
    if len(cmd) < 2 or (cmd[0] == 'add' and len(cmd) < 3):
        s.sendto(b'ERROR: bad command', addr)
        continue
    if cmd[0] == 'add':
        contacts[cmd[1]] = cmd[2]
        reply = cmd[1] + ' added'
    elif cmd[0] == 'remove':
        if cmd[1] in contacts:
            del contacts[cmd[1]]
            reply = cmd[1] + ' removed'
        else:
            reply = 'Not found'
    elif cmd[0] == 'find':
        reply = str(contacts.get(cmd[1]))
    else:
        continue
    print(contacts)
    s.sendto(reply.encode('utf-8'), addr)
