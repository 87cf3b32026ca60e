# Hostile: an echo server on TCP where UDP is asked.
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 9999))
s.listen(5)
print('Bind UDP on 9999')
while True:
    conn, addr = s.accept()
    data = conn.recv(1024)
    conn.send(b'Hello, ' + data + b'!')
    conn.close()
