#!/usr/bin/env python3
# -*- coding: utf-8 -*-

# contactclientudp.py
# Erin

import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cmd = ';'.join(sys.argv[1:])
# 发送数据:
s.sendto(cmd.encode('utf-8'), ('127.0.0.1', 9999))
# 接收数据:
print(s.recv(1024).decode('utf-8'))
s.close()
