"""Saboteur: binds the assignment's port and crashes when the first message arrives."""
import json
import os
import socket

config = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sockgrade-saboteur.json")))
address = (config["host"], config["port"])

if config["transport"] == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(address)
    s.recvfrom(65535)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(address)
    s.listen(16)
    conn, _ = s.accept()
    while not conn.recv(65535):      # a connection closed without a message is not a message
        conn, _ = s.accept()
raise RuntimeError("the saboteur crashes after the first message")
