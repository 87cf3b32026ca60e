"""``startup: true``: the student's server starts and binds the assignment's address; nothing more."""
from __future__ import annotations

from grader.kinds.base import TestKind


class Startup(TestKind):
    key = "startup"
    name = "startup"
    schema = {"const": True}
    keeps_output = True

    def check(self, test, spec, path, ctx, known):
        if test.network:
            raise ctx.error("a network profile needs a relay: use it in a conversation or in a client "
                            "run against the reference server", path + ("network",))

    def could_catch(self, test, plays, role):
        return False        # any server that binds passes, saboteurs included

    def summary(self, test):
        return "the server binds its address"

    def run(self, job, outcome):
        from grader.job.errors import TestFailed
        from grader.job.servers import start_server
        server = start_server(job, job.test.server_role, job.test.server)
        outcome.bound = str(server.socket)
        if server.port_problem:
            raise TestFailed(server.port_problem, server.port_cause)
