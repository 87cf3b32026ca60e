"""``--report FILE.html``: the class at a glance, in one self-contained HTML file.

A score distribution chart (inline SVG, drawn here, so it shows even where
scripts are blocked), the tests the class struggled with first, the pass rate
of every test with its most common failure, every student's marks, the slowest
submissions and those that could not be graded; above them all, a banner when
any result was graded below full isolation. No CDN, no external file; a
small script adds sorting, chart tabs and filtering, then marks the page
``data-ready`` (the test suite checks that in a real browser).
"""
from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path
from statistics import mean, median
from urllib.parse import quote

from grader import __version__
from grader.reporting import causes, isolation_note, similarity_report
from grader.reporting.gradebook import grading_failed, not_handed_in, percent, points
from grader.reporting.pictures import report as pictured
from grader.shown import shown

BINS = 10
STRUGGLE = 0.5        # a test fewer than half the class passes
WATCH = 0.8
HARDEST = 8           # tests listed under "where the class struggled"


def _e(value) -> str:
    """Text in HTML: escaped, and what a student controls shown (``grader.shown``)."""
    return escape(shown(value), quote=True)


def _bin(p: float) -> int:
    """The bar of a percent as the tables show it (rounded once, by the gradebook): 29.6 is in 20–29.9."""
    return min(BINS - 1, max(0, int(p // (100 / BINS))))


def _bins(percents: list[float]) -> list[int]:
    counts = [0] * BINS
    for p in percents:
        counts[_bin(p)] += 1
    return counts


def histogram(name: str, entries: list[tuple[str, float]]) -> str:
    """An SVG bar chart of how many students fall in each tenth of the marks."""
    counts = _bins([p for _, p in entries])
    members: list[list[str]] = [[] for _ in range(BINS)]
    for student, p in entries:
        members[_bin(p)].append(student)
    width, height, left, bottom, top = 640, 240, 36, 34, 18
    slot = (width - left - 8) / BINS
    tallest = max(counts) or 1
    scale = (height - bottom - top) / (tallest * 1.12)      # room for the count above the tallest bar
    parts = [f'<svg class="histogram" role="img" viewBox="0 0 {width} {height}" '
             f'aria-label="{_e(name)}: number of students per tenth of the marks">']
    step = max(1, round(tallest / 4))
    for y in range(0, tallest + 1, step):
        py = height - bottom - y * scale
        parts.append(f'<line class="grid" x1="{left}" x2="{width - 8}" y1="{py:.1f}" y2="{py:.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{y}</text>')
    for i, count in enumerate(counts):
        low = i * 100 // BINS
        label = f"{low}–{low + 100 // BINS - 0.1:g}%" if i < BINS - 1 else f"{low}–100%"
        x = left + i * slot + 4
        h = count * scale
        tone = "low" if low < 50 else ("mid" if low < 80 else "high")
        names = ", ".join(members[i][:25]) + (" …" if len(members[i]) > 25 else "")
        if count:
            parts.append(f'<rect class="bar {tone}" data-low="{low}" data-high="{low + 100 // BINS}" '
                         f'x="{x:.1f}" y="{height - bottom - h:.1f}" width="{slot - 8:.1f}" height="{h:.1f}" rx="3">'
                         f'<title>{_e(label)}: {count} — {_e(names)}</title></rect>'
                         f'<text class="count" x="{x + (slot - 8) / 2:.1f}" y="{height - bottom - h - 4:.1f}" '
                         f'text-anchor="middle">{count}</text>')
        parts.append(f'<text class="axis" x="{x + (slot - 8) / 2:.1f}" y="{height - bottom + 16}" '
                     f'text-anchor="middle">{_e(label)}</text>')
    parts.append(f'<line class="base" x1="{left}" x2="{width - 8}" y1="{height - bottom}" y2="{height - bottom}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _test_stats(results):
    """assignment -> {test name: its counts and most common failures}, in spec order."""
    stats: dict[str, dict[str, dict]] = {}
    for r in results:
        if not r.assignment or r.ungraded:
            continue
        tests = stats.setdefault(r.assignment, {})
        follows = causes.followers(r)
        reasons = {t.name: t.reason for t in r.tests}
        for t in r.tests:
            s = tests.setdefault(t.name, {"name": t.name, "points": t.max_points, "tags": t.tags, "bonus": t.bonus,
                                          "hidden": t.hidden, "passed": 0, "graded": 0, "missing": 0,
                                          "reasons": Counter()})
            if grading_failed(t):
                continue
            if not_handed_in(t):          # a pass rate among those who handed the file in
                s["missing"] += 1
                continue
            s["graded"] += 1
            if t.passed:
                s["passed"] += 1
            else:       # a test failed by an earlier test's cause counts under that test's reason
                s["reasons"][reasons.get(follows.get(t.name), t.reason)] += 1
    return stats


def _rate_class(rate: float) -> str:
    return "struggle" if rate < STRUGGLE else ("watch" if rate < WATCH else "fine")


def render(results, book, title: str = "Class report", similarity=()) -> str:
    """``similarity``: file names of `grade similar` reports beside this one, linked from the header."""
    stats = _test_stats(results)
    warning = isolation_note.warning(results)
    failed_rows = book.could_not_be_graded
    html = [_head(book, title, similarity, warning)]
    if warning:
        levels = ", ".join(isolation_note.levels_below(results))
        html.append(f'<section class="isolation-warning" role="alert" data-isolation="{_e(levels)}">'
                    f'<h2>Graded below full isolation: {_e(levels)}</h2><p>{_e(warning)}</p></section>')
    drawn = pictured.drawn_students(results)
    html += [_cards(book, failed_rows), *_distribution(book), *_struggles(stats), *_pass_rates(book, stats),
             pictured.served_section(results), *_students(book, drawn), pictured.section(results),
             *_slowest_and_failed(results, failed_rows)]
    html.append(f"<script>{SCRIPT}</script></body></html>\n")
    return "\n".join(html)


def _head(book, title: str, similarity, warning: str) -> str:
    rows, assignments = book.rows, book.assignments
    return f"""<!DOCTYPE html>
<html lang="en" data-ready="no">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{CSS}{pictured.CSS}{ISOLATION_CSS if warning else ""}</style>
</head>
<body>
<header><h1>{_e(title)}</h1>
<p class="sub">{len(rows)} student{'s' if len(rows) != 1 else ''} · {len(assignments)} assignment{'s' if len(assignments) != 1 else ''}
 ({_e(', '.join(a.id for a in assignments) or 'none')}) · {_e(book.basis)} · graded by sockgrade {_e(__version__)}</p>{_similarity_links(similarity)}</header>
<main>"""


def _cards(book, failed_rows) -> str:
    percents = [row.percent for row in book.rows]
    cards = [("students", str(len(book.rows))),
             ("median", f"{percent(median(percents))}%" if percents else "–"),
             ("mean", f"{percent(mean(percents))}%" if percents else "–"),
             ("full marks", str(sum(1 for p in percents if p >= 100))),
             ("missed an assignment", str(len(book.missing_work))),
             ("could not be graded", str(len(failed_rows)))]
    return '<section class="cards">' + "".join(
        f'<div class="card{" alert" if label == "could not be graded" and value != "0" else ""}">'
        f'<div class="value">{_e(value)}</div><div class="label">{_e(label)}</div></div>'
        for label, value in cards) + "</section>"


def _distribution(book) -> list[str]:
    html = ['<section><h2>Score distribution</h2><div class="tabs" role="tablist">']
    views = [("total", f"total (out of {points(book.maximum)})",
              [(row.student, row.percent) for row in book.rows])]
    for a in book.assignments:
        entries = [(row.student, row.percents.get(a.id, 0.0)) for row in book.rows if a.id in row.scores]
        views.append((a.id, f"{a.id} (out of {points(a.max_score)})", entries))
    for i, (key, label, _) in enumerate(views):
        html.append(f'<button type="button" role="tab" data-view="{_e(key)}" '
                    f'aria-selected="{"true" if i == 0 else "false"}">{_e(label)}</button>')
    html.append("</div>")
    for key, label, entries in views:
        html.append(f'<figure class="chart" data-view="{_e(key)}">{histogram(label, entries)}'
                    f'<figcaption>{_e(label)}: students per tenth of the marks; click a bar to list them.'
                    f'</figcaption></figure>')
    html.append("</section>")
    return html


def _struggles(stats) -> list[str]:
    flat = [(a, s) for a, tests in stats.items() for s in tests.values() if s["graded"]]
    hardest = sorted((x for x in flat if x[1]["passed"] / x[1]["graded"] < WATCH),
                     key=lambda x: (x[1]["passed"] / x[1]["graded"], x[0], x[1]["name"]))[:HARDEST]
    html = ["<section><h2>Where the class struggled</h2>"]
    if hardest:
        html.append('<ol class="hardest">')
        for a, s in hardest:
            rate = s["passed"] / s["graded"]
            reason, n = s["reasons"].most_common(1)[0] if s["reasons"] else ("", 0)
            html.append(f'<li class="{_rate_class(rate)}"><span class="rate">{rate:.0%}</span> '
                        f'<b>{_e(s["name"])}</b> <span class="muted">({_e(a)})</span>'
                        + (f'<div class="why">most often: “{_e(reason)}” ({n} student{"s" if n != 1 else ""})</div>'
                           if reason else "") + "</li>")
        html.append("</ol>")
    else:
        html.append(f"<p>Every test was passed by at least {WATCH:.0%} of the class.</p>")
    html.append("</section>")
    return html


def _pass_rates(book, stats) -> list[str]:
    html = ["<section><h2>Pass rate per test</h2>"]
    for a in book.assignments:
        html.append(f'<h3>{_e(a.id)}: {_e(a.title)}</h3><table class="tests"><thead><tr><th>test</th>'
                    '<th>tags</th><th>points</th><th>passed</th><th class="wide">pass rate</th>'
                    '<th>most common failure</th></tr></thead><tbody>')
        for s in stats.get(a.id, {}).values():
            rate = s["passed"] / s["graded"] if s["graded"] else 0.0
            reason, n = s["reasons"].most_common(1)[0] if s["reasons"] else ("", 0)
            extra = " bonus" if s["bonus"] else (" hidden" if s["hidden"] else "")
            missing = f'<div class="muted small">+{s["missing"]} without the file</div>' if s["missing"] else ""
            html.append(f'<tr class="{_rate_class(rate) if s["graded"] else "none"}"><td>{_e(s["name"])}</td>'
                        f'<td class="tags">{_e(", ".join(s["tags"]))}</td><td>{points(s["points"])}{extra}</td>'
                        f'<td class="num">{s["passed"]}/{s["graded"]}{missing}</td>'
                        f'<td class="wide"><div class="meter"><div class="fill" style="width:{rate * 100:.1f}%">'
                        f'</div></div><span class="pct">{rate:.0%}</span></td>'
                        f'<td class="why">{_e(reason)}{f" <span class=muted>×{n}</span>" if n else ""}</td></tr>')
        html.append("</tbody></table>")
    html.append("</section>")
    return html


def _students(book, drawn=()) -> list[str]:
    """``drawn``: the students whose failed tests are in pictures, linked from their row."""
    html = ['<section><h2>Students</h2><p class="muted" id="filter-note" hidden></p>'
            '<table class="students sortable"><thead><tr><th data-type="text">student</th>']
    for a in book.assignments:
        html.append(f'<th data-type="num">{_e(a.id)}<span class="muted"> /{points(a.max_score)}</span></th>')
    forms = book.has_forms
    html.append('<th data-type="num">total</th><th data-type="num">%</th><th data-type="num">bonus</th>'
                + ('<th data-type="text">form</th>' if forms else '')
                + '<th data-type="num">failed</th><th data-type="text">problems</th></tr></thead><tbody>')
    for row in book.rows:
        cells = "".join(f'<td class="num">{points(row.scores[a.id])}</td>' if a.id in row.scores
                        else '<td class="num muted" data-sort="-1">–</td>' for a in book.assignments)
        html.append(f'<tr data-percent="{row.percent}"><td>{_e(row.student)}{pictured.link(row.student, drawn)}</td>{cells}'
                    f'<td class="num">{points(row.total)}</td><td class="num">{percent(row.percent)}</td>'
                    f'<td class="num">{points(row.bonus)}</td>'
                    + (f'<td>{_e(row.form_words)}</td>' if forms else '')
                    + f'<td class="num">{row.failed}</td>'
                    f'<td class="why">{_e("; ".join(row.problems))}</td></tr>')
    html.append("</tbody></table></section>")
    return html


def _slowest_and_failed(results, failed_rows) -> list[str]:
    timed = sorted((r for r in results if r.duration > 0), key=lambda r: (-r.duration, r.student, r.assignment))
    html = ["<section class=\"two\"><div><h2>Slowest submissions</h2>"]
    if timed:
        html.append('<table><thead><tr><th>student</th><th>assignment</th><th>seconds of tests</th></tr></thead><tbody>')
        for r in timed[:10]:
            html.append(f"<tr><td>{_e(r.student)}</td><td>{_e(r.assignment)}</td>"
                        f'<td class="num">{r.duration:.1f}</td></tr>')
        html.append("</tbody></table>")
    else:
        html.append('<p class="muted">No timings in these results (graded with --stable).</p>')
    html.append("</div><div><h2>Could not be graded</h2>")
    if failed_rows:
        html.append('<ul class="failed">' + "".join(
            f"<li><b>{_e(row.student)}</b>: {_e('; '.join(row.not_graded))}</li>" for row in failed_rows) + "</ul>")
    else:
        html.append("<p>Every submission was graded.</p>")
    html.append("</div></section></main>")
    return html


def write(results, book, path: Path, title: str | None = None) -> None:
    beside = [page.name for page in similarity_report.beside(path)]
    Path(path).write_text(render(results, book, title or "Class report", similarity=beside),
                          encoding="utf-8")


# -- the link to `grade similar --report`, when one was written beside this report ----------------
def _similarity_links(names) -> str:
    if not names:
        return ""
    links = ", ".join(f'<a href="{_e(quote(name))}">{_e(name)}</a>' for name in names)
    return f'<p class="sub similarity-link">Whose code is alike (grade similar): {links}</p>'


CSS = """
:root{--ink:#1f2933;--muted:#697586;--line:#e4e7eb;--bg:#f7f8fa;--low:#d64545;--mid:#e8a33d;--high:#2f9e6e;
--accent:#3b6fd8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;
color:var(--ink);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:18px 28px}
h1{margin:0;font-size:24px}h2{font-size:18px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 6px}
.sub,.muted{color:var(--muted)}.sub{margin:4px 0 0}
main{max-width:1180px;margin:0 auto;padding:20px 28px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
section.two{display:grid;grid-template-columns:1fr 1fr;gap:24px}
@media (max-width:800px){section.two{grid-template-columns:1fr}}
.cards{display:flex;gap:12px;flex-wrap:wrap;background:none;border:0;padding:0}
.card{flex:1;min-width:140px;background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.card .value{font-size:26px;font-weight:650}.card .label{color:var(--muted)}
.card.alert{border-color:var(--low)}.card.alert .value{color:var(--low)}
.tabs{display:flex;gap:6px;flex-wrap:wrap;margin-bottom:8px}
.tabs button{border:1px solid var(--line);background:#fff;border-radius:16px;padding:4px 12px;cursor:pointer;font:inherit}
.tabs button[aria-selected=true]{background:var(--accent);border-color:var(--accent);color:#fff}
figure{margin:0}figcaption{color:var(--muted);font-size:13px}
svg.histogram{width:100%;max-width:760px;height:auto;display:block}
.bar{cursor:pointer}.bar.low{fill:var(--low)}.bar.mid{fill:var(--mid)}.bar.high{fill:var(--high)}
.bar:hover,.bar.picked{opacity:.75;stroke:var(--ink);stroke-width:1.5}
.grid{stroke:var(--line)}.base{stroke:#9aa5b1}.axis{fill:var(--muted);font-size:11px}.count{font-size:12px;font-weight:600}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);
vertical-align:top}th{font-weight:600;font-size:13px;color:var(--muted)}
.sortable th{cursor:pointer;user-select:none}.sortable th:after{content:" ↕";color:#c4cbd3}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.tags{color:var(--muted);font-size:13px}.small{font-size:12px;white-space:nowrap}.why{font-size:13px;color:#3e4c59}
.wide{min-width:200px;white-space:nowrap}.meter{display:inline-block;width:120px;height:10px;background:#eef0f3;border-radius:5px;
overflow:hidden;vertical-align:middle;margin-right:6px}.fill{height:100%;background:var(--high)}
tr.watch .fill{background:var(--mid)}tr.struggle .fill{background:var(--low)}
tr.struggle td:first-child{font-weight:650;color:var(--low)}tr.struggle{background:#fdf3f3}
ol.hardest{margin:0;padding-left:22px}ol.hardest li{margin:6px 0}
ol.hardest .rate{display:inline-block;min-width:44px;font-weight:700}
ol.hardest li.struggle .rate{color:var(--low)}ol.hardest li.watch .rate{color:var(--mid)}
ul.failed{padding-left:18px}ul.failed li{margin:4px 0}
"""

# Only in a page that shows the banner: a page graded in the sandbox stays as it was.
ISOLATION_CSS = """section.isolation-warning{background:#fff8e6;border:2px solid var(--mid)}
section.isolation-warning h2{color:#8a5a00;margin-bottom:6px}section.isolation-warning p{margin:0}
"""

SCRIPT = r"""
(function () {
  var tabs = document.querySelectorAll('.tabs button');
  var charts = document.querySelectorAll('figure.chart');
  function show(view) {
    tabs.forEach(function (t) { t.setAttribute('aria-selected', String(t.dataset.view === view)); });
    charts.forEach(function (c) { c.hidden = c.dataset.view !== view; });
  }
  tabs.forEach(function (t) { t.addEventListener('click', function () { show(t.dataset.view); }); });
  if (tabs.length) { show(tabs[0].dataset.view); }

  var body = document.querySelector('table.students tbody');
  var note = document.getElementById('filter-note');
  function filter(low, high, bar) {
    document.querySelectorAll('.bar.picked').forEach(function (b) { b.classList.remove('picked'); });
    var shown = 0;
    body.querySelectorAll('tr').forEach(function (tr) {
      var p = parseFloat(tr.dataset.percent);
      var keep = low === null || (p >= low && (p < high || high >= 100));
      tr.hidden = !keep; if (keep) { shown++; }
    });
    if (low === null) { note.hidden = true; return; }
    bar.classList.add('picked');
    note.hidden = false;
    note.textContent = shown + ' student(s) with ' + low + '–' + high + '% of the total. Click here to show everyone.';
  }
  note.addEventListener('click', function () { filter(null); });
  document.querySelectorAll('figure.chart[data-view="total"] .bar').forEach(function (bar) {
    bar.addEventListener('click', function () {
      filter(parseFloat(bar.dataset.low), parseFloat(bar.dataset.high), bar);
      document.querySelector('table.students').scrollIntoView({behavior: 'smooth'});
    });
  });

  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('th').forEach(function (th, column) {
      var ascending = true;
      th.addEventListener('click', function () {
        var rows = Array.prototype.slice.call(table.tBodies[0].rows);
        var numeric = th.dataset.type === 'num';
        rows.sort(function (a, b) {
          var x = a.cells[column], y = b.cells[column];
          var u = x.dataset.sort || x.textContent, v = y.dataset.sort || y.textContent;
          var d = numeric ? parseFloat(u) - parseFloat(v) : u.localeCompare(v);
          return ascending ? d : -d;
        });
        ascending = !ascending;
        rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
      });
    });
  });

  // The page is ready: say how many bars of the shown chart have a size on screen.
  var drawn = 0;
  document.querySelectorAll('figure.chart:not([hidden]) .bar').forEach(function (bar) {
    var box = bar.getBoundingClientRect();
    if (box.width > 0 && box.height > 0) { drawn++; }
  });
  document.documentElement.setAttribute('data-bars', String(drawn));
  document.documentElement.setAttribute('data-ready', 'yes');
})();
"""
