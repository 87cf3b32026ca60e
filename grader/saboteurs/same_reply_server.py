"""Saboteur: answers every message (datagram, or TCP chunk) with the same text."""
import json
import os
import socket
import threading

config = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sockgrade-saboteur.json")))
address = (config["host"], config["port"])
reply = (config["reply"] + ("\n" if config["framing"] == "newline" else "")).encode("utf-8")


def serve(conn):
    while conn.recv(65535):
        conn.sendall(reply)


if config["transport"] == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(address)
    while True:
        _, sender = s.recvfrom(65535)
        s.sendto(reply, sender)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(address)
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
