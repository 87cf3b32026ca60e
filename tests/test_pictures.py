"""Pictures of failed tests (grader/reporting/pictures), on real servers written here: a serial one, a
threaded one that answers one client wrongly, and one that crashes on a message. Graded once by `grade`
with every output; then what a person sees: the class report and the feedback's SVG files rendered in
headless Chromium (a serial server's served bars never overlap, a threaded one's do; the marked
difference is the one the reason names), the Markdown's links, the terminal's lanes with -v, and
pictures that --stable makes the same bytes whatever the timing."""
from __future__ import annotations

import html
import json
import re
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from classbuild import grade
from conftest import PORT_ARG, REFERENCE, make_submission, threaded_tcp_server
from grader.reporting.pictures import Drawing, pictures
from grader.reporting.stable import stable
from grader.results import AssignmentResult, Difference, ReferenceRun, Status
from grader.results import TestResult as Result     # a name pytest does not try to collect
from test_reports import chromium

SWARM, PAIR = "four clients at once", "a second client while the first stays"
SPEC = f"""\
id: pictures
title: Pictures of a TCP echo
transport: tcp
address: {{host: 127.0.0.1, port: 9999}}
roles:
  server:
    files: [server.py]
    reference: {REFERENCE / "tcp_echo_server.py"}
defaults: {{timeout: 6}}          # long enough for a loaded machine
tests:
  - name: {SWARM}
    tags: [concurrency]
    points: 2
    swarm:
      clients: 4
      steps:
        - {{expect: "Welcome!"}}
        - {{send: "hello-${{i}}"}}
        - {{expect: "Received hello-${{i}};"}}
  - name: {PAIR}
    tags: [concurrency]
    points: 1
    steps:
      - {{client: first, expect: "Welcome!"}}
      - {{client: second, expect: "Welcome!"}}
      - {{client: second, send: two}}
      - {{client: second, expect: "Received two;"}}
      - {{client: first, send: boom}}
      - {{client: first, expect: "Received boom;"}}
"""

ANSWER = """
    import os, time
    def serve(conn):
        conn.sendall(b'Welcome!')
        while True:
            data = conn.recv(1024)
            if not data:
                break
            time.sleep(0.5)
            text = data.decode()
            {special}
            conn.sendall(('Received %s;' % text).encode())
        conn.close()
"""
# One connection at a time: the next is accepted once the client before has left.
SERIAL = PORT_ARG + "import socket\n" + textwrap.dedent(ANSWER.format(special="pass")) + textwrap.dedent("""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', PORT))
    s.listen(5)
    while True:
        conn, _ = s.accept()
        serve(conn)
""")
# A thread per connection, but client 3 gets a wrong reply.
THREADED = threaded_tcp_server(ANSWER.format(
    special="if text == 'hello-3':\n                conn.sendall(b'busy, try again')\n                continue"))
# A thread per connection, until "boom" ends the whole process.
CRASHING = threaded_tcp_server(ANSWER.format(special="if text == 'boom':\n                os._exit(3)"))
STUDENTS = {"serial": SERIAL, "threaded": THREADED, "crashing": CRASHING}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("pictures")
    (root / "pictures.yaml").write_text(SPEC, encoding="utf-8")
    for student, source in STUDENTS.items():
        make_submission(root / "class" / student, {"server.py": source})
    out = root / "out"
    proc = grade(root / "class", "--spec", root / "pictures.yaml", "--no-cache", "--cache-dir", root / "cache",
                 "-v", "--json", out / "results.json", "--report", out / "report.html", "--feedback", out / "feedback")
    assert (out / "results.json").is_file(), proc.stdout + proc.stderr
    records = {r["student"]: {t["name"]: Result.from_dict(t) for t in r["tests"]}
               for r in json.loads((out / "results.json").read_text(encoding="utf-8"))}
    return out, proc, records


def test_the_servers_fail_as_written(graded):
    _, _, records = graded
    assert not records["serial"][SWARM].passed and records["serial"][SWARM].metrics["served_at_once"] == 1
    assert not records["serial"][PAIR].passed
    assert not records["threaded"][SWARM].passed and records["threaded"][PAIR].passed
    assert records["crashing"][SWARM].passed and not records["crashing"][PAIR].passed
    for student, test in (("serial", SWARM), ("threaded", SWARM), ("serial", PAIR), ("crashing", PAIR)):
        reference = records[student][test].reference      # drawn beside: the reference served them all
        assert reference is not None and reference.transcript, (student, test)
    assert records["serial"][SWARM].reference.metrics["served_at_once"] == 4


def test_the_feedback_links_its_pictures_beside_the_markdown(graded):
    out, _, records = graded
    feedback = out / "feedback"
    serial = (feedback / "serial.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", serial)
    assert (f"timeline: {SWARM}", "serial-pictures/pictures-01-timeline.svg") in links
    assert (f"sequence: {PAIR}", "serial-pictures/pictures-02-sequence.svg") in links
    for _, target in links:
        svg = ET.parse(feedback / target).getroot()                          # well-formed, standalone
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert svg[1].tag.endswith("title") or svg[0].tag.endswith("title")
        text = (feedback / target).read_text(encoding="utf-8")
        assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") \
            .replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    assert not (feedback / "crashing-pictures" / "pictures-01-timeline.svg").exists()    # its swarm passed
    title = ET.parse(feedback / "serial-pictures/pictures-01-timeline.svg").getroot().find(
        "{http://www.w3.org/2000/svg}title").text
    assert title == f"timeline: {SWARM}"


