"""Over UDP a swarm says how many clients were answered and how long the longest waited, never that
a server served them "at the same time": there is no connection to hold open, and a server that
answers one datagram at a time (here, sleeping before each answer) answers every client anyway."""
from __future__ import annotations

import json

from conftest import PORT_ARG, make_submission
from grader.reporting.stable import stable
from grader.results import LONGEST_WAIT
from grader.specfile import load_spec

SLOW_SERIAL = PORT_ARG + """
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', PORT))
while True:
    data, addr = s.recvfrom(1024)
    time.sleep({pause})                  # one datagram at a time, slowly
    s.sendto(b'Hello, ' + data + b'!', addr)
"""

SPEC = {
    "id": "udp-swarm", "transport": "udp", "roles": {"server": {"files": ["serverudp.py"]}},
    "tests": [{"name": "three clients at once", "tags": ["concurrency"],
               "swarm": {"clients": 3, "steps": [{"send": "from-${i}"},
                                                 {"expect": "Hello, from-${i}!", "timeout": 10}]}}],
}


def graded(tmp_path, engine, pause: float, **swarm):
    spec_data = json.loads(json.dumps(SPEC))
    spec_data["tests"][0]["swarm"].update(swarm)
    (tmp_path / "udp.yaml").write_text(json.dumps(spec_data))
    sub = make_submission(tmp_path / "s", {"serverudp.py": SLOW_SERIAL.format(pause=pause)})
    return engine.grade(sub, load_spec(tmp_path / "udp.yaml"))


def test_a_serial_udp_server_is_answered_not_served_at_once(tmp_path, engine):
    result = graded(tmp_path, engine, pause=0.3)
    got = result.tests[0]
    assert got.passed, got.reason
    assert got.notes == ["answered 3 of 3 clients"]
    assert not any("at the same time" in note for note in got.notes)
    assert got.metrics["answered"] == 3 and "served_at_once" not in got.metrics
    assert isinstance(got.metrics[LONGEST_WAIT], float) and got.metrics[LONGEST_WAIT] > 0
    # The wait is a time: --stable keeps the figure's name and makes its value the same in every run.
    assert stable([result])[0].tests[0].metrics == {"answered": 3, LONGEST_WAIT: 0.0}


def test_too_few_answered_says_answered(tmp_path, engine):
    # Each client waits 1 s for its reply; a server taking 3 s per datagram answers the first only in
    # time (the next replies come 6 s and 9 s after the first datagram).
    spec_swarm = {"steps": [{"send": "from-${i}"}, {"expect": "Hello, from-${i}!", "timeout": 1}]}
    got = graded(tmp_path, engine, pause=3, **spec_swarm).tests[0]
    assert not got.passed
    assert got.reason.startswith("answered "), got.reason
    assert "at the same time" not in got.reason and "this test needs 3 answered" in got.reason


def test_listings_say_answered_over_udp_and_served_together_over_tcp(tmp_path):
    from grader.kinds import kind_of
    (tmp_path / "udp.yaml").write_text(json.dumps(SPEC))
    (tmp_path / "tcp.yaml").write_text(json.dumps({**SPEC, "id": "tcp-swarm", "transport": "tcp"}))
    summaries = {name: [kind_of(t).summary(t) for t in load_spec(tmp_path / f"{name}.yaml").tests]
                 for name in ("udp", "tcp")}
    assert summaries == {"udp": ["3 clients at once, 3 answered"], "tcp": ["3 clients at once, 3 served together"]}
