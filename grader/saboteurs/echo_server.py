"""Saboteur: sends every message (datagram, TCP chunk) back to its sender unchanged, as a student's
echo server would, handed in for a protocol that answers, broadcasts or forwards."""
import json
import os
import socket
import threading

config = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sockgrade-saboteur.json")))
address = (config["host"], config["port"])


def serve(conn):
    while True:
        data = conn.recv(65535)
        if not data:
            return
        conn.sendall(data)


if config["transport"] == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(address)
    while True:
        data, sender = s.recvfrom(65535)
        s.sendto(data, sender)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(address)
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
