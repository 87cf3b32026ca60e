"""``grade check SPEC``: is a spec ready to grade students with?

1. The spec is valid: every schema error is listed with file, line, key and a hint.
2. The reference programs, handed in as a student would (each copied under
   its role's first file name), score full marks.
3. Built-in saboteurs (``grader/saboteurs/``), handed in in place of one
   role, fail every test that could catch them; a test a saboteur passes is
   reported as a warning, since it cannot tell that saboteur from a correct
   program.

Exit status: 0 ready (warnings are printed but allowed; ``--strict`` makes
them fail), 1 the reference does not score full marks (or ``--strict`` and
warnings), 2 the spec has errors.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.spec import catalog
from grader.commands import print_error
from grader.commands.options import at_least_one
from grader.reporting import terminal
from grader.grading.engine import Engine
from grader.kinds import kind_of
from grader.results import AssignmentResult
from grader.saboteurs import SABOTEURS, Saboteur, write_config
from grader.spec import Spec
from grader.spec.loader import find_errors, load_spec

PROG = "grade check"
HELP = "check a spec you wrote: validate it, then grade its reference programs and built-in saboteurs with it"
READY, REFERENCE_FAILED, SPEC_ERROR = 0, 1, 2


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
    """Each role's reference program copied under the role's first file name."""
    folder.mkdir(parents=True, exist_ok=True)
    for role in spec.roles.values():
        if role.reference:
            shutil.copy(role.reference, folder / role.files[0])
    return folder


def saboteur_submission(spec: Spec, saboteur: Saboteur, role: str, folder: Path) -> Path:
    """The reference submission with ``role`` played by ``saboteur``."""
    reference_submission(spec, folder)
    shutil.copy(saboteur.path, folder / spec.roles[role].files[0])
    write_config(folder, spec)
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
    return kind_of(test).could_catch(test, saboteur.plays, role)


def _roles_played(spec: Spec, plays: str) -> list[str]:
    roles = [role for t in spec.tests for role in t.roles_used if kind_of(t).could_catch(t, plays, role)]
    return [r for r in dict.fromkeys(roles) if r in spec.roles]


# -- the check ---------------------------------------------------------------
def check(spec: Spec, *, jobs: int | None = None, isolation: str | None = "best",
          saboteurs: bool = True) -> CheckReport:
    """Grade the reference programs and, if they score full marks, every saboteur."""
    workdir = Path(tempfile.mkdtemp(prefix="sockgrade-check-"))
    try:
        with Engine(jobs=jobs, isolation=isolation) as engine:
            reference = engine.grade(reference_submission(spec, workdir / "reference"), spec, "reference")
            report = CheckReport(spec, reference)
            for role in spec.roles.values():
                if role.reference is None:
                    report.notes.append(f"role {role.name!r} has no reference program, so its tests cannot "
                                        f"pass here: add `reference:` under roles.{role.name}")
            if not saboteurs:
                report.notes.append("saboteurs not run (--no-saboteurs)")
                return report
            if report.reference_failures:
                report.notes.append("saboteurs not run: fix the reference programs (or the tests) first")
                return report
            items, plans = [], []
            for saboteur in SABOTEURS:
                for role in _roles_played(spec, saboteur.plays):
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


# -- the command -------------------------------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("specs", nargs="+", metavar="SPEC",
                        help="a spec file, or the id of a spec in --specs-dir (by default, of a shipped spec)")
    parser.add_argument("--specs-dir", metavar="DIR", help="where to find specs given by id (default: the shipped specs)")
    parser.add_argument("--no-saboteurs", action="store_true",
                        help="only validate and grade the reference programs")
    parser.add_argument("--strict", action="store_true",
                        help="warnings fail the check too (exit status 1)")
    parser.add_argument("-j", "--jobs", type=at_least_one,
                        help="tests run at the same time (default: as many as the machine has room for)")
    parser.add_argument("--isolation", choices=["none", "netns"],
                        help="force an isolation level (default: the best available: `grade check` runs "
                             "only your reference programs and the grader's saboteurs)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the conversation of every test the reference fails")


def run(args, console: Console) -> int:
    worst = READY
    for name in args.specs:
        spec = _load(name, args.specs_dir, console)
        if spec is None:
            worst = max(worst, SPEC_ERROR)
            continue
        report = check(spec, jobs=args.jobs, isolation=args.isolation or "best",
                       saboteurs=not args.no_saboteurs)
        render(report, console, verbose=args.verbose)
        status = report.status
        if status == READY and args.strict and report.warnings:
            status = REFERENCE_FAILED
        worst = max(worst, status)
    return worst


def _load(name: str, specs_dir: str | None, console: Console) -> Spec | None:
    """The spec, or None after printing every error in it."""
    path = Path(name)
    if not (path.suffix in (".yaml", ".yml") or path.is_file()):
        return catalog.resolve([name], specs_dir and Path(specs_dir))[0]
    errors = find_errors(path)
    if not errors:
        return load_spec(path)
    for error in errors:                    # on stderr, as grader.cli shows a single one
        print_error(PROG, str(error), kind="spec error")
    if len(errors) > 1:
        print(f"{PROG}: {path}: {len(errors)} spec errors", file=sys.stderr)
    return None


# -- the summary -------------------------------------------------------------
def render(report: CheckReport, console: Console, verbose: bool = False) -> None:
    spec = report.spec
    bonus = sum(t.points for t in spec.tests if t.bonus)
    roles = ", ".join(f"{r.name} ({r.files[0]})" for r in spec.roles.values())
    console.print(Text(f"{spec.id}: {spec.title}", style="bold") + Text(f"  {spec.source}", style="dim"),
                  highlight=False)
    console.print(Text("  ok ", style="green") + Text(
        f"the spec is valid: {len(spec.tests)} tests, {spec.max_score:g} points"
        + (f" (+{bonus:g} bonus)" if bonus else "") + f"; roles: {roles}"), highlight=False)
    failures = report.reference_failures
    if failures:
        console.print(Text("  FAIL ", style="bold red") + Text(
            f"the reference programs fail {len(failures)} of {len(spec.tests)} tests "
            "(they must pass every test):"), highlight=False)
        table = Table(show_header=True, expand=False)
        table.add_column("test", overflow="fold")
        table.add_column("why the reference failed", overflow="fold")
        for test in failures:
            table.add_row(test.name, test.reason)
        console.print(table)
        console.print("  Reference programs run as students get no arguments: they must default to "
                      f"{spec.host}:{spec.port}; run as references they get --port N and must use it.",
                      highlight=False)
        if verbose:
            for test in failures:
                terminal.rule(console, test.name)
                console.print(test.output_text(), markup=False, highlight=False)
    else:
        console.print(Text("  ok ", style="green") + Text(
            f"the reference programs score full marks: {report.reference.score - bonus:g} / "
            f"{report.reference.max_score:g}" + (f" (+{bonus:g} bonus)" if bonus else "")), highlight=False)
    for note in report.notes:
        console.print(Text("  -- ", style="dim") + Text(note), highlight=False)
    if report.runs:
        _saboteur_table(report, console)
    warnings = report.warnings
    for test_name, problem in warnings:
        console.print(Text("  warning ", style="bold yellow") + Text(f"{test_name!r}: {problem}"),
                      highlight=False)
    if failures:
        verdict = Text("NOT READY: the reference programs must score full marks", style="bold red")
    elif warnings:
        verdict = Text(f"READY, with {len(warnings)} warning{'s' if len(warnings) > 1 else ''}: "
                       "a test a saboteur passes accepts a wrong program", style="bold yellow")
    else:
        verdict = Text("READY: the reference passes every test and every saboteur is caught", style="bold green")
    console.print(verdict)
    console.print()


def _saboteur_table(report: CheckReport, console: Console) -> None:
    labels = [run.label for run in report.runs]
    table = Table(title="saboteurs handed in as students (each test should FAIL them)",
                  title_justify="left", expand=False)
    table.add_column("test", overflow="fold", min_width=20)
    for label in labels:
        table.add_column(label.replace(" ", "\n", 1), justify="center")
    for test in report.spec.tests:
        caught = report.caught_by(test.name)
        cells = []
        for label in labels:
            if label not in caught:
                cells.append(Text("-", style="dim"))
            else:
                cells.append(Text("caught", style="green") if caught[label] else Text("PASSED", style="bold red"))
        table.add_row(test.name, *cells)
    console.print(table)
    console.print(Text("  - : not run: startup tests (any server that binds passes them) and tests "
                       "that do not run this role", style="dim"), highlight=False)
    for saboteur in dict.fromkeys(run.saboteur for run in report.runs):
        console.print(Text(f"  {saboteur.name}: {saboteur.description}", style="dim"), highlight=False)
