# UDP server
# Frank
import socket
import time

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 9999))
s.listen(5)
print('Bind UDP on 9999')
while True:
    sock, addr = s.accept()
    data = sock.recv(1024)
    time.sleep(1)
    print('Received from %s:%s.' % addr)
    sock.send(b'Hello, %s!' % data)
    sock.close()
