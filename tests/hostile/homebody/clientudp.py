# UDP echo client, lecture 16
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for msg in ["message1", "message2", "message3", "message4", "message5"]:
    s.sendto(msg.encode("utf-8"), ("127.0.0.1", 9999))
    print(s.recv(1024).decode("utf-8"))
s.close()
