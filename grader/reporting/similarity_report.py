"""``grade similar --report FILE.html``: the ranked pairs and the top ones side by side, in one file.

No script, no external file: the table links to each compared pair further down the page,
where the two files stand side by side with the code they share marked. The page names its
generator, so that the class report written beside it (``html_report``) can link to it.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from grader import __version__
from grader.shown import shown

GENERATOR = "sockgrade similar"
MARKER = f'<meta name="generator" content="{GENERATOR}">'
MAX_ROWS = 1000           # a class of 200 has 19,900 pairs per role: the rest are in --json
MAX_SCANNED = 200         # HTML files looked at beside a class report


def _e(value) -> str:
    """Text in HTML: escaped, and what a student controls shown (``grader.shown``)."""
    return escape(shown(value), quote=True)


def render(comparison, pairs, *, title: str, top: int) -> str:
    """``pairs``: what to list, ranked; the first ``top`` that share any code are shown side by side."""
    alike = [p for p in pairs if p.similarity > 0]
    detailed = alike[:top]
    groups = ", ".join(f"{spec} {role} ({n} students)" for (spec, role), n in comparison.groups.items())
    given = "the reference programs of each assignment" + (
        " and " + ", ".join(Path(b).name for b in comparison.base) if comparison.base else "")
    html = [f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
{MARKER}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{CSS}</style>
</head>
<body id="top">
<header><h1>{_e(title)}</h1>
<p class="sub">{len(comparison.students)} students · {len(comparison.pairs)} pairs compared · {_e(groups or "no files of any assignment found")} · sockgrade {_e(__version__)}</p></header>
<main>
<section class="how"><p>Each pair of students is compared per file: names, comments and layout do not count, so
renamed variables and reordered functions still match. Code from {_e(given)} does not count either.
<b>Shares</b>: how much of the first student's code is found in the second's, and of the second's in the
first's; the <b>similarity</b> is their mean. <b>Identical</b>: the same file byte for byte (line endings aside).
A high similarity is a reason to look, not proof of copying.</p></section>"""]
    if comparison.handouts:
        html.append('<section class="notes"><h2>Kept the handout</h2><p>These files are a given file unchanged '
                    '(line endings and trailing spaces aside), so they are compared with no one.</p><ul>'
                    + "".join(f"<li>{_e(h.student)}: {_e(h.name)} ({_e(h.spec)} {_e(h.role)}) is {_e(h.given)}</li>"
                              for h in comparison.handouts) + "</ul></section>")
    if comparison.notes:
        html.append('<section class="notes"><h2>Not compared</h2><ul>'
                    + "".join(f"<li>{_e(n)}</li>" for n in comparison.notes) + "</ul></section>")
    html.append('<section><h2>Pairs, most alike first</h2>')
    if alike:
        html.append('<table class="pairs"><thead><tr><th>#</th><th>similarity</th><th>students</th>'
                    '<th>assignment</th><th>role</th><th>shares</th><th></th></tr></thead><tbody>')
        for rank, pair in enumerate(alike[:MAX_ROWS], 1):
            link = f'<a href="#pair-{rank}">side by side</a>' if rank <= len(detailed) else ""
            html.append(f'<tr class="{_tone(pair)}"><td class="num">{rank}</td><td class="num">{_score(pair)}'
                        f'<div class="meter"><div class="fill" style="width:{pair.similarity * 100:.1f}%"></div></div></td>'
                        f'<td>{_e(pair.a)} · {_e(pair.b)}</td><td>{_e(pair.spec)}</td><td>{_e(pair.role)}</td>'
                        f'<td class="num">{pair.shares[0]:.0%} / {pair.shares[1]:.0%}</td><td>{link}</td></tr>')
        html.append("</tbody></table>")
        if len(alike) > MAX_ROWS:
            html.append(f'<p class="muted">… and {len(alike) - MAX_ROWS} more pairs, less alike: '
                        "see <code>--json</code>, or raise <code>--min</code>.</p>")
    else:
        html.append("<p>No two students share code beyond the code they were given.</p>")
    if len(pairs) > len(alike):
        html.append(f'<p class="muted">{len(pairs) - len(alike)} other pair{"s" if len(pairs) - len(alike) != 1 else ""}'
                    " share nothing beyond the code they were given.</p>")
    html.append("</section>")
    for rank, pair in enumerate(detailed, 1):
        left, right = comparison.highlighted(pair)
        html.append(f'<section class="pair" id="pair-{rank}"><h2>#{rank} {_e(pair.a)} and {_e(pair.b)}: '
                    f'{_score(pair)} <span class="muted">{_e(pair.spec)} · {_e(pair.role)}</span></h2>'
                    '<div class="side">'
                    f'<div><h3>{_e(pair.a)} <span class="muted">{_e(pair.files[0])} · {pair.shares[0]:.0%} '
                    f'found in {_e(pair.b)}\'s</span></h3><pre><code>{left}</code></pre></div>'
                    f'<div><h3>{_e(pair.b)} <span class="muted">{_e(pair.files[1])} · {pair.shares[1]:.0%} '
                    f'found in {_e(pair.a)}\'s</span></h3><pre><code>{right}</code></pre></div>'
                    '</div><p><a href="#top">back to the pairs</a></p></section>')
    html.append("</main></body></html>\n")
    return "\n".join(html)


def _score(pair) -> str:
    return '<b class="identical">identical</b>' if pair.identical else f"{pair.similarity:.0%}"


def _tone(pair) -> str:
    return "identical" if pair.identical else ("high" if pair.similarity >= 0.5 else "")


def beside(report: Path) -> list[Path]:
    """Similarity reports in the folder of ``report`` (a class report about to be written there)."""
    folder = Path(report).resolve().parent
    try:
        pages = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".html", ".htm"))[:MAX_SCANNED]
    except OSError:
        return []
    found = []
    for page in pages:
        if page.name == Path(report).name or not page.is_file():
            continue
        try:
            with open(page, encoding="utf-8", errors="replace") as f:
                head = f.read(2048)
        except OSError:
            continue
        if MARKER in head:
            found.append(page)
    return found


CSS = """
:root{--ink:#1f2933;--muted:#697586;--line:#e4e7eb;--bg:#f7f8fa;--low:#d64545;--mid:#e8a33d;--accent:#3b6fd8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;
color:var(--ink);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:18px 28px}
h1{margin:0;font-size:24px}h2{font-size:18px;margin:0 0 12px}h3{font-size:14px;margin:0 0 6px}
.sub,.muted{color:var(--muted)}.sub{margin:4px 0 0}
main{max-width:1400px;margin:0 auto;padding:20px 28px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
section.how p{margin:0}section.notes{border-color:var(--mid)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line)}
th{font-weight:600;font-size:13px;color:var(--muted)}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.meter{display:inline-block;width:80px;height:8px;background:#eef0f3;border-radius:4px;overflow:hidden;
vertical-align:middle;margin-left:8px}.fill{height:100%;background:var(--accent)}
tr.high .fill{background:var(--mid)}tr.identical .fill{background:var(--low)}
b.identical{color:var(--low)}
.side{display:grid;grid-template-columns:1fr 1fr;gap:16px}@media (max-width:900px){.side{grid-template-columns:1fr}}
.side>div{min-width:0}
pre{margin:0;background:#fbfbfc;border:1px solid var(--line);border-radius:6px;padding:10px;overflow:auto;
font:12.5px/1.4 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
mark{background:#fde2a7;color:inherit}
a{color:var(--accent)}
"""
