"""What ``grade check SPEC`` finds out about a spec: do its reference programs score full marks, and
does every test fail each built-in saboteur (``grader/saboteurs/``) that could be caught by it?

The command (``grader.commands.check``) prints the report with ``grader.reporting.check_report``.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader import scratch
from grader.grading.engine import Engine
from grader.kinds import kind_of
from grader.results import AssignmentResult
from grader.saboteurs import REFERENCE_COPY, SABOTEURS, Saboteur, write_config
from grader.spec.model import Spec
from grader.specfile.advice import Advice, advice
from grader.runner.isolation import Request

READY, REFERENCE_FAILED, SPEC_ERROR = 0, 1, 2          # grade check's exit statuses


@dataclass
class SaboteurRun:
    saboteur: Saboteur
    role: str                       # the role it replaced
    result: AssignmentResult        # only the tests that could catch it

    @property
    def label(self) -> str:
        """"silent server", or "mute menu" for a saboteur playing the role named menu."""
        return f"{self.saboteur.short} {self.role}"


@dataclass
class CheckReport:
    spec: Spec
    reference: AssignmentResult
    runs: list[SaboteurRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)      # e.g. why saboteurs were not run
    advice: list[Advice] = field(default_factory=list)   # what the spec itself may get wrong

    @property
    def reference_failures(self) -> list:
        return [t for t in self.reference.tests if not t.passed]

    def caught_by(self, test_name: str) -> dict[str, bool]:
        """Saboteur label -> whether the test failed it (only saboteurs the test could catch)."""
        found = {}
        for run in self.runs:
            for t in run.result.tests:
                if t.name == test_name:
                    found[run.label] = not t.passed
        return found

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """(test name, what is wrong) for every piece of advice on the spec, every test a saboteur passes
        and every test no student program runs in."""
        return [(a.test, f"{a.source}:{a.line}: {a.message}") for a in self.advice] + self.test_warnings

    @property
    def test_warnings(self) -> list[tuple[str, str]]:
        """(test name, what is wrong) for every test a saboteur passes or no student program runs in."""
        found = []
        for test in self.spec.tests:
            if not test.roles_used:
                found.append((test.name, "it runs only reference programs, so every student passes it"))
                continue
            passed = [label for label, caught in self.caught_by(test.name).items() if not caught]
            if passed:
                found.append((test.name, "passed by the " + ", the ".join(passed)
                              + ": it cannot tell " + ("it" if len(passed) == 1 else "them")
                              + " from a correct program"))
        return found

    @property
    def status(self) -> int:
        return REFERENCE_FAILED if self.reference_failures else READY


# -- building the submissions ------------------------------------------------
def reference_submission(spec: Spec, folder: Path) -> Path:
    """Each role's reference program copied under the first file name of its form."""
    folder.mkdir(parents=True, exist_ok=True)
    for role in spec.roles.values():
        if role.reference:
            shutil.copy(role.reference, folder / role.reference_of().files[0])
    return folder


def saboteur_submission(spec: Spec, saboteur: Saboteur, role: str, folder: Path) -> Path:
    """The reference submission with ``role`` played by ``saboteur``."""
    reference_submission(spec, folder)
    shutil.copy(saboteur.path, folder / spec.roles[role].reference_of().files[0])     # in the reference's place
    if saboteur.forgets:
        shutil.copy(spec.roles[role].reference, folder / REFERENCE_COPY)
    write_config(folder, spec, saboteur)
    return folder


def saboteur_spec(spec: Spec, role: str, tests: tuple) -> Spec:
    """The spec a saboteur playing ``role`` is graded with: only ``tests``, and the students' side of
    ``role`` a Python program, as saboteurs are, even where students hand in C or Java (its reference
    is still built and run with the role's commands)."""
    roles = {**spec.roles, role: replace(spec.roles[role], python_students=True)}
    return replace(spec, tests=tests, roles=roles)


def could_catch(test, saboteur: Saboteur, role: str) -> bool:
    """Whether ``test`` should fail when ``saboteur`` plays ``role``: its kind says (``TestKind.could_catch``).

    Startup tests pass any server that binds the port, saboteurs included, so
    they are not asked to catch a server saboteur; every other test that runs
    the student's server is, even one that only expects silence or a closed
    connection (a server that never answers, or crashes, gives both). A
    client saboteur should fail every test that runs the student's client.
    """
    kind = kind_of(test)
    if saboteur.forgets and not kind.needs_whole_state(test):
        return False
    return kind.could_catch(test, saboteur.plays, role)


def _roles_played(spec: Spec, saboteur: Saboteur) -> list[str]:
    roles = [role for t in spec.tests for role in t.roles_used if could_catch(t, saboteur, role)]
    return [r for r in dict.fromkeys(roles) if r in spec.roles and _can_play(spec.roles[r], saboteur)]


def _can_play(role, saboteur: Saboteur) -> bool:
    """A forgetful saboteur runs the role's reference itself: a Python one, run as it is."""
    return not saboteur.forgets or (role.reference is not None and role.reference.suffix == ".py"
                                    and not role.reference_of().run)


# -- the check ---------------------------------------------------------------
def check(spec: Spec, *, jobs: int | None = None, isolation: str | None = Request.BEST,
          saboteurs: bool = True) -> CheckReport:
    """Grade the reference programs and, if they score full marks, every saboteur."""
    workdir = Path(scratch.make("check"))
    try:
        with Engine(jobs=jobs, isolation=isolation) as engine:
            reference = engine.grade(reference_submission(spec, workdir / "reference"), spec, "reference")
            report = CheckReport(spec, reference, advice=advice(spec))
            for role in spec.roles.values():
                if role.reference is None:
                    report.notes.append(f"role {role.name!r} has no reference program, so its tests cannot "
                                        f"pass here: add `reference:` under roles.{role.name}")
                others = [f.language for f in role.forms if f.name != role.reference_form]
                if role.reference and others:
                    report.notes.append(f"role {role.name!r}: your reference is of its "
                                        f"{role.reference_of().language} form; the commands of its "
                                        f"{' and '.join(others)} form{'s' if len(others) > 1 else ''} are "
                                        "tried only on a student's file of that form")
            if not saboteurs:
                report.notes.append("saboteurs not run (--no-saboteurs)")
                return report
            if report.reference_failures:
                report.notes.append("saboteurs not run: fix the reference programs (or the tests) first")
                return report
            items, plans = [], []
            for saboteur in SABOTEURS:
                for role in _roles_played(spec, saboteur):
                    tests = tuple(t for t in spec.tests if could_catch(t, saboteur, role))
                    if not tests:
                        continue
                    folder = saboteur_submission(spec, saboteur, role,
                                                 workdir / f"{saboteur.program[:-3]}-{role}")
                    items.append((folder, saboteur_spec(spec, role, tests), saboteur.name))
                    plans.append((saboteur, role))
            for (saboteur, role), result in zip(plans, engine.grade_all(items)):
                report.runs.append(SaboteurRun(saboteur, role, result))
            return report
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
