"""Watch what crosses the loopback to and from one port, without standing in the way.

When the student's client talks to the student's server, both hard-code
127.0.0.1:9999, so no relay can sit between them. Inside the test's own
network namespace, a raw packet socket on ``lo`` sees that traffic instead:
every TCP segment or UDP datagram with a payload, in order.
"""
from __future__ import annotations

import select
import socket
import struct
import threading

from grader.net.transcript import Transcript
from grader.spec.modes import Side, Transport

ETH_P_ALL = 0x0003
PACKET_HOST = 0          # each loopback packet is seen twice: as outgoing and as received
ETHERNET_HEADER = 14
PROTOCOLS = {Transport.TCP: 6, Transport.UDP: 17}


class Capture:
    def __init__(self, transport: Transport, port: int, transcript: Transcript, client: str = "client program"):
        """Raises OSError where raw sockets are not allowed (no namespace of our own)."""
        self.protocol, self.port, self.transcript, self.client = PROTOCOLS[transport], port, transcript, client
        self.wire: list[tuple[Side, bytes]] = []         # (who sent it, payload)
        self._seen: set[tuple[int, int, int]] = set()    # TCP (source port, sequence, length): retransmissions
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind(("lo", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            stopping = self._stop.is_set()
            # Once asked to stop, take what is already queued (the last reply) and end.
            if not select.select([self.sock], [], [], 0 if stopping else 0.05)[0]:
                if stopping:
                    return
                continue
            packet, address = self.sock.recvfrom(65535)
            if address[2] == PACKET_HOST:
                self._take(packet[ETHERNET_HEADER:])

    def _take(self, ip: bytes) -> None:
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != self.protocol:
            return
        header = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        source, destination = struct.unpack("!HH", ip[header:header + 4])
        if self.port not in (source, destination):
            return
        if self.protocol == PROTOCOLS[Transport.UDP]:
            payload = ip[header + 8:total]
        else:
            sequence = struct.unpack("!I", ip[header + 4:header + 8])[0]
            payload = ip[header + (ip[header + 12] >> 4) * 4:total]
            if (source, sequence, len(payload)) in self._seen:
                return
            self._seen.add((source, sequence, len(payload)))
        if not payload:
            return
        side = Side.SERVER if source == self.port else Side.CLIENT
        self.wire.append((side, payload))
        self.transcript.add("server" if side == Side.SERVER else self.client, "sent", payload)

    def close(self) -> list[tuple[Side, bytes]]:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
        return self.wire
