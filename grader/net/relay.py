"""A user-space relay between a client program and a server, recording both ways.

It listens where the client expects the server (the course's 127.0.0.1:9999)
and forwards to where the server really is, so the grader sees exactly what
the client sent, message by message (a TCP chunk or a UDP datagram). The
server may be in another network namespace (the reference's, see
``grader.runner.oracle``): the relay then makes its upstream sockets there
(``upstream_socket``) while listening in the client's. Over UDP
it can also play a seeded ``NetworkProfile``: lose, duplicate, delay and
reorder datagrams.
"""
from __future__ import annotations

import heapq
import itertools
import select
import socket
import threading
import time
from typing import Callable

from grader.net.shaping import NetworkProfile, Shaper
from grader.net.transcript import Transcript, escape

MAX_DATAGRAM = 65535
HOLD_AT_MOST = 1.0     # seconds a reordered datagram waits for one to overtake it


class Relay:
    def __init__(self, transport: str, listen: tuple[str, int], upstream: tuple[str, int],
                 transcript: Transcript, who: str | None = "client", profile: NetworkProfile | None = None,
                 upstream_socket: Callable[[int, int], socket.socket] | None = None):
        """``who`` names the client side in the transcript; None records no messages
        (the test-side clients already do), only what the profile did to them.
        ``upstream_socket(family, kind)`` makes each socket towards ``upstream``
        (default ``socket.socket``, in the namespace the relay listens in)."""
        self.transport, self.upstream, self.transcript, self.who = transport, upstream, transcript, who
        self._open_upstream = upstream_socket or socket.socket
        self.from_client: list[bytes] = []
        self.profile = profile
        if profile:
            self._shapers = {"to_server": Shaper(profile.to_server, profile.seed, "to_server"),
                             "to_client": Shaper(profile.to_client, profile.seed, "to_client")}
        self._due: list = []               # heap of (time, order, socket, data, address, direction)
        self._held: dict[str, list] = {"to_server": [], "to_client": []}
        self._order = itertools.count()
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
        if self.who:
            self.transcript.add(self.who, "sent", data)

    def _record_reply(self, data: bytes) -> None:
        if self.who:
            self.transcript.add("server", "sent", data)

    def _run_tcp(self) -> None:
        pairs: dict[socket.socket, socket.socket] = {}
        from_client: set[socket.socket] = set()
        while not self._stop.is_set():
            readable, _, _ = select.select([self.sock, *pairs], [], [], 0.05)
            for s in readable:
                if s is self.sock:
                    conn, _ = self.sock.accept()
                    up = self._connect_upstream()
                    if up is None:          # the server is gone: the client sees its connection closed
                        conn.close()
                        continue
                    if self.who:
                        self.transcript.add(self.who, "connected", "client program connected")
                    pairs[conn], pairs[up] = up, conn
                    from_client.add(conn)
                    self._sockets += [conn, up]
                    continue
                if s not in pairs:        # both ends were readable and the other's end closed this one
                    continue
                try:
                    data = s.recv(MAX_DATAGRAM)
                except OSError:
                    data = b""
                other = pairs.get(s)
                if not data:
                    # Not recorded: which end closes first is a race, and two runs must read the same.
                    for end in (s, other):
                        pairs.pop(end, None)
                        end.close()
                    continue
                if s in from_client:
                    self._record(data)
                else:
                    self._record_reply(data)
                try:
                    other.sendall(data)
                except OSError:
                    pass

    def _connect_upstream(self) -> socket.socket | None:
        up = self._open_upstream(socket.AF_INET, socket.SOCK_STREAM)
        up.settimeout(5)
        try:
            up.connect(self.upstream)
        except OSError:
            up.close()
            return None
        return up

    @property
    def address(self) -> tuple[str, int]:
        return self.sock.getsockname()[:2]

    def _forward(self, sock: socket.socket, data: bytes, address: tuple, direction: str) -> None:
        """Send now, or as the profile says: later, twice, held back, or never."""
        if not self.profile:
            sock.sendto(data, address)
            return
        plan = self._shapers[direction].plan()
        who = "relay"
        if plan.copies == 0:
            self.transcript.add(who, "note", f"lost {direction.replace('_', ' ')}: {escape(data)!r}")
            return
        if plan.copies > 1:
            self.transcript.add(who, "note", f"duplicated {direction.replace('_', ' ')}: {escape(data)!r}")
        if plan.hold:
            self.transcript.add(who, "note", f"held back {direction.replace('_', ' ')}: {escape(data)!r}")
            self._held[direction].append((sock, data, address, plan, time.monotonic()))
            return
        when = time.monotonic() + plan.delay
        for _ in range(plan.copies):
            heapq.heappush(self._due, (when, next(self._order), sock, data, address))
        # A held datagram goes right after the one that overtook it.
        self._release_held(direction, when)

    def _release_held(self, direction: str, when: float) -> None:
        for sock, data, address, plan, _ in self._held[direction]:
            for _ in range(plan.copies):
                heapq.heappush(self._due, (when, next(self._order), sock, data, address))
        self._held[direction].clear()

    def _flush_due(self) -> float:
        """Send what is due; return how long until the next datagram is."""
        now = time.monotonic()
        for direction, held in self._held.items():
            if held and now - held[0][4] > HOLD_AT_MOST:     # nothing overtook it: let it go
                self._release_held(direction, now)
        while self._due and self._due[0][0] <= now:
            _, _, sock, data, address = heapq.heappop(self._due)
            try:
                sock.sendto(data, address)
            except OSError:
                pass
        return min(0.05, self._due[0][0] - now) if self._due else 0.05

    def _run_udp(self) -> None:
        upstreams: dict[tuple, socket.socket] = {}
        clients: dict[socket.socket, tuple] = {}
        while not self._stop.is_set():
            wait = self._flush_due()
            readable, _, _ = select.select([self.sock, *clients], [], [], max(wait, 0))
            for s in readable:
                try:
                    data, addr = s.recvfrom(MAX_DATAGRAM)
                except OSError:
                    continue
                if s is self.sock:
                    up = upstreams.get(addr)
                    if up is None:
                        up = self._open_upstream(socket.AF_INET, socket.SOCK_DGRAM)
                        up.bind(("127.0.0.1", 0))
                        upstreams[addr], clients[up] = up, addr
                        self._sockets.append(up)
                    self._record(data)
                    self._forward(up, data, self.upstream, "to_server")
                else:
                    self._record_reply(data)
                    self._forward(self.sock, data, clients[s], "to_client")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for s in self._sockets:
            try:
                s.close()
            except OSError:
                pass
