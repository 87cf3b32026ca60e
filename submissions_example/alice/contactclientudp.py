# UDP contact client - homework lecture 16
# usage: python3 contactclientudp.py add zhangsan 13800138000
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cmd = ';'.join(sys.argv[1:])
s.sendto(cmd.encode('utf-8'), ('127.0.0.1', 9999))
print(s.recv(1024).decode('utf-8'))
s.close()
