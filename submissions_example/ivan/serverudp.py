# -*- coding: utf-8 -*-
# UDP server  (Ivan)
import socket
import time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print "Bind UDP on 9999"
while True:
    data, addr = s.recvfrom(1024)
    time.sleep(1)
    print "Received from %s:%s." % addr
    s.sendto('Hello, %s!' % data, addr)
