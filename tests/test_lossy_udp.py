"""The seeded UDP relay loses, duplicates, delays and reorders datagrams as its profile says."""
import socket
import sys
import time

import pytest

from conftest import REFERENCE
from grader.net.relay import make_relay
from grader.net.shaping import Shaper
from grader.spec.network import DirectionRules, NetworkProfile
from grader.net.transcript import Transcript
from grader.job.context import free_port
from grader.runner.process import Program


@pytest.fixture
def echo_server():
    port = free_port()
    program = Program([sys.executable, "-u", str(REFERENCE / "udp_echo_server.py"), "--port", str(port)],
                      cwd="/tmp")
    try:
        deadline = time.monotonic() + 10
        while b"Bind UDP" not in program.stdout.data and time.monotonic() < deadline:
            time.sleep(0.02)
        yield ("127.0.0.1", port)
    finally:
        program.close()


def exchange(relay_address, messages, wait=1.5):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for m in messages:
            s.sendto(m.encode(), relay_address)
            time.sleep(0.05)
        s.settimeout(wait)
        replies = []
        try:
            while True:
                replies.append(s.recv(1024).decode())
        except TimeoutError:
            return replies


def run_profile(echo_server, profile, messages):
    transcript = Transcript()
    relay = make_relay("udp", ("127.0.0.1", 0), echo_server, transcript, who=None, profile=profile)
    try:
        return exchange(relay.address, messages), transcript
    finally:
        relay.close()


def test_drop_and_duplicate_by_number(echo_server):
    profile = NetworkProfile("p", to_server=DirectionRules(drop=(2,)), to_client=DirectionRules(duplicate=(1,)))
    replies, transcript = run_profile(echo_server, profile, ["m1", "m2", "m3"])
    assert replies == ["Hello, m1!", "Hello, m1!", "Hello, m3!"]
    notes = [e.data for e in transcript.entries]
    assert "lost to server: 'm2'" in notes and "duplicated to client: 'Hello, m1!'" in notes


def test_reorder_lets_the_next_datagram_overtake(echo_server):
    profile = NetworkProfile("p", to_client=DirectionRules(reorder_rate=1.0))
    # Every reply is held until the next passes; the last waits out its hold.
    replies, _ = run_profile(echo_server, profile, ["m1", "m2"])
    assert sorted(replies) == ["Hello, m1!", "Hello, m2!"]


def test_delay_holds_replies_back(echo_server):
    profile = NetworkProfile("p", to_client=DirectionRules(delay=3.0))
    replies, _ = run_profile(echo_server, profile, ["m1"])   # we listen 1.5 s only
    assert replies == []


def test_same_seed_same_luck():
    rules = DirectionRules(drop_rate=0.3, duplicate_rate=0.3, reorder_rate=0.2, jitter=0.1)
    def plans(seed):
        shaper = Shaper(rules, seed, "to_server")
        return [vars(shaper.plan()) for _ in range(50)]
    assert plans(7) == plans(7)
    assert plans(7) != plans(8)
    assert any(p["copies"] == 0 for p in plans(7)) and any(p["copies"] == 2 for p in plans(7))
