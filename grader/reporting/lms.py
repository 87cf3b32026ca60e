"""Grades to upload to a learning platform, from the gradebook.

- **Moodle**: a grading worksheet (Assignment > View all submissions > Upload grading
  worksheet), one per assignment: ``Identifier`` is ``Participant N``, N the id in
  the folder names of Moodle's "Download all submissions"; ``Grade`` the points
  after penalties, ``Maximum Grade`` the assignment's points; ``Feedback comments``,
  what Moodle shows the student: each failed test with the points it lost and its reason
  on one line, then the problems (late, misnamed, not graded), within ``COMMENT_LIMIT``
  characters, pointing to the student's feedback file (``--feedback``) for the rest.
  Moodle matches rows by Identifier, so a student without one (not
  from a Moodle download) cannot be imported and is left out, said in ``skipped``.
- **Canvas**: a gradebook import (Grades > Import): ``Student``, ``ID`` (the user id
  from the download's file names), ``SIS User ID``, ``SIS Login ID``, ``Section``,
  then a column per assignment named ``Title (canvas_id)`` when the course file
  gives Canvas's assignment id (Canvas then updates that column), else ``Title``
  (a new column); a ``Points Possible`` row first. Rows without an ID are left out.
  Canvas's import carries no comment (its students read their feedback file), and
  Gradescope shows each test with its own reason (``gradescope.py``).

Names and feedback are ``shown`` (``grader.shown``): a control character in them is written
visibly, and one student stays one line.
"""
from __future__ import annotations

import csv
from pathlib import Path

from grader.reporting import fit
from grader.reporting.feedback import file_name
from grader.reporting.gradebook import Gradebook, Row, points
from grader.shown import shown

MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                 "Grade can be changed", "Last modified (submission)", "Online text", "Last modified (grade)",
                 "Feedback comments"]
# Moodle keeps a comment of any length, but a student reads it in a box beside the grade: past this
# many characters, the comment names the feedback file instead of the rest.
COMMENT_LIMIT = 1000
REASON_LIMIT = 160        # one failed test's reason, in characters, whole words (on one line: shown)


def comment(row: Row, assignment: str, feedback: bool = False, limit: int = COMMENT_LIMIT) -> str:
    """What failed in ``assignment`` and the problems, as one line of at most ``limit`` characters;
    ``feedback``: a feedback file is written for the student (``--feedback``), to point to."""
    said = []
    for lost in row.lost.get(assignment, []):
        head = f"{shown(lost.test)} (-{points(lost.points)})"
        reason = "" if lost.hidden else fit.shorten(shown(lost.reason), REASON_LIMIT)
        said.append(f"{head}: {reason}" if reason else head)
    if said:
        said[0] = f"failed: {said[0]}"
    said += [shown(p.split(": ", 1)[1]) for p in row.problems if p.startswith(assignment + ": ")]
    if assignment in row.absent:
        said.append("not handed in")
    rest = (f"the rest in your feedback file {file_name(row.student)}.md" if feedback
            else "ask your teacher for the rest")
    return _within(said, limit, rest)


def _within(parts: list[str], limit: int, rest: str) -> str:
    """As many of ``parts`` as fit ``limit`` characters, then how many were left out and where they are."""
    for n in range(len(parts), -1, -1):
        text = "; ".join(parts[:n])
        if n < len(parts):
            text += f"{' ' if text else ''}({len(parts) - n} more: {rest})"
        if len(text) <= limit:
            return text
    return text


def write_moodle(book: Gradebook, path: Path, feedback: bool = False) -> tuple[list[Path], list[str]]:
    """One worksheet per assignment (``path`` itself when there is one): the files and who was skipped;
    ``feedback``: each student has a feedback file the comments may point to."""
    path = Path(path)
    written, skipped = [], sorted(r.student for r in book.rows if not r.student_id)
    for assignment in book.assignments:
        target = path if len(book.assignments) == 1 else path.with_name(f"{path.stem}-{assignment.id}{path.suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(MOODLE_HEADER)
            for row in book.rows:
                if not row.student_id:
                    continue
                graded = assignment.id in row.scores and assignment.id not in row.absent
                out.writerow([shown(f"Participant {row.student_id}"), shown(row.student), "",
                              "Submitted for grading" if graded else "No submission",
                              points(row.scores.get(assignment.id, 0.0)), points(assignment.max_score), "Yes",
                              "", "", "", comment(row, assignment.id, feedback)])
        written.append(target)
    return written, skipped


def write_canvas(book: Gradebook, path: Path) -> list[str]:
    """The gradebook import; returns the students left out (no Canvas id)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    titles = [shown(f"{a.title} ({a.canvas_id})" if a.canvas_id else a.title) for a in book.assignments]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *titles])
        out.writerow(["Points Possible", "", "", "", "", *(points(a.max_score) for a in book.assignments)])
        for row in book.rows:
            if row.student_id:
                out.writerow([shown(row.student), shown(row.student_id), "", shown(row.student), "",
                              *(points(row.scores.get(a.id, 0.0)) for a in book.assignments)])
    return sorted(r.student for r in book.rows if not r.student_id)
