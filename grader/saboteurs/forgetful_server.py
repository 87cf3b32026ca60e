"""Saboteur: the reference server made forgetful, in the way the config's ``forget`` names.

- ``message``: a fresh reference for every message (no memory);
- ``client``: one reference per client address, over TCP per connection (no sharing);
- ``restart``: one reference, restarted after the first message it answered (memory of only
  what came after).

It stands on the assignment's address and passes each message to a copy of the reference
(``reference`` in the config, started with ``--port N`` on a free port), whose answer it
passes back. Over TCP what a reference sends before being spoken to (a welcome) is passed on
for a connection's first reference only.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
config = json.load(open(os.path.join(HERE, "sockgrade-saboteur.json")))
address = (config["host"], config["port"])
forget = config["forget"]
tcp = config["transport"] != "udp"
lock = threading.Lock()


class Reference:
    def __init__(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen([sys.executable, "-u", os.path.join(HERE, config["reference"]),
                                         "--port", str(self.port)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, cwd=HERE)
        deadline = time.monotonic() + 10
        while not self._bound() and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.01)

    def _bound(self) -> bool:
        wanted = ":%04X" % self.port
        for table in (("tcp", "tcp6") if tcp else ("udp", "udp6")):
            try:
                lines = open("/proc/net/" + table).read().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if fields[1].endswith(wanted) and (not tcp or fields[3] == "0A"):
                    return True
        return False

    def stop(self):
        self.process.kill()
        self.process.wait()


def read_reply(sock, first_wait):
    """What comes within ``first_wait`` s, and what follows it without a 0.2 s pause; None: closed."""
    sock.settimeout(first_wait)
    try:
        data = sock.recv(65535)
    except socket.timeout:
        return b""
    if not data:
        return None
    sock.settimeout(0.2)
    try:
        while True:
            more = sock.recv(65535)
            if not more:
                break
            data += more
    except socket.timeout:
        pass
    return data


# -- UDP ------------------------------------------------------------------------
def serve_udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(address)
    references = {}
    answered = 0
    while True:
        data, sender = s.recvfrom(65535)
        key = sender if forget == "client" else "shared"
        if key not in references:
            references[key] = Reference()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(10)
            up.sendto(data, ("127.0.0.1", references[key].port))
            try:
                reply = up.recvfrom(65535)[0]
            except OSError:
                reply = None
        answered += 1
        if forget == "message" or (forget == "restart" and answered == 1):
            references.pop(key).stop()
        if reply is not None:
            s.sendto(reply, sender)


# -- TCP ------------------------------------------------------------------------
shared = {"reference": None, "generation": 0, "answered": 0}


def shared_reference():
    with lock:
        if shared["reference"] is None:
            shared["reference"] = Reference()
        return shared["reference"], shared["generation"]


class Upstream:
    """A connection's way to its reference: its own, or the shared one of the latest generation."""

    def __init__(self, conn):
        self.conn, self.own, self.sock, self.generation = conn, None, None, None

    def stale(self):
        return self.sock is None or (forget == "restart" and self.generation != shared["generation"])

    def connect(self, first):
        self.close()
        if forget == "restart":
            reference, self.generation = shared_reference()
        else:
            reference = self.own = Reference()
        self.sock = socket.create_connection(("127.0.0.1", reference.port), timeout=10)
        greeting = read_reply(self.sock, 0.5)
        if greeting and first:
            self.conn.sendall(greeting)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.own is not None:
            self.own.stop()
            self.own = None


def serve_connection(conn):
    upstream = Upstream(conn)
    try:
        upstream.connect(first=True)
        while True:
            data = conn.recv(65535)
            if not data:
                return
            if upstream.stale():
                upstream.connect(first=False)
            upstream.sock.sendall(data)
            reply = read_reply(upstream.sock, 10)
            if reply is None:
                return
            conn.sendall(reply)
            with lock:
                shared["answered"] += 1
                if forget == "restart" and shared["answered"] == 1:
                    shared["reference"].stop()
                    shared["reference"] = None
                    shared["generation"] += 1
            if forget == "message":
                upstream.close()
    except OSError:
        pass
    finally:
        conn.close()
        upstream.close()


def serve_tcp():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(address)
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve_connection, args=(conn,), daemon=True).start()


serve_tcp() if tcp else serve_udp()
