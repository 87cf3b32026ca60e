"""The progress bar of a class being graded: students done, failures so far, time left.

Shown only on a terminal outside CI; elsewhere grading is quiet until the results.
"""
from __future__ import annotations

import os

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def wanted(console) -> bool:
    return console.is_terminal and not os.environ.get("CI")


class Bar:
    """What ``grader.grading.batch.Progress`` is told, shown as a rich progress bar."""

    def __init__(self, console):
        self.progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("students · {task.fields[failing]} with failed tests · "
                                            "{task.fields[broken]} could not be graded"),
                                 TimeRemainingColumn(), console=console, transient=True)
        self.task = None
        self.failing = self.broken = 0

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    def start(self, students: int) -> None:
        self.task = self.progress.add_task("grading", total=students, failing=0, broken=0)

    def student_done(self, student, counted) -> None:
        """``counted`` (``grader.grading.standing``) decides, as it does for the class table."""
        if counted.incomplete:
            self.broken += 1
        elif counted.failed:
            self.failing += 1
        self.progress.update(self.task, advance=1, failing=self.failing, broken=self.broken)
