"""A test-side client talking to the server under test, one per named client.

Receiving judges progress, not speed: it returns as soon as what arrived
satisfies the expectation, and otherwise waits until the step's timeout (or a
short quiet spell after a non-matching TCP reply, which is complete by then),
or until nothing more can come: ``watch`` says when the server has stopped.

How a connection ended is recorded, in the transcript and in the reasons: the
server closed it, reset it, the wait for it timed out, or the grader closed it.
"""
from __future__ import annotations

import select
import socket
import struct
import time
from dataclasses import dataclass
from typing import Callable

from grader.spec import match
from grader.spec.match import Wait
from grader.net.transcript import Transcript, decode, escape
from grader.results import Cause, Why
from grader.spec.modes import Framing, Transport

QUIET_AFTER_MISMATCH = 0.3
MAX_DATAGRAM = 65535
WATCH_EVERY = 0.1    # seconds between looks at whether the server has stopped, while waiting
LAST_LOOK = 0.2      # after it stopped: how long what it sent just before may still take to arrive


@dataclass
class Verdict:
    ok: bool
    got: str = ""
    reason: str = ""
    cause: Why | None = None

    def __post_init__(self):
        if not self.ok and self.cause is None:
            raise ValueError(f"a verdict that fails says why as data too: {self.reason!r}")


NO_REPLY, WRONG_REPLY = Why(Cause.NO_REPLY), Why(Cause.WRONG_REPLY)


