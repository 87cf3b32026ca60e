"""A test's first process in its namespaces, when the engine has a fork server (``forkserver.py``).

Run as ``python -S trampoline.py`` by ``unshare``: it hands its stdin, stdout
and stderr to the fork server, which starts the worker in these namespaces, and
exits with the worker's status. Without a fork server it becomes the worker.
Kept to the standard library's socket module: it is started once per test.
"""
import os
import socket
import sys

FAILED = 70
STARTED = b"S"       # as forkserver.STARTED


def main() -> int:
    try:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.connect(os.environ["SOCKGRADE_FORKSERVER"])
        socket.send_fds(server, [b"run"], [0, 1, 2])
        started = server.recv(1) == STARTED
    except (OSError, KeyError):
        started = False
    if not started:       # no worker was forked, and none has read the job: be the worker
        os.execv(sys.executable, [sys.executable, "-S", "-m", "grader.runner.worker"])
    status = server.recv(1)
    if not status:
        print("the fork server stopped before the test's worker ended", file=sys.stderr)
        return FAILED
    return status[0]


if __name__ == "__main__":
    sys.exit(main())