def test_verbose_prints_the_lanes_of_a_failed_concurrency_test(graded):
    _, proc, _ = graded
    lanes = proc.stdout[proc.stdout.index("timeline ("):]
    assert "your server: most clients served at once: 1" in lanes
    assert "the reference server: most clients served at once: 4" in lanes
    serial = lanes[lanes.index("your server: most clients served at once: 1"):]
    rows = [line for line in serial.splitlines()[1:5]]
    assert [r.split()[0] for r in rows] == ["s1", "s2", "s3", "s4"]
    assert sum("█" in r for r in rows) == 1 and "✕" in "".join(rows)          # one served, the rest waited


# -- in a browser -------------------------------------------------------------------------------------
# Added to a copy of the page: opens a student's pictures from their row as a person would (the link),
# then writes where each drawn served bar is on the screen, per figure and panel.
MEASURE = """<script>
(function () {
  var out = {};
  document.querySelectorAll('a.pictures-link').forEach(function (a) { a.click(); });
  document.querySelectorAll('figure.picture, body > svg').forEach(function (figure, n) {
    var key = (figure.closest('details') ? figure.closest('details').querySelector('summary').textContent : 'svg')
              + ' / ' + (figure.dataset ? figure.dataset.test || '' : '');
    var panels = {};
    figure.querySelectorAll('g.panel').forEach(function (panel) {
      panels[panel.dataset.panel] = Array.prototype.map.call(panel.querySelectorAll('g.lane'), function (lane) {
        var bar = lane.querySelector('.served'), wait = lane.querySelector('.waiting');
        var box = bar && bar.getBoundingClientRect(), w = wait && wait.getBoundingClientRect();
        return {client: lane.dataset.client, served: box && box.width > 0 ? [box.left, box.right] : null,
                waiting: w && w.width > 0 ? [w.left, w.right] : null};
      });
    });
    var mark = figure.querySelector('g.difference');
    var marked = mark && mark.getBoundingClientRect();
    var arrows = Array.prototype.map.call(figure.querySelectorAll('text.sent-text'), function (t) {
      return {text: t.textContent, top: t.getBoundingClientRect().top};
    });
    out[key + ' / ' + (figure.dataset ? figure.dataset.drawing || 'svg' : 'svg')] = {
      panels: panels, arrows: arrows,
      difference: marked && marked.height > 0 ? {text: mark.textContent, top: marked.top} : null};
  });
  document.documentElement.setAttribute('data-measured', JSON.stringify(out));
})();
</script>"""


def measured(tmp_path, page: Path) -> dict:
    copy = tmp_path / page.name
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    proc = chromium(tmp_path, "--window-size=1280,4000", "--dump-dom", copy.as_uri())
    assert proc.returncode == 0 and "Uncaught" not in proc.stderr, proc.stderr[-2000:]
    found = re.search(r'<html[^>]*data-measured="([^"]*)"', proc.stdout)
    assert found, proc.stdout[:500]
    return json.loads(html.unescape(found.group(1)))