class Peer:
    """One named test-side client: a socket to the server under test, which sends messages and waits
    for replies that match an expectation, recording both in the transcript (see the module's notes).
    What differs by transport is in ``TcpPeer`` and ``UdpPeer``; ``make_peer`` chooses one."""

    def __init__(self, name: str, address: tuple[str, int], framing: Framing, transcript: Transcript,
                 opener: Callable[[int, int], socket.socket] | None = None,
                 watch: Callable[[], bool] | None = None, on_close: Callable[[], None] | None = None):
        """``opener(family, kind)`` makes the socket (default ``socket.socket``): the reference's
        clients make theirs in its network namespace (``grader.kinds.runners.oracle``).
        ``watch()``: True once the server can send nothing more (it has exited); waiting stops then.
        ``on_close()``: called each time the test closes this client (a swarm counts it closed then)."""
        self.name, self.address = name, address
        self.framing, self.transcript = framing, transcript
        self._open = opener or socket.socket
        self.watch = watch
        self.on_close = on_close
        self.sock: socket.socket | None = None
        self.pending: list[bytes] = []      # TCP bytes / UDP datagrams not yet consumed
        self.eof = False            # the connection ended (TCP); ``ended`` says how
        self.ended = ""             # "the server closed the connection", "... reset ...", ...
        self.stopped = False        # a wait ended because the server had stopped
        self.unreachable = False    # UDP: an ICMP "port unreachable" came back
        self._ran_out = False       # the last wait ended at its deadline
        self.sends = 0              # sends that have returned (the data is the kernel's, or failed)

    # -- what each transport does its own way ------------------------------------
    def connect(self, timeout: float) -> Verdict:
        raise NotImplementedError

    def _send(self, data: bytes) -> None:
        """Send one message; an OSError says it could not."""
        raise NotImplementedError

    def _send_failed(self, exc: OSError) -> str:
        """Why a send failed, for the reason (and what it means for the connection)."""
        raise NotImplementedError

    def _receive_failed(self, exc: OSError) -> bytes | None:
        """What ``_read_some`` gives when a receive failed."""
        raise NotImplementedError

    def _received_empty(self) -> None:
        """A receive gave b'' (TCP: the server closed; UDP: an empty datagram)."""

    def _expect_message(self, expectation, timeout: float) -> Verdict:
        """The next message, judged against ``expectation``."""
        raise NotImplementedError

    def _lines_so_far(self, chunks: list[bytes], wanted: int) -> tuple[str, list[bytes]]:
        """The reply text gathered from ``chunks`` and what is left for later steps."""
        raise NotImplementedError

    # -- the same over either ----------------------------------------------------
    def send(self, data: bytes, timeout: float) -> Verdict:
        if self.sock is None:
            verdict = self.connect(timeout)
            if not verdict.ok:
                return verdict
        # Recorded before sending, so it precedes whatever a relay notes about it.
        self.transcript.add(self.name, "sent", data)
        try:
            self._send(data)
        except OSError as exc:
            self.transcript.add(self.name, "note", f"send failed: {exc.strerror or exc}")
            return Verdict(False, reason=f"could not send {escape(data)!r}: {self._send_failed(exc)}",
                           cause=Why(Cause.SEND_FAILED))
        finally:
            self.sends += 1
        return Verdict(True)

    def _read_some(self, deadline: float) -> bytes | None:
        """One chunk (TCP) or datagram (UDP); b'' once the TCP connection ended; None when time ran
        out, or when the server has stopped and nothing more can arrive (``stopped`` is set then)."""
        self._ran_out = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._ran_out = True
                return None
            watch = self.watch
            readable, _, _ = select.select([self.sock], [], [], min(remaining, WATCH_EVERY) if watch else remaining)
            if readable:
                break
            if watch is not None and watch():
                # It has exited: what it sent before is here already, or at most a moment away.
                readable, _, _ = select.select([self.sock], [], [], LAST_LOOK)
                if readable:
                    break
                if not self.stopped:
                    self.transcript.add(self.name, "note", "stopped waiting: the server has exited")
                self.stopped = True
                return None
        try:
            data = self.sock.recv(MAX_DATAGRAM)
        except ConnectionRefusedError:
            # UDP: an ICMP "port unreachable" for an earlier datagram; nobody listens.
            self.transcript.add(self.name, "note", "port unreachable: nothing is bound there")
            self.unreachable = True
            return None
        except OSError as exc:
            return self._receive_failed(exc)
        if data:
            self.transcript.add(self.name, "received", data)
        else:
            self._received_empty()
        return data

    def _more(self, deadline: float) -> bytes | None:
        """The next chunk; None once time ran out or the server closed (``eof`` then set)."""
        if self.eof:
            return None
        data = self._read_some(deadline)
        if data == b"":
            self.eof = True
            return None
        return data

    def expect(self, expectation, timeout: float) -> Verdict:
        if self.sock is None:
            verdict = self.connect(timeout)
            if not verdict.ok:
                return verdict
        waits = match.matcher(expectation).waits
        if waits is Wait.SILENCE:
            return self._expect_silence(expectation.seconds)
        started = time.monotonic()
        self._ran_out = False
        if waits is Wait.CLOSE:
            verdict = self._expect_closed(timeout)
        elif waits is Wait.LINES:
            verdict = self._expect_lines(expectation, timeout)
        else:
            verdict = self._expect_message(expectation, timeout)
        if not verdict.ok and self._ran_out and time.monotonic() - started >= timeout:
            self.transcript.add(self.name, "note", f"timed out: nothing more within {timeout:g} s")
        return verdict

    def nothing_came(self, timeout: float) -> str:
        """Why nothing (more) came: the connection ended, the server stopped, or time ran out."""
        if self.eof:
            return self.ended
        if self.stopped:
            return "nothing before the server exited"
        if self.unreachable:
            return "nothing: the datagram came back as port unreachable (nothing is bound there)"
        return f"nothing within {timeout:g} s"

    def _expect_lines(self, expectation, timeout: float) -> Verdict:
        """A reply of several lines: one message, several UDP datagrams, or (newline framing) N messages.

        Keeps reading while the lines so far fit and some are missing, so a
        server that sleeps between lines is waited for until the timeout.
        """
        deadline = time.monotonic() + timeout
        chunks, self.pending = self.pending, []
        text, rest = "", []
        while True:
            text, rest = self._lines_so_far(chunks, len(expectation.items))
            state = match.lines_state(expectation, text) if text else "partial"
            if state == "complete":
                self.pending = rest
                return Verdict(True, text)
            if state == "wrong":    # perhaps the last line is still arriving
                deadline = min(deadline, time.monotonic() + QUIET_AFTER_MISMATCH)
            data = self._more(deadline)
            if data is None:
                break
            chunks.append(data)
        if not text:
            return Verdict(False, reason=f"expected {match.describe(expectation)}, got {self.nothing_came(timeout)}",
                           cause=NO_REPLY)
        return Verdict(False, text, f"expected {match.describe(expectation)}; "
                                    + match.explain_lines(expectation, text), WRONG_REPLY)

    def _expect_closed(self, timeout: float) -> Verdict:
        deadline = time.monotonic() + timeout
        while not self.eof:
            data = self._read_some(deadline)
            if data is None:
                if self.stopped:
                    return Verdict(False, reason="expected the server to close the connection; "
                                                "it exited without closing it", cause=Why(Cause.NOT_CLOSED))
                return Verdict(False, reason=f"expected the server to close the connection within {timeout:g} s; "
                                            "it stayed open", cause=Why(Cause.NOT_CLOSED))
        return Verdict(True)

    def _expect_silence(self, seconds: float) -> Verdict:
        data = self.pending.pop(0) if self.pending else self._read_some(time.monotonic() + seconds)
        if data:
            return Verdict(False, decode(data), f"expected no reply, got {escape(data)!r}", WRONG_REPLY)
        return Verdict(True)

    def reset(self) -> None:
        """Close abruptly (TCP: with an RST, as when a client is killed); over UDP, a close."""
        self.close()

    def close(self) -> None:
        if self.on_close is not None:
            self.on_close()
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
            self.transcript.add(self.name, "closed", "client closed")


