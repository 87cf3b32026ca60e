"""A user-space relay between a client program and a server, recording both ways.

It listens where the client expects the server (the course's 127.0.0.1:9999)
and forwards to where the server really is, so the grader sees exactly what
the client sent, message by message (a TCP chunk or a UDP datagram).
"""
from __future__ import annotations

import select
import socket
import threading

from grader.net.transcript import Transcript

MAX_DATAGRAM = 65535


class Relay:
    def __init__(self, transport: str, listen: tuple[str, int], upstream: tuple[str, int],
                 transcript: Transcript, who: str = "client"):
        self.transport, self.upstream, self.transcript, self.who = transport, upstream, transcript, who
        self.from_client: list[bytes] = []
        self._stop = threading.Event()
        kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(listen)
        if transport == "tcp":
            self.sock.listen(16)
        self._sockets: list[socket.socket] = [self.sock]
        self._thread = threading.Thread(target=self._run_tcp if transport == "tcp" else self._run_udp,
                                        daemon=True)
        self._thread.start()

    def _record(self, data: bytes) -> None:
        self.from_client.append(data)
        self.transcript.add(self.who, "sent", data)

    def _run_tcp(self) -> None:
        pairs: dict[socket.socket, socket.socket] = {}
        from_client: set[socket.socket] = set()
        while not self._stop.is_set():
            readable, _, _ = select.select([self.sock, *pairs], [], [], 0.05)
            for s in readable:
                if s is self.sock:
                    conn, _ = self.sock.accept()
                    up = socket.create_connection(self.upstream, timeout=5)
                    self.transcript.add(self.who, "connected", "client program connected")
                    pairs[conn], pairs[up] = up, conn
                    from_client.add(conn)
                    self._sockets += [conn, up]
                    continue
                try:
                    data = s.recv(MAX_DATAGRAM)
                except OSError:
                    data = b""
                other = pairs.get(s)
                if not data:
                    self.transcript.add(self.who if s in from_client else "server", "closed",
                                        "client program closed" if s in from_client else "server closed")
                    for end in (s, other):
                        pairs.pop(end, None)
                        end.close()
                    continue
                if s in from_client:
                    self._record(data)
                else:
                    self.transcript.add("server", "sent", data)
                try:
                    other.sendall(data)
                except OSError:
                    pass

    def _run_udp(self) -> None:
        upstreams: dict[tuple, socket.socket] = {}
        clients: dict[socket.socket, tuple] = {}
        while not self._stop.is_set():
            readable, _, _ = select.select([self.sock, *clients], [], [], 0.05)
            for s in readable:
                try:
                    data, addr = s.recvfrom(MAX_DATAGRAM)
                except OSError:
                    continue
                if s is self.sock:
                    up = upstreams.get(addr)
                    if up is None:
                        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        up.bind(("127.0.0.1", 0))
                        upstreams[addr], clients[up] = up, addr
                        self._sockets.append(up)
                    self._record(data)
                    up.sendto(data, self.upstream)
                else:
                    self.transcript.add("server", "sent", data)
                    self.sock.sendto(data, clients[s])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for s in self._sockets:
            try:
                s.close()
            except OSError:
                pass
