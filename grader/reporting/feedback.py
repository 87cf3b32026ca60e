"""``--feedback DIR``: one Markdown file per student, written for the student.

Each assignment: a table of its tests and points, then for every failed test
what it checks, what was expected and what happened, the hint, the
conversation, what the programs printed, and the command that runs that one
check again. Hidden tests show their name and points, nothing else. Graded
below full isolation, a line under the title says so. What a student controls
is ``shown`` (``grader.shown``): no name or output can start a line of its own.
"""
from __future__ import annotations

import re
from pathlib import Path

from grader.results import render
from grader.reporting import causes, isolation_note
from grader.reporting.gradebook import grading_failed, not_handed_in, percent, points
from grader.reporting.pictures.album import Album
from grader.shown import shown

_SPECIAL = re.compile(r"([\\`*<>\[\]|]|(?<!\w)_|_(?!\w))")     # contact_server.py keeps its _


def md(text: str) -> str:
    """Text shown as itself in Markdown (``<data>`` must not become an HTML tag), on one line: a line
    break (a spec's folded description) becomes a space."""
    return _SPECIAL.sub(r"\\\1", shown(text, lines=True).replace("\n", " "))


def _fence(text: str, least: int) -> str:
    return "`" * max(least, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))


def block(text: str, info: str = "text") -> str:
    text = shown(text, lines=True)
    fence = _fence(text, 3)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def code(text: str) -> str:
    """Inline code showing ``text`` as itself, whatever backticks it holds."""
    text = shown(text)
    fence = _fence(text, 1)
    pad = " " if text[:1] == "`" or text[-1:] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def file_name(student: str) -> str:
    """A file name for any student name (张三 stays 张三); path separators, control characters (as their
    visible form) and the like go."""
    name = re.sub(r'[/\\:*?"<>|]', "_", shown(student)).strip(" .") or "student"
    return name[:120]


def student_markdown(student: str, results, row, book, album: Album | None = None) -> str:
    """``album``: where the pictures of failed tests go, linked from them (none without one)."""
    lines = [f"# Feedback for {md(shown(student))}", ""]
    warning = isolation_note.warning(results)
    if warning:
        lines += [f"**Note:** {md(warning)}", ""]
    if len(book.assignments) > 1:
        names = ", ".join(a.id for a in book.assignments)
        lines += [f"Total: **{points(row.total)} / {points(book.maximum)}**, {percent(row.percent)}% ({names}; "
                  f"{book.basis})" + (f"; bonus {points(row.bonus)}" if row.bonus else ""), ""]
    for assignment, taken in row.penalties.items():
        lines += [f"- **{md(assignment)}**: {md(why)}" for why in taken] + [""]
    for result in results:
        lines += _assignment(result, album)
    return "\n".join(lines).rstrip() + "\n"


def _assignment(result, album: Album | None = None) -> list[str]:
    if not result.assignment:
        return ["## Nothing could be graded", "", md(result.error), ""]
    head = f"## {md(result.assignment)}: {md(result.title)}"
    if result.ungraded:
        return [head, "", "This assignment could not be graded, so this is not a mark; your teacher "
                "has been told why:", "", block(result.error), ""]
    bonus = f" (+{points(result.bonus_score)} bonus)" if result.bonus_score else ""
    lines = [head, "", f"Score: **{points(result.score - result.bonus_score)} / {points(result.max_score)}**"
             f"{bonus}", "", "| | test | points |", "| --- | --- | --- |"]
    for test in result.tests:
        mark = "🔒 hidden" if test.hidden else ("✅ pass" if test.passed else "❌ fail")
        kind = " bonus" if test.bonus else ""
        lines.append(f"| {mark} | {md(test.name)} | {points(test.points)} / {points(test.max_points)}{kind} |")
    lines.append("")
    if result.forms:
        lines += [f"**Handed in:** {md(result.form_words)}.", ""]
    if result.left_out:
        lines += ["**Left out of what was graded:**", ""] + [f"- {md(why)}" for why in result.left_out] + [""]
    missing = sorted({t.missing for t in result.tests if not_handed_in(t)})
    if missing:
        lines += [f"**Not handed in:** {md('; '.join(missing))}. The tests that need it score 0.", ""]
    follows = causes.followers(result)
    for test in result.tests:
        if test.name in follows and not not_handed_in(test):       # one cause, one explanation
            pointer = causes.pointer(follows[test.name])
            lines += [f"### ❌ {md(test.name)} ({points(test.points)} / {points(test.max_points)})", "",
                      md(pointer[0].upper() + pointer[1:]) + ".", ""]
        elif not test.passed and not test.hidden and not not_handed_in(test):
            pictured = album.links(result.assignment, result.tests.index(test) + 1, test) \
                if album is not None and not grading_failed(test) else []
            lines += _failed_test(result, test, pictured)
    return lines


def _failed_test(result, test, pictured: list[str] = ()) -> list[str]:
    """``pictured``: the Markdown lines of its pictures, shown before the conversation."""
    lines = [f"### ❌ {md(test.name)} ({points(test.points)} / {points(test.max_points)})", ""]
    if test.description:
        lines += [f"**What it checks:** {md(test.description)}", ""]
    if grading_failed(test):
        lines += ["**The grader could not run this test**, so it says nothing about your work; "
                  "your teacher has been told:", "", block(test.reason), ""]
        return lines
    lines += [f"**Expected and what happened:** {md(test.reason)}", ""]
    for note in test.notes:
        lines += [f"- {md(note)}"]
    if test.notes:
        lines.append("")
    if test.hint:
        lines += [f"**Hint:** {md(test.hint)}", ""]
    lines += pictured
    if test.transcript:
        lines += ["**The conversation** (`->` what was sent to your program, `<-` what came back):", "",
                  block(render(test.transcript)), ""]
    if test.server_output.strip():
        lines += ["**The server printed:**", "", block(test.server_output), ""]
    if test.client_output.strip():
        lines += ["**The client printed:**", "", block(test.client_output), ""]
    lines += ["**Run this check yourself**, from the folder with your files:", "",
              block(f"grade . --spec {result.assignment} --test {shell_quote(test.name)}", "sh"), ""]
    programs = [code(f"python3 {name}") for name in result.files.values()]
    if programs:
        lines += ["Or by hand: run your program (" + ", ".join(programs) + ") and do what the "
                  "conversation above shows.", ""]
    return lines


def write(results, book, folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = {row.student: row for row in book.rows}
    by_student: dict[str, list] = {}
    for r in sorted(results, key=lambda r: (r.student, r.assignment)):
        by_student.setdefault(r.student, []).append(r)
    written, used = [], set()
    for student, theirs in by_student.items():
        name = file_name(student)
        while name.lower() in used:       # two names that clean up alike stay apart
            name += "_"
        used.add(name.lower())
        path = folder / f"{name}.md"
        album = Album(f"{name}-pictures")
        path.write_text(student_markdown(student, theirs, rows[student], book, album), encoding="utf-8")
        written.append(path)
        written += album.write(folder)
    return written