class TcpPeer(Peer):
    """A connection: messages are read from a stream, whose end (a close, a reset) is recorded."""

    def connect(self, timeout: float) -> Verdict:
        self.sock = self._open(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(self.address)
        except OSError as exc:
            self.transcript.add(self.name, "note", f"connect failed: {exc.strerror or exc}")
            return Verdict(False, reason=f"could not connect to {self.address[0]}:{self.address[1]} "
                                        f"({exc.strerror or exc})", cause=Why(Cause.CONNECT_FAILED))
        self.sock.settimeout(None)
        self.transcript.add(self.name, "connected", f"connected to {self.address[1]}")
        return Verdict(True)

    def _send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _send_failed(self, exc: OSError) -> str:
        if not self.eof:
            self._end(_how_it_ended(exc))
        return self.ended

    def _receive_failed(self, exc: OSError) -> bytes | None:
        self._end(_how_it_ended(exc))
        return b""

    def _received_empty(self) -> None:
        self._end("the server closed the connection")

    def _end(self, how: str) -> None:
        """The connection ended: record how (once)."""
        self.eof = True
        self.ended = how
        self.transcript.add(self.name, "closed", how.removeprefix("the "))

    def _expect_message(self, expectation, timeout: float) -> Verdict:
        deadline = time.monotonic() + timeout
        buffer = b"".join(self.pending)
        self.pending.clear()
        if self.framing == Framing.NEWLINE and b"\n" in buffer:
            line, rest = buffer.split(b"\n", 1)
            self.pending = [rest] if rest else []
            return self._judge(expectation, line, timeout)
        while True:
            if buffer and (self.framing != Framing.NEWLINE or buffer.endswith(b"\n")):
                if match.text_matches(expectation, _message(decode(buffer), self.framing)):
                    break
                deadline = min(deadline, time.monotonic() + QUIET_AFTER_MISMATCH)
            data = self._more(deadline)
            if data is None:
                break
            buffer += data
            if self.framing == Framing.NEWLINE and b"\n" in buffer:
                line, rest = buffer.split(b"\n", 1)
                self.pending = [rest] if rest else []
                return self._judge(expectation, line, timeout)
        if self.framing == Framing.NEWLINE and buffer and not self.eof:
            more = "before the server exited" if self.stopped else f"within {timeout:g} s"
            return Verdict(False, _message(decode(buffer), self.framing),
                           f"expected {match.describe(expectation)}, got {escape(buffer)!r} "
                           f"without the newline that ends a message (nothing more {more})", WRONG_REPLY)
        return self._judge(expectation, buffer, timeout)

    def _judge(self, expectation, data: bytes, timeout: float) -> Verdict:
        text = _message(decode(data), self.framing)
        if data and match.text_matches(expectation, text):
            return Verdict(True, text)
        if not data:
            return Verdict(False, reason=f"expected {match.describe(expectation)}, got {self.nothing_came(timeout)}",
                           cause=NO_REPLY)
        return Verdict(False, text, f"expected {match.describe(expectation)}, got {escape(data)!r}", WRONG_REPLY)

    def _lines_so_far(self, chunks: list[bytes], wanted: int) -> tuple[str, list[bytes]]:
        data = b"".join(chunks)
        if self.framing != Framing.NEWLINE:
            return decode(data), []
        lines = data.split(b"\n")
        complete = lines[:-1]          # the last piece has no newline yet
        taken = complete[:wanted]
        rest = b"\n".join(lines[len(taken):])
        return decode(b"".join(l + b"\n" for l in taken)), [rest] if rest else []

    def reset(self) -> None:
        """Close abruptly: the connection ends with an RST (no FIN), as when a client is killed."""
        if self.sock is None:
            self.close()
            return
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.sock.close()
        self.sock = None
        self.transcript.add(self.name, "closed", "client reset the connection")


class UdpPeer(Peer):
    """A socket of its own sending datagrams to the server: each datagram is a message."""

    def connect(self, timeout: float) -> Verdict:
        self.sock = self._open(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        return Verdict(True)

    def _send(self, data: bytes) -> None:
        self.sock.sendto(data, self.address)

    def _send_failed(self, exc: OSError) -> str:
        if isinstance(exc, ConnectionRefusedError):
            return "nothing is bound there (port unreachable)"
        return exc.strerror or str(exc)

    def _receive_failed(self, exc: OSError) -> bytes | None:
        self.transcript.add(self.name, "note", f"receive failed: {exc.strerror or exc}")
        return None

    def _expect_message(self, expectation, timeout: float) -> Verdict:
        if self.pending:
            data = self.pending.pop(0)
        else:
            data = self._read_some(time.monotonic() + timeout)
        if data is None:
            return Verdict(False, reason=f"expected {match.describe(expectation)}, got {self.nothing_came(timeout)}",
                           cause=NO_REPLY)
        text = _message(decode(data), self.framing)
        if match.text_matches(expectation, text):
            return Verdict(True, text)
        return Verdict(False, text, f"expected {match.describe(expectation)}, got {escape(data)!r}", WRONG_REPLY)

    def _lines_so_far(self, chunks: list[bytes], wanted: int) -> tuple[str, list[bytes]]:
        texts = [decode(c) for c in chunks]
        return "".join(t if t.endswith("\n") else t + "\n" for t in texts), []


PEERS: dict[Transport, type[Peer]] = {Transport.TCP: TcpPeer, Transport.UDP: UdpPeer}


def make_peer(name: str, transport: Transport, address: tuple[str, int], framing: Framing, transcript: Transcript,
              **options) -> Peer:
    """A test-side client over the spec's ``transport`` (tcp | udp); ``options``: ``Peer``'s."""
    return PEERS[transport](name, address, framing, transcript, **options)


def _how_it_ended(exc: OSError) -> str:
    """How a TCP connection ended, from the error a receive or send met."""
    if isinstance(exc, ConnectionResetError):
        return "the server reset the connection"
    if isinstance(exc, BrokenPipeError):
        return "the server had closed the connection"
    if isinstance(exc, TimeoutError):
        return "the connection timed out"
    return f"the connection failed ({exc.strerror or exc})"


def _message(text: str, framing: Framing) -> str:
    return text.rstrip("\r\n") if framing == Framing.NEWLINE else text
