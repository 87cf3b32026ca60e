"""The outputs a run can write, by the name of the option that asks for one (``--json FILE``) and of
its key in the course file's ``[outputs]``. It imports nothing, so that the course file's reader,
below the reporters, can read the list too."""
from __future__ import annotations

from enum import StrEnum


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    JUNIT = "junit"
    REPORT = "report"          # the HTML class report
    FEEDBACK = "feedback"      # a folder: a Markdown file per student
    MOODLE = "moodle"
    CANVAS = "canvas"
    SIMILAR = "similar"        # what `grade similar --json` writes and `grade` names the students alike from


# The outputs of one file whose FILE may be -, standard output (the tables then go to stderr).
MAY_BE_STDOUT = (OutputFormat.JSON, OutputFormat.CSV, OutputFormat.JUNIT, OutputFormat.REPORT)
