"""Which sockets a set of processes has bound, read from the kernel's tables.

Waiting for a server by reading /proc/net/{tcp,udp}[6] instead of probing the
port matters: a probe would be served as a client by a single-threaded server.
A table lists the sockets of one network namespace: ``/proc/net`` is that of
the reading process's main thread (the test's); the reference server, which
runs in a namespace of its own (``oracle.py``), is looked for in its
namespace's tables (``net``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from grader.spec.modes import Transport

TCP_LISTEN = "0A"


@dataclass(frozen=True)
class BoundSocket:
    transport: Transport
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.transport.upper()} {self.host}:{self.port}"


def _decode_v4(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)[::-1]
    return ".".join(str(b) for b in raw)


def _decode_v6(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    import ipaddress
    return str(ipaddress.IPv6Address(words))


def _table(name: str, net: str = "/proc/net"):
    decode = _decode_v6 if name.endswith("6") else _decode_v4
    try:
        with open(f"{net}/{name}") as f:
            next(f)
            for line in f:
                fields = line.split()
                addr, port = fields[1].split(":")
                yield decode(addr), int(port, 16), fields[3], fields[9]
    except OSError:
        return


def socket_inodes(pids) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    return inodes


def bound_sockets(pids, net: str = "/proc/net") -> list[BoundSocket]:
    """Listening TCP sockets and bound UDP sockets owned by ``pids``, in the namespace whose tables are in ``net``."""
    inodes = socket_inodes(pids)
    if not inodes:
        # Reading the tables costs the kernel a walk over every socket of the machine;
        # a server polled while it starts has none yet.
        return []
    found = []
    for transport in Transport:
        for table in (transport, transport + "6"):
            for host, port, state, inode in _table(table, net):
                if inode not in inodes or port == 0:
                    continue
                if transport == Transport.TCP and state != TCP_LISTEN:
                    continue
                found.append(BoundSocket(transport, host, port))
    return sorted(set(found), key=lambda s: (s.transport, s.port, s.host))


def port_in_use(transport: Transport, port: int, net: str = "/proc/net") -> bool:
    """Some process of the namespace listens on (TCP) or is bound to (UDP) ``port``."""
    for table in (transport, transport + "6"):
        for host, bound, state, inode in _table(table, net):
            if bound == port and (transport == Transport.UDP or state == TCP_LISTEN):
                return True
    return False
