"""Run a client program against a server and check the wire and its output."""
from __future__ import annotations

from grader import match
from grader.net.relay import Relay
from grader.net.transcript import decode, escape
from grader.runner.context import Job, Outcome, TestFailed, crash_summary, free_port
from grader.runner.conversation import play
from grader.runner.pty_program import PtyProgram
from grader.runner.servers import start_server
from grader.spec.variables import resolve, substitute


def run_client(job: Job, outcome: Outcome) -> None:
    run = job.test.client
    relay = None
    try:
        if run.server == "reference":
            # The reference listens elsewhere; the relay takes its place on the
            # address the client hard-codes, and records what the client sends.
            server = start_server(job, job.test.server_role, "reference", port=free_port())
            relay = Relay(job.transport, (job.host, job.port), server.address, job.transcript)
        else:
            server = start_server(job, job.test.server_role, "student")
        if run.before:
            play(job, run.before, server, outcome, label="setup step")
        program = _start_client(job, run)
        code = None
        try:
            if run.interact:
                _interact(job, run, program)
            code = program.wait(run.timeout)
            outcome.client_output = job.plain(_printed(program))
            if relay:
                relay.close()
                _check_sent(job, run, relay.from_client)
            _check_output(job, run, program.output_lines())
        except TestFailed as failure:
            outcome.client_output = job.plain(_printed(program))
            crashed = _crash(job, program, code if code is not None else program.returncode)
            raise TestFailed(str(failure) + (f"; {crashed}" if crashed else "")) from None
        if code is None and run.exits:
            raise TestFailed(f"your client did not exit by itself within {run.timeout:g} s"
                             if run.program == "student" else
                             f"the reference client did not finish within {run.timeout:g} s")
        if code not in (0, None) and run.exits:
            raise TestFailed(_crash(job, program, code))
    finally:
        if relay:
            relay.close()


def _start_client(job: Job, run):
    info = job.programs[run.role]
    path = info[run.program]
    if path is None:
        raise TestFailed(f"{info.get('names', run.role)} was not handed in")
    args = [substitute(a, job.variables) for a in run.argv]
    shown = " ".join(args)
    if run.program == "reference":
        args = ["--port", str(job.port), *args]
    else:
        args = list(info.get("args", [])) + args
    stdin = substitute(run.stdin, job.variables).encode("utf-8") if run.stdin is not None else None
    job.transcript.add("client program", "note",
                       "started " + ("your client" if run.program == "student" else "the reference client")
                       + (" on a terminal" if run.interact else "") + (" with " + shown if shown else ""))
    if run.interact:
        program = PtyProgram([job.python, "-u", path, *args], cwd=job.workdir, env=job.env())
        job.programs_started.append(program)
        return program
    return job.start(path, args, stdin=stdin)


def _interact(job: Job, run, program: PtyProgram) -> None:
    """Play the person at the terminal: wait for each prompt, type each answer."""
    for index, step in enumerate(run.interact):
        where = f"interaction {index + 1}"
        if step.action == "type":
            text = substitute(step.text, job.variables)
            job.transcript.add("terminal", "sent", text + "\n")
            program.type(text)
        elif step.action == "eof":
            job.transcript.add("terminal", "note", "end of input (Ctrl-D)")
            program.end_input()
        else:
            expectation = resolve(step.expect, job.variables)
            captured = program.wait_for(expectation, step.timeout)
            if captured is None:
                shown = " | ".join(l.strip() for l in program.unread().splitlines()[-6:] if l.strip())
                when = ("before it ended" if not program.running()
                        else f"within {step.timeout:g} s")
                raise TestFailed(f"{where}: expected the client to print {match.describe(expectation)} "
                                 f"{when}; it printed: {shown or 'nothing'}")
            job.variables.update(captured)


def _crash(job: Job, program, code) -> str:
    if code in (0, None):
        return ""
    # On a terminal the traceback is mixed into the output.
    errors = program.text() if isinstance(program, PtyProgram) else program.stderr.text()
    summary = crash_summary(job.plain(errors))
    return f"the client exited with code {code}" + (f": {summary}" if summary else "")


def _printed(program) -> str:
    if isinstance(program, PtyProgram):
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


def _check_sent(job: Job, run, sent: list[bytes]) -> None:
    if job.framing == "newline" and job.transport == "tcp":
        texts = decode(b"".join(sent)).splitlines()     # a message is a line, however it was chunked
    else:
        texts = [decode(m).rstrip("\r\n") if job.framing == "newline" else decode(m) for m in sent]
    expectations = [resolve(e, job.variables) for e in run.sent]
    _, missing = _in_order(expectations, texts)
    if missing >= 0:
        shown = ", ".join(repr(escape(m)) for m in sent[:6]) or "nothing"
        raise TestFailed(f"the server should have received {match.describe(expectations[missing])}; "
                         f"your client sent {shown}")


def _check_output(job: Job, run, lines: list[str]) -> None:
    expectations = [resolve(e, job.variables) for e in run.output]
    _, missing = _in_order(expectations, [l.strip() for l in lines])
    if missing >= 0:
        shown = " | ".join(l.strip() for l in lines[-6:]) or "nothing"
        raise TestFailed(f"expected the client to print {match.describe(expectations[missing])}; "
                         f"it printed: {shown}")
