"""A user-space relay between a client program and a server, recording both ways.

It listens where the client expects the server (the course's 127.0.0.1:9999)
and forwards to where the server really is, so the grader sees exactly what
the client sent, message by message (a TCP chunk or a UDP datagram). The
server may be in another network namespace (the reference's, see
``grader.kinds.runners.oracle``): the relay then makes its upstream sockets there
(``upstream_socket``) while listening in the client's. Over UDP
it can also play a seeded ``NetworkProfile``: lose, duplicate, delay and
reorder datagrams.

Over TCP each way of a connection ends on its own: a half-close is passed on
(the other way carries on), a reset is passed on as a reset and recorded, as
is a connection the client program still held open when the test ended. A
normal close is not recorded: which end closes first is a race. Closing the
relay first reads what has already been sent to it (``close(drain=...)``).
"""
from __future__ import annotations

import heapq
import itertools
import select
import socket
import struct
import threading
import time
from typing import Callable

from grader.net.shaping import Shaper
from grader.spec.network import NetworkProfile
from grader.spec.modes import Transport
from grader.net.transcript import Transcript, escape

MAX_DATAGRAM = 65535
HOLD_AT_MOST = 1.0     # seconds a reordered datagram waits for one to overtake it
SEND_TIMEOUT = 5.0     # seconds an end may leave what the relay passes on unread
UDP_QUIET = 0.05       # at close, after the client program exited: a quiet spell ends the UDP relay


class Relay:
    """A man in the middle on a loopback address: it forwards every TCP connection or UDP datagram to
    ``upstream`` and records what passes in the transcript. It stands in for the reference server a
    student's client talks to, and in front of a server that a test reaches through a lossy network.
    What differs by transport is in ``TcpRelay`` and ``UdpRelay``; ``make_relay`` chooses one."""

    _listening: dict[tuple[str, int], "Relay"] = {}     # this process's open relays, by address
    kind = socket.SOCK_STREAM                            # of the sockets it listens and forwards on

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int], transcript: Transcript,
                 who: str | None = "client", upstream_socket: Callable[[int, int], socket.socket] | None = None):
        """``who`` names the client side in the transcript; None records no messages
        (the test-side clients already do), only what the profile did to them.
        ``upstream_socket(family, kind)`` makes each socket towards ``upstream``
        (default ``socket.socket``, in the namespace the relay listens in)."""
        self.upstream, self.transcript, self.who = upstream, transcript, who
        self._open_upstream = upstream_socket or socket.socket
        self.from_client: list[bytes] = []
        self._closing: float | None = None   # set by close(): when to stop waiting for the client's ends
        self.sock = socket.socket(socket.AF_INET, self.kind)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(listen)
        self._listen()
        self._sockets: list[socket.socket] = [self.sock]
        self._upstream_ends: list[socket.socket] = []     # the relay's sockets towards the server
        self._address = tuple(self.sock.getsockname()[:2])
        Relay._listening[self._address] = self
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        """Make the bound socket ready for clients (TCP: listen)."""

    def _run(self) -> None:
        """Relay until closed (the relay's thread)."""
        raise NotImplementedError

    def _record(self, data: bytes) -> None:
        self.from_client.append(data)
        if self.who:
            self.transcript.add(self.who, "sent", data)

    def _record_reply(self, data: bytes) -> None:
        if self.who:
            self.transcript.add("server", "sent", data)

    @property
    def address(self) -> tuple[str, int]:
        return self._address

    @classmethod
    def at(cls, address: tuple[str, int]) -> "Relay | None":
        """The open relay of this process listening at ``address``, if any."""
        return cls._listening.get(tuple(address))

    def idle(self) -> bool:
        """Nothing from the server is waiting in the relay: none unread on its sockets towards the
        server (one being handled at this very moment is a moment away from its client)."""
        ends = [s for s in list(self._upstream_ends) if s.fileno() >= 0]
        try:
            return not (ends and select.select(ends, [], [], 0)[0])
        except (OSError, ValueError):     # closed meanwhile
            return True

    def close(self, drain: float = 0.0) -> None:
        """Stop relaying, once everything already sent to the relay has been read, recorded and passed on.

        ``drain``: the client program has exited; wait up to that many seconds for each of its TCP
        connections to end (its last bytes and its close are on their way), or for a short quiet
        spell (UDP). Without it, only what has already arrived is read. A connection the client
        program still holds open at the end is closed, and recorded as closed by the grader.
        """
        if self._closing is None:
            self._closing = time.monotonic() + drain
        if Relay._listening.get(self._address) is self:
            Relay._listening.pop(self._address, None)
        self._thread.join(drain + 2)
        for s in self._sockets:
            try:
                s.close()
            except OSError:
                pass