def overlap(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_the_report_shows_who_was_served_at_once(graded, tmp_path):
    out, _, records = graded
    seen = measured(tmp_path, out / "report.html")
    serial = seen[f"serial / {SWARM} / timeline"]["panels"]
    served = [lane["served"] for lane in serial["your server"] if lane["served"]]
    assert len(served) == 1                                  # one client at a time: one served bar
    waited = [lane["waiting"] for lane in serial["your server"] if not lane["served"]]
    assert waited and all(w[1] > served[0][0] for w in waited)   # the others still waiting when it was served
    reference = [lane["served"] for lane in serial["the reference server"]]
    assert all(reference) and all(overlap(a, b) for a in reference for b in reference)
    threaded = [lane["served"] for lane in seen[f"threaded / {SWARM} / timeline"]["panels"]["your server"]
                if lane["served"]]
    assert len(threaded) == 4 and all(overlap(a, b) for a in threaded for b in threaded)   # s3 too: wrongly
    # one scale for both: the reference was done long before the serial server's clients gave up waiting
    assert max(bar[1] for bar in reference) < min(w[1] for w in waited)
    assert f"crashing / {SWARM} / timeline" not in seen                   # a passed test is not drawn

    page = (out / "report.html").read_text(encoding="utf-8")
    chips = page[page.index("Clients served at once"):page.index("<h2>Students")]
    assert re.search(r'data-served="1"[^>]*title="serial"', chips)
    assert re.search(r'data-served="4"[^>]*title="crashing"', chips)


def test_the_marked_difference_is_the_one_the_reason_names(graded, tmp_path):
    out, _, records = graded
    seen = measured(tmp_path, out / "report.html")
    crashed = records["crashing"][PAIR]
    assert "expected 'Received boom;'" in crashed.reason
    drawn = seen[f"crashing / {PAIR} / sequence"]
    assert "expected 'Received boom;'" in drawn["difference"]["text"]
    assert "nothing came" in drawn["difference"]["text"]
    boom = [a for a in drawn["arrows"] if a["text"] == "boom"]
    assert boom and drawn["difference"]["top"] > boom[0]["top"]            # below the message it answers
    serial = records["serial"][PAIR]
    assert "expected 'Welcome!'" in serial.reason and "nothing within 6 s" in serial.reason
    drawn = seen[f"serial / {PAIR} / sequence"]
    assert "expected 'Welcome!'" in drawn["difference"]["text"]
    assert "waited 6 s" in drawn["difference"]["text"]
    assert not any(a["text"] == "two" for a in drawn["arrows"])           # the conversation stopped there


def test_the_feedback_pictures_render_standalone(graded, tmp_path):
    out, _, _ = graded
    svg = (out / "feedback" / "serial-pictures" / "pictures-01-timeline.svg").read_text(encoding="utf-8")
    page = tmp_path / "timeline.html"
    page.write_text(f"<!DOCTYPE html><html><body>{svg.split(chr(10), 1)[1]}</body></html>", encoding="utf-8")
    seen = measured(tmp_path, page)
    [panels] = [v["panels"] for v in seen.values()]
    assert len([lane for lane in panels["your server"] if lane["served"]]) == 1
    assert len(panels["the reference server"]) == 4
    shot = tmp_path / "timeline.png"
    proc = chromium(tmp_path, "--window-size=800,600", f"--screenshot={shot}",
                    (out / "feedback" / "serial-pictures" / "pictures-01-timeline.svg").as_uri())
    assert proc.returncode == 0 and shot.stat().st_size > 10_000


# -- without a server: what --stable and hostile text make of a picture ---------------------------------
def swarm_result(times: list[float], reply: str = "Received hello;") -> Result:
    transcript = []
    for n, t in enumerate(times, 1):
        transcript += [{"t": 0.01 * n, "who": f"s{n}", "event": "connected", "data": "connected to 9999"},
                       {"t": t, "who": f"s{n}", "event": "received", "data": reply},
                       {"t": t + 0.2, "who": f"s{n}", "event": "closed", "data": "client closed"}]
    return Result("two <b>at</b> once", [], 0, 1, Status.FAILED, transcript=transcript,
                      metrics={"served_at_once": 1},
                      difference=Difference("s2", 1, "'Received hello;'", None, 3.0),
                      reference=ReferenceRun(transcript, {"served_at_once": 2}))


def test_stable_pictures_are_the_same_bytes_whatever_the_timing():
    serial, threaded = swarm_result([0.5, 1.0]), swarm_result([0.5, 0.51])
    assert pictures(serial)[0].svg != pictures(threaded)[0].svg           # times drawn when there are some
    once, again = (stable([AssignmentResult("x", "a", "A", [t])])[0].tests[0] for t in (serial, threaded))
    assert [p.svg for p in pictures(once)] == [p.svg for p in pictures(again)]
    assert [p.drawing for p in pictures(once)] == [Drawing.TIMELINE, Drawing.SEQUENCE]
    assert "--stable leaves the times out" in pictures(once)[0].svg


def test_student_text_in_a_picture_is_text():
    hostile = swarm_result([0.5, 1.0], reply='\x1b[2J</text><script>alert(1)</script> "&')
    got = replace(hostile.difference, got="\uffff\x00<x>")           # what came, decoded, not yet shown
    for picture in pictures(replace(hostile, name="a <b>bold</b> \u202e name", difference=got)):
        root = ET.fromstring(picture.svg.encode())                         # still well-formed XML
        assert not [e for e in root.iter() if e.tag.endswith("script")]
        words = "".join(root.itertext())
        assert "\x1b" not in words and "\u202e" not in words
        assert "\\x1b[2J&lt;/text&gt;&lt;script&gt;" in picture.svg                 # shown, as text
        assert root.find("{http://www.w3.org/2000/svg}title").text.endswith("a <b>bold</b> \\u202e name")


def test_a_client_programs_conversation_is_drawn_both_ways():
    """The relay's record (client / server) and the capture's (client program / server): each message an
    arrow, the server's towards the client program."""
    for program in ("client", "client program"):
        transcript = [{"t": 0.1, "who": "client program", "event": "note", "data": "started your client"},
                      {"t": 0.2, "who": program, "event": "sent", "data": "add;zhangsan;138"},
                      {"t": 1.2, "who": "server", "event": "sent", "data": "zhangsan added"}]
        [picture] = pictures(Result("client sends add", [], 0, 1, Status.FAILED, transcript=transcript))
        assert picture.drawing is Drawing.SEQUENCE
        root = ET.fromstring(picture.svg.encode())
        arrows = {e.get("class"): e for e in root.iter() if e.get("class") in ("sent", "received")}
        sent, received = (re.findall(r"[\d.]+", arrows[k].get("d")) for k in ("sent", "received"))
        assert float(sent[0]) < float(sent[2]) and float(received[0]) > float(received[2])   # → server, ← back
