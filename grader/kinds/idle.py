"""``idle: SECONDS``: the student's server, with no client, waits that long without using the CPU: it
blocks in accept(), recv() or select() rather than polling a non-blocking socket in a loop."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from grader.kinds.base import TestKind
from grader.spec.model import KindParams

LONGEST = 60
BUSY = 0.05     # more than this share of one CPU, with no client to serve, is polling


@dataclass(frozen=True)
class Idle(KindParams):
    seconds: float = 2.0


class IdleKind(TestKind):
    key = "idle"
    name = "idle"
    schema = {"type": "number", "exclusiveMinimum": 0, "maximum": LONGEST,
              "description": "seconds the server, with no client, must wait without using the CPU"}
    params = Idle

    def build(self, value, raw, path, ctx):
        return Idle(float(value))

    def check(self, test, spec, path, ctx, known):
        if test.network:
            raise ctx.error("a network profile needs a relay: use it in a conversation or in a client "
                            "run against the reference server", path + ("network",))

    def budget(self, test):
        return test.startup_timeout + test.params.seconds

    def could_catch(self, test, plays, role):
        return False        # the saboteurs wait for messages in recv(), as a server should

    def summary(self, test):
        return f"the server waits {test.params.seconds:g} s for a client without using the CPU"

    def run(self, job, outcome):
        from grader.job.errors import TestFailed
        from grader.job.servers import start_server
        from grader.results import Cause, Why
        seconds = job.test.params.seconds
        server = start_server(job, job.test.server_role, job.test.server)
        outcome.bound = str(server.socket)
        before = _cpu_seconds(server.program.pid)
        time.sleep(seconds)
        after = _cpu_seconds(server.program.pid)
        if not server.program.running():
            gone, why = server.gone(job)
            raise TestFailed(f"while waiting {seconds:g} s for a client, {gone}",
                             why or Why(Cause.EXITED, role=job.test.server_role))
        used = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
        if used > BUSY * seconds:
            raise TestFailed(f"your server used {used:.1f} s of CPU time in {seconds:g} s without any client: "
                             "it should wait in a call that blocks (accept, recv, recvfrom, select), "
                             "not ask again and again in a loop", Why(Cause.BUSY_WAITING, role=job.test.server_role))


def _cpu_seconds(root: int) -> dict[int, float]:
    """The CPU time of ``root`` and its descendants so far, by process (threads included)."""
    from grader.runner.process import descendants
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:         # gone meanwhile
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks      # utime and stime
    return found