class TcpRelay(Relay):
    """Each connection of the client program is linked to a connection of its own to the server;
    each way of a link ends on its own (see the module's notes)."""

    def _listen(self) -> None:
        self.sock.listen(16)

    def _run(self) -> None:
        links: dict[socket.socket, _Link] = {}
        while True:
            closing = self._closing          # read once a round: close() sets it from another thread
            waiting = closing is not None and any(link.reading[link.client] for link in set(links.values()))
            if closing is None:
                wait = 0.05
            elif waiting:       # the client program's connections end soon: it has exited
                wait = max(0.0, min(0.05, closing - time.monotonic()))
            else:
                wait = 0.0
            watched = [s for s, link in links.items() if link.reading[s]]
            readable, _, _ = select.select([self.sock, *watched], [], [], wait)
            for s in readable:
                if s is self.sock:
                    self._accept(links)
                    continue
                link = links.get(s)
                if link is not None and link.reading[s]:     # not ended by the other end in this round
                    self._pass_on(link, s, links)
            if closing is not None and _finished(closing, readable, waiting):
                break
        # The test is over: what the client program still holds open, the grader closes.
        for link in set(links.values()):
            if link.reading[link.client] and self.who:
                self.transcript.add(self.who, "closed", "client program had not closed its connection "
                                                        "when the test ended: closed by the grader")
            link.close()

    def _accept(self, links: dict) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        conn.settimeout(SEND_TIMEOUT)
        up, why = self._connect_upstream()
        if up is None:          # the server is gone: the client sees its connection closed
            if self.who:
                self.transcript.add(self.who, "connected", "client program connected")
                self.transcript.add("relay", "note", f"could not reach the server ({why}): "
                                                     "closed the client program's connection")
            conn.close()
            return
        if self.who:
            self.transcript.add(self.who, "connected", "client program connected")
        link = _Link(conn, up)
        links[conn] = links[up] = link
        self._sockets += [conn, up]
        self._upstream_ends.append(up)

    def _pass_on(self, link: "_Link", s: socket.socket, links: dict) -> None:
        """Read from one end and pass it to the other; an end that closes its side is passed on as a
        half-close (the other way carries on until it ends too), a reset as a reset."""
        other = link.other(s)
        try:
            data = s.recv(MAX_DATAGRAM)
        except OSError as exc:      # never a silent end: everything it sent before was read already
            self._broken(link, s, exc, links, sending=False)
            return
        if not data:
            # Not recorded: which end closes first is a race, and two runs must read the same.
            link.reading[s] = False
            try:
                other.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            if not any(link.reading.values()):
                self._drop(link, links)
            return
        if s is link.client:
            self._record(data)
        else:
            self._record_reply(data)
        try:
            other.sendall(data)
        except OSError as exc:
            if link.reading[other]:
                self._broken(link, other, exc, links, sending=True)
            else:
                # It had closed its side and is gone now: the sender gets the reset it would have got.
                _abort(s)
                self._drop(link, links)

    def _broken(self, link: "_Link", s: socket.socket, exc: OSError, links: dict, sending: bool) -> None:
        """``s`` was reset (or failed): record it and reset the other end, as the end itself would have."""
        side = "client program" if s is link.client else "server"
        if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
            what = f"{side} reset the connection"
        elif isinstance(exc, TimeoutError) and sending:
            what = f"{side} read nothing of what it was sent for {SEND_TIMEOUT:g} s: the relay gave up on it"
        elif isinstance(exc, TimeoutError):
            what = f"connection to the {side} timed out"
        else:
            what = f"connection to the {side} failed ({exc.strerror or exc})"
        if self.who:
            self.transcript.add(self.who if s is link.client else "server", "closed", what)
        link.reading[s] = False
        _abort(link.other(s))
        self._drop(link, links)

    def _drop(self, link: "_Link", links: dict) -> None:
        for end in (link.client, link.server):
            links.pop(end, None)
        link.close()

    def _connect_upstream(self) -> tuple[socket.socket | None, str]:
        up = self._open_upstream(socket.AF_INET, socket.SOCK_STREAM)
        up.settimeout(SEND_TIMEOUT)
        try:
            up.connect(self.upstream)
        except OSError as exc:
            up.close()
            return None, exc.strerror or str(exc)
        return up, ""


