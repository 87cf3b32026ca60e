"""How the engine and a test's worker talk: how the worker is started and with what environment, and
how its outcome comes back signed with a key made for that test, which no student program sees.

The engine's half (``launch``, ``worker_env``, ``new_key``, ``verified_outcome``) and the worker's
(``signed``) are here together, so that the two cannot drift apart.
"""
from __future__ import annotations

import hmac
import json
import os
import secrets
import sys
from pathlib import Path

from grader.job.context import Outcome

# site's .pth files are not worth running for every test: the worker finds the grader on
# PYTHONPATH and other packages on SOCKGRADE_SITE_PATH (see worker_env).
WORKER_FLAGS = ("-S",)
WORKER_MODULE = "grader.worker.worker"
FORK_SERVER_VAR = "SOCKGRADE_FORKSERVER"     # where a trampoline finds the fork server's socket
# The only variables of the grader's environment a worker gets: the rest (a CI token, say) stays out of
# reach of every process of a test.
WORKER_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPYCACHEPREFIX", "PYTHONHASHSEED")


def worker_env(bytecode: Path | None = None) -> dict:
    """``bytecode``: where workers keep the grader's compiled modules when the source tree may not."""
    env = {k: v for k, v in os.environ.items() if k in WORKER_ENV}
    root = str(Path(__file__).resolve().parents[2])      # the folder holding grader/
    paths_ = [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths_)
    env["SOCKGRADE_SITE_PATH"] = os.pathsep.join(p for p in sys.path if p)    # the engine's, with site's
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and bytecode is not None:
        # Every worker would compile the grader again; keep its byte code out of the source tree instead.
        env.setdefault("PYTHONPYCACHEPREFIX", str(bytecode))
    return env


def launch(python: str, wrapper: list[str], fork_server=None, bytecode: Path | None = None) -> tuple[list[str], dict]:
    """The worker's argv and environment: forked by ``fork_server`` (``forkserver.ForkServer``) when
    there is one, else started afresh; inside ``wrapper``, the test's namespaces."""
    env = worker_env(bytecode)
    if fork_server is not None:
        env[FORK_SERVER_VAR] = fork_server.path
        return wrapper + fork_server.worker_argv(python), env
    return wrapper + [python, *WORKER_FLAGS, "-m", WORKER_MODULE], env


def new_key() -> str:
    return secrets.token_hex(32)


def signed(body: bytes, key: bytes) -> bytes:
    """What the worker writes on its stdout: the outcome, then its signature."""
    return body + b"\n" + hmac.new(key, body, "sha256").hexdigest().encode() + b"\n"


def verified_outcome(code: int, output: bytes, key: str, stderr: str) -> Outcome:
    """The worker's outcome, if the worker exited by itself and signed it with this test's key.

    A student program can neither see the key nor sign anything with it, so
    whatever it writes into the worker's output, or a worker it kills, gives
    "grading failed" (never kept in the cache), never a grade.
    """
    if code != 0:
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return Outcome.grading_failed(f"the test's worker ended abnormally ({how}); the test is not graded: "
                                      + (stderr.strip()[-1500:] or "it said nothing"))
    body, _, signature = output.rstrip(b"\n").rpartition(b"\n")
    expected = hmac.new(key.encode(), body, "sha256").hexdigest().encode()
    if not body or not hmac.compare_digest(signature, expected):
        return Outcome.grading_failed("the test's outcome did not come from its worker (its signature does not "
                                      "match); the test is not graded")
    try:
        return Outcome.from_dict(json.loads(body))
    except (ValueError, TypeError, KeyError, AttributeError):
        return Outcome.grading_failed("the test's worker wrote something that is not an outcome")


