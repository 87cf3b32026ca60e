# Hostile: opens sockets without end before binding.
import socket

held = []
while True:
    held.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
