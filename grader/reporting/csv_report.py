"""``--csv FILE``: the gradebook, one row per student, a column per assignment and a total.

UTF-8 with a byte-order mark and CRLF line ends, which is what makes Excel
open it with Chinese names intact. An assignment a student did not hand in is
an empty cell (one whose files were missing, 0); the percent is over the
course's assignments with a course file, else over the run's (see
grader/grading/marking.py); ``bonus`` is apart, ``failed tests`` counts the tests failed
(bonus tests aside); ``problems`` says what was not handed in, taken off (late,
misnamed) or could not be graded, and that the student was graded below full
isolation ("isolation netns (below sandbox)") when that is so. A name or a
problem holding a control character (a newline, ESC) has it written visibly
(``grader.shown``): one student is one line.
"""
from __future__ import annotations

import csv
from pathlib import Path

from grader.reporting import isolation_note
from grader.reporting.gradebook import percent, points
from grader.shown import shown


def _cell(text: str) -> str:
    # A folder named "=HYPERLINK(...)" must stay a name, not become a formula.
    text = shown(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write(results, book, path: Path) -> None:
    isolation = isolation_note.student_notes(results)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        forms = book.has_forms       # a column only where students chose a role's form
        out.writerow(["student", *(a.id for a in book.assignments), "total", "max", "percent", "bonus",
                      *(["form"] if forms else []), "failed tests", "problems"])
        for row in book.rows:
            scores = [points(row.scores[a.id]) if a.id in row.scores else "" for a in book.assignments]
            out.writerow([_cell(row.student), *scores, points(row.total), points(book.maximum),
                          percent(row.percent), points(row.bonus), *([_cell(row.form_words)] if forms else []),
                          row.failed,
                          _cell("; ".join(_problems(row, isolation)))])


def _problems(row, isolation: dict[str, str]) -> list[str]:
    # The isolation note is no grading problem (--fail-under ignores it), but it belongs in the row.
    return row.problems + ([isolation[row.student]] if row.student in isolation else [])
