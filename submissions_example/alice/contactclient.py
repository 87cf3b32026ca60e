#!/usr/bin/env python3
# -*- coding: utf-8 -*-

# contact client
# usage: python3 contactclient.py add zhangsan 13800138000

import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(('127.0.0.1', 9999))
print(s.recv(1024).decode('utf-8'))
cmd = ';'.join(sys.argv[1:])
s.send(cmd.encode('utf-8'))
print(s.recv(1024).decode('utf-8'))
s.send(b'exit')
s.close()
