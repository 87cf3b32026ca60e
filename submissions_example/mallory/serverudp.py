# UDP server - Mallory
import socket
import time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('Bind UDP on 9999')
data, addr = s.recvfrom(1024)
time.sleep(1)
print('Received from %s:%s.' % addr)
s.sendto(b'Hello, %s!' % data, addr)
s.close()
