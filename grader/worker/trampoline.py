"""A test's first process in its namespaces, when the engine has a fork server (``forkserver.py``).

Run as ``python -S trampoline.py`` by ``unshare``: it hands its stdin, stdout
and stderr to the fork server, which starts the worker in these namespaces, and
exits with the worker's status. Without a fork server it becomes the worker.
It is started once per test, so it uses ``_socket`` (the module ``socket``
costs more to import than the rest of this process).
"""
import _socket
import array
import os
import sys

FAILED = 70
STARTED = b"S"       # as forkserver.STARTED


def main() -> int:
    try:
        server = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        server.connect(os.environ["SOCKGRADE_FORKSERVER"])
        server.sendmsg([b"run"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))])
        started = server.recv(1) == STARTED
    except (OSError, KeyError):
        started = False
    if not started:       # no worker was forked, and none has read the job: be the worker
        os.execv(sys.executable, [sys.executable, "-S", "-m", "grader.worker.worker"])
    status = server.recv(1)
    if not status:
        print("the test's worker ended without saying how (it was killed)", file=sys.stderr)
        return FAILED
    return status[0]


if __name__ == "__main__":
    sys.exit(main())
