"""The class report's pictures: each student's failed tests drawn (opened from their row in the table of
students), and, per test of several clients at once, how many students' servers served 1, 2, ... of
them at once (the figure each verdict used)."""
from __future__ import annotations

from collections import defaultdict
from html import escape

from grader.reporting.pictures import pictures, wanted
from grader.shown import shown

SERVED = "served_at_once"


def _e(value) -> str:
    return escape(shown(value), quote=True)


def anchor(student: str, students: list[str]) -> str:
    """The id of a student's pictures: by place, since a name may hold anything."""
    return f"pictures-{students.index(student) + 1}"


def drawn_students(results) -> list[str]:
    """The students with a failed test worth a picture, in the order of the report's rows."""
    return sorted({r.student for r in results if any(wanted(t) for t in r.tests)})


def link(student: str, students: list[str]) -> str:
    """What a student's row holds: a link that opens their pictures (nothing if they have none)."""
    if student not in students:
        return ""
    return (f' <a class="pictures-link" href="#{anchor(student, students)}" '
            f'data-opens="{anchor(student, students)}">failed tests in pictures</a>')


def section(results) -> str:
    """Every drawn student's failed tests, one closed ``<details>`` each, in their own order."""
    students = drawn_students(results)
    if not students:
        return ""
    html = ['<section class="pictures"><h2>Failed tests in pictures</h2>'
            '<p class="muted">A timeline has a lane per client: dashed while it waits for its first reply, '
            'solid once served. Several solid bars at one moment: clients served at once. A sequence '
            'diagram marks where the conversation first differed from what was expected.</p>']
    figure = 0
    for student in students:
        html.append(f'<details id="{anchor(student, students)}" class="student-pictures">'
                    f'<summary>{_e(student)}</summary>')
        for result in (r for r in results if r.student == student):
            for number, test in enumerate(result.tests, 1):
                for picture in pictures(test, prefix=f"f{figure}-"):
                    figure += 1
                    html.append(f'<figure class="picture" data-drawing="{picture.drawing.value}" '
                                f'data-test="{_e(test.name)}"><figcaption><b>{_e(result.assignment)}: '
                                f'{_e(test.name)}</b> — {_e(test.reason)}</figcaption>{picture.inline}</figure>')
        html.append("</details>")
    html.append(f"</section><script>{OPEN}</script>")
    return "\n".join(html)


def served_section(results) -> str:
    """Per test that measures it, how many students' servers served 1, 2, ... clients at once."""
    counts: dict[tuple[str, str], dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        for t in r.tests:
            if SERVED in t.metrics:
                counts[(r.assignment, t.name)][int(t.metrics[SERVED])].append(r.student)
    if not counts:
        return ""
    html = ['<section class="served"><h2>Clients served at once</h2><table class="served-at-once"><thead><tr>'
            '<th>assignment</th><th>test</th><th>students whose server served N clients at once</th>'
            '</tr></thead><tbody>']
    for (assignment, name), by_number in sorted(counts.items()):
        cells = " ".join(
            f'<span class="chip{" one" if number <= 1 else ""}" data-served="{number}" '
            f'title="{_e(", ".join(sorted(students)))}"><b>{number}</b> at once: {_who(students)}</span>'
            for number, students in sorted(by_number.items()))
        html.append(f'<tr><td>{_e(assignment)}</td><td>{_e(name)}</td><td>{cells}</td></tr>')
    html.append("</tbody></table></section>")
    return "\n".join(html)


def _who(students: list[str]) -> str:
    """A few students by name, at a glance; more, by number (their names in the tooltip)."""
    if len(students) <= NAMED:
        return _e(", ".join(sorted(students)))
    return f"{len(students)} students"


NAMED = 4

CSS = """
a.pictures-link{font-size:12px;margin-left:6px}
details.student-pictures{border-top:1px solid var(--line);padding:6px 0}
details.student-pictures summary{cursor:pointer;font-weight:600}
figure.picture{margin:12px 0 18px}figure.picture figcaption{font-size:13px;margin-bottom:4px}
figure.picture svg{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
.chip{display:inline-block;border:1px solid var(--line);border-radius:12px;padding:1px 9px;margin:2px;font-size:13px}
.chip.one{border:2px dashed var(--low)}
"""

# A link in a student's row opens their pictures (the rest of the page works without it).
OPEN = """
document.querySelectorAll('a.pictures-link').forEach(function (a) {
  a.addEventListener('click', function () { document.getElementById(a.dataset.opens).open = true; });
});
if (location.hash) { var d = document.getElementById(location.hash.slice(1)); if (d && d.tagName === 'DETAILS') { d.open = true; } }
"""
