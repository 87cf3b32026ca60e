"""Run a client program against a server and check the wire and its output.

Against the reference server, the reference runs in a network namespace of its
own (``oracle.py``) and the recording relay takes its place on the address the
client hard-codes, in the test's namespace: all the client can reach of the
reference is the relay, which records every byte it sends. The setup steps
(``before:``) talk to the reference from inside its namespace.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from grader.spec import match
from grader.net.capture import Capture
from grader.net.relay import make_relay
from grader.net.transcript import decode, escape
from grader.job.context import Job, Outcome, crash_summary
from grader.job.errors import NotHandedIn, TestFailed
from grader.results import Cause, Why
from grader.runner.isolation import Level
from grader.kinds.runners.conversation import play
from grader.runner.limits import stop_reason
from grader.kinds.runners.oracle import Oracle
from grader.runner.process import Program, RunningProgram
from grader.job.servers import start_server
from grader.spec.modes import Framing, Player, Transport
from grader.spec.variables import resolve, substitute
from grader.steps import Playing, action_of

if TYPE_CHECKING:
    from grader.runner.pty_program import PtyProgram

RELAY_DRAIN = 2.0    # seconds at most for an exited client's connections to reach the relay's end


def run_client(job: Job, outcome: Outcome) -> None:
    run = job.test.params
    relay = capture = oracle = reference = None
    try:
        peers = {}
        if run.server == Player.REFERENCE:
            # The reference listens in its own namespace; the relay takes its place on the
            # address the client hard-codes, and records what the client sends.
            oracle = Oracle(job)
            server = reference = oracle.start_reference(job.test.server_role)
            relay = make_relay(job.transport, (job.host, job.port), server.address, job.transcript,
                               profile=job.test.network, upstream_socket=oracle.socket)
            peers = {step.client: oracle.peer(step.client, server.address, job.transcript)
                     for step in run.before}
        else:
            server = start_server(job, job.test.server_role, Player.STUDENT)
            capture = _capture(job, server.socket.port)
        if run.before:
            play(job, run.before, server, outcome, label="setup step", peers=peers)
        program = _start_client(job, run, job.port if relay else server.socket.port)
        if run.interact:
            try:
                _interact(job, outcome, run, program)
            except TestFailed as failure:
                outcome.client_output = job.plain(_printed(program))
                code = program.returncode
                crashed, ended = _exit_problem(job, run, program, code) if code is not None else ("", None)
                raise TestFailed(str(failure) + (f"; {crashed}" if crashed else ""), ended or failure.cause) from None
        code = program.wait(run.timeout)
        outcome.client_output = job.plain(_printed(program))
        if relay:
            # What the client sent just before it exited may still be on its way to the relay:
            # read it to the end of each connection before judging what was sent.
            relay.close(drain=RELAY_DRAIN if code is not None else 0.0)
        if capture:
            outcome.wire = [(side, decode(data)) for side, data in capture.close()]
        sent = _sent_problem(job, run, relay.from_client) if relay else ""
        printed = _output_problem(job, run, program.output_lines())
        ended, stop = _exit_problem(job, run, program, code)
        problems = [p for p in (sent, printed, ended) if p]
        if problems:
            # How the client ended explains what it did not send or print.
            raise TestFailed("; ".join(problems), stop or Why(Cause.WRONG_REQUEST if sent else Cause.WRONG_OUTPUT,
                                                              role=run.role))
    finally:
        if relay:
            relay.close()
        if capture:
            capture.close()
        if reference:
            reference.program.close()
        if oracle:
            oracle.close()


def _capture(job: Job, port: int) -> Capture | None:
    """The wire between two programs that both hard-code the port; only in a namespace of our own."""
    if job.isolation == Level.NONE:
        return None
    try:
        return Capture(job.transport, port, job.transcript)
    except OSError:
        return None


def _start_client(job: Job, run, port: int) -> RunningProgram:
    info = job.programs[run.role]
    path = info[run.program]
    if path is None:
        raise NotHandedIn(info.get('names', run.role))
    args = [substitute(a, job.variables) for a in run.argv]
    shown = " ".join(args)
    if run.program == Player.REFERENCE:
        args = ["--port", str(port), *args]
    else:
        args = list(info.get("args", [])) + args
    stdin = substitute(run.stdin, job.variables).encode("utf-8") if run.stdin is not None else None
    job.transcript.add("client program", "note",
                       "started " + ("your client" if run.program == Player.STUDENT else "the reference client")
                       + (" on a terminal" if run.interact else "") + (" with " + shown if shown else ""))
    return job.start(path, args, stdin=stdin, terminal=bool(run.interact), role=run.role)


def _interact(job: Job, outcome: Outcome, run, program: PtyProgram) -> None:
    """Play the person at the terminal: wait for each prompt, type each answer."""
    for index, step in enumerate(run.interact):
        verdict = action_of(step).play(step, Playing(job, outcome, index, program=program))
        if verdict is not None and not verdict.ok:
            where = (f"`{step.action}` at {job.spec_file}:{step.line}" if step.line and job.spec_file
                     else f"interaction {index + 1}")
            raise TestFailed(f"{where}: {verdict.reason}", Why(Cause.WRONG_OUTPUT, role=run.role))


def _exit_problem(job: Job, run, program: RunningProgram, code) -> tuple[str, Why | None]:
    if code is None and run.exits:
        who = "your client" if run.program == Player.STUDENT else "the reference client"
        return (f"{who} was still running after {run.timeout:g} s and was stopped (it should exit by itself)",
                Why(Cause.DID_NOT_EXIT, role=run.role))
    if code in (0, None):
        return "", None
    if limit := stop_reason(program):
        return f"the client stopped: {limit.words}", limit.cause(run.role)
    # On a terminal the traceback is mixed into the output.
    errors = program.stderr.text() if isinstance(program, Program) else program.text()
    summary, python = crash_summary(job.plain(errors))
    return (f"the client exited with code {code}" + (f": {summary}" if summary else ""),
            Why(Cause.CRASHED, role=run.role, detail=summary) if python else Why(Cause.EXITED, role=run.role, code=code))


def _printed(program: RunningProgram) -> str:
    if not isinstance(program, Program):      # a PtyProgram: one stream, as on a terminal
        return program.text()
    return program.stdout.text() + _stderr_part(program)


def _stderr_part(program) -> str:
    err = program.stderr.text()
    return f"\n[stderr]\n{err}" if err.strip() else ""


def _in_order(expectations, items: list[str]) -> tuple[int, int]:
    """Match expectations to ``items`` as an ordered subsequence.

    Returns (number matched, index of the first unmatched expectation or -1).
    """
    position = 0
    for i, exp in enumerate(expectations):
        while position < len(items) and not match.text_matches(exp, items[position]):
            position += 1
        if position == len(items):
            return i, i
        position += 1
    return len(expectations), -1


def _sent_problem(job: Job, run, sent: list[bytes]) -> str:
    if job.framing == Framing.NEWLINE and job.transport == Transport.TCP:
        texts = decode(b"".join(sent)).splitlines()     # a message is a line, however it was chunked
    else:
        texts = [decode(m).rstrip("\r\n") if job.framing == Framing.NEWLINE else decode(m) for m in sent]
    expectations = [resolve(e, job.variables) for e in run.sent]
    _, missing = _in_order(expectations, texts)
    if missing < 0:
        return ""
    shown = ", ".join(repr(escape(m)) for m in sent[:6]) or "nothing"
    return (f"the server should have received {match.describe(expectations[missing])} "
            f"(message {missing + 1} of {len(run.sent)}); the client sent {shown}")


def _output_problem(job: Job, run, lines: list[str]) -> str:
    expectations = [resolve(e, job.variables) for e in run.output]
    _, missing = _in_order(expectations, [l.strip() for l in lines])
    if missing < 0:
        return ""
    shown = " | ".join(l.strip() for l in lines[-6:]) or "nothing"
    return f"expected the client to print {match.describe(expectations[missing])}; it printed: {shown}"
