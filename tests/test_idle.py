"""`idle: SECONDS`, a test kind that is its module alone (grader/kinds/idle.py): on real processes, a
server that waits for clients in a blocking call passes, one that polls a non-blocking socket fails."""
import pytest

from conftest import PORT_ARG, REFERENCE, make_submission
from grader.specfile import load_spec

SPEC = """\
id: idle
transport: udp
roles:
  server: {files: [server.py]}
tests:
  - name: the server waits without using the CPU
    tags: [robustness]
    idle: 1.5
"""

POLLING = PORT_ARG + """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', PORT))
s.setblocking(False)
while True:
    try:
        data, address = s.recvfrom(1024)
    except BlockingIOError:
        continue
    s.sendto(data, address)
"""


@pytest.mark.parametrize("server, passes", [(REFERENCE / "udp_echo_server.py", True), (POLLING, False)],
                         ids=["blocking", "polling"])
def test_a_server_with_no_client_waits_without_using_the_cpu(server, passes, tmp_path, engine):
    (tmp_path / "idle.yaml").write_text(SPEC)
    spec = load_spec(tmp_path / "idle.yaml")
    got = engine.grade(make_submission(tmp_path / "s", {"server.py": server}), spec).tests[0]
    assert got.passed == passes, got.reason
    if not passes:
        assert " s of CPU time in 1.5 s without any client: it should wait in a call that blocks" in got.reason