class UdpRelay(Relay):
    """Datagrams from each client address go on from a socket of their own towards the server, and
    its replies back to that address; a lossy network's ``profile`` loses, duplicates, delays and
    reorders them."""
    kind = socket.SOCK_DGRAM

    def __init__(self, *args, profile: NetworkProfile | None = None, **kwargs):
        self.profile = profile
        if profile:
            self._shapers = {"to_server": Shaper(profile.to_server, profile.seed, "to_server"),
                             "to_client": Shaper(profile.to_client, profile.seed, "to_client")}
        self._due: list = []               # heap of (time, order, socket, data, address, direction)
        self._held: dict[str, list] = {"to_server": [], "to_client": []}
        self._order = itertools.count()
        super().__init__(*args, **kwargs)   # last: it starts the relay's thread

    def idle(self) -> bool:
        """Nor is a datagram held back or delayed by the profile."""
        return not (self._due or any(self._held.values())) and super().idle()

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

    def _run(self) -> None:
        upstreams: dict[tuple, socket.socket] = {}
        clients: dict[socket.socket, tuple] = {}
        while True:
            closing = self._closing
            wait = self._flush_due()
            if closing is not None:       # read what is on its way; then stop at the first quiet round
                wait = min(wait, UDP_QUIET) if time.monotonic() < closing else 0.0
            readable, _, _ = select.select([self.sock, *clients], [], [], max(wait, 0))
            if closing is not None and _finished(closing, readable, waiting=False):
                break
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
                        self._upstream_ends.append(up)
                    self._record(data)
                    self._forward(up, data, self.upstream, "to_server")
                else:
                    self._record_reply(data)
                    self._forward(self.sock, data, clients[s], "to_client")


RELAYS: dict[Transport, type[Relay]] = {Transport.TCP: TcpRelay, Transport.UDP: UdpRelay}


def make_relay(transport: Transport, listen: tuple[str, int], upstream: tuple[str, int], transcript: Transcript,
               who: str | None = "client", profile: NetworkProfile | None = None,
               upstream_socket: Callable[[int, int], socket.socket] | None = None) -> Relay:
    """A relay over the spec's ``transport`` (tcp | udp), listening at ``listen`` (see ``Relay``); a
    lossy network's ``profile`` shapes UDP alone (a spec's checks refuse one over TCP)."""
    shaping = {"profile": profile} if profile is not None else {}
    return RELAYS[transport](listen, upstream, transcript, who, upstream_socket, **shaping)


def _finished(closing: float, readable: list, waiting: bool) -> bool:
    """Closing: done after a round that read nothing, unless still ``waiting`` for the client's ends
    before ``closing``; in any case a second after it (a client that never stops sending)."""
    now = time.monotonic()
    return (not readable and (not waiting or now >= closing)) or now >= closing + 1


class _Link:
    """A client program's connection and the relay's own to the server; each way ends on its own."""

    def __init__(self, client: socket.socket, server: socket.socket):
        self.client, self.server = client, server
        self.reading = {client: True, server: True}     # that end has not closed its side yet

    def other(self, end: socket.socket) -> socket.socket:
        return self.server if end is self.client else self.client

    def close(self) -> None:
        for end in (self.client, self.server):
            try:
                end.close()
            except OSError:
                pass


def _abort(sock: socket.socket) -> None:
    """Make closing ``sock`` reset the connection (SO_LINGER 0): its peer sees a reset, not a close."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
