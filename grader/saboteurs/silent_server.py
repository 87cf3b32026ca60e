"""Saboteur: binds the assignment's port, reads every message, never answers."""
import json
import os
import socket
import threading

config = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sockgrade-saboteur.json")))
address = (config["host"], config["port"])


def drain(conn):
    while conn.recv(65535):
        pass


if config["transport"] == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(address)
    while True:
        s.recvfrom(65535)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(address)
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=drain, args=(conn,), daemon=True).start()
