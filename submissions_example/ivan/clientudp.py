# -*- coding: utf-8 -*-
# UDP client  (Ivan)
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for data in ['message1', 'message2', 'message3', 'message4', 'message5']:
    s.sendto(data, ('127.0.0.1', 9999))
    print s.recv(1024)
s.close()
