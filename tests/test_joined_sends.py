"""Two sends on one TCP connection with nothing between them that waits may reach the server as one
message (``set;onlykey`` then ``quit`` read as ``set;onlykeyquit``): ``grade check`` and ``grade``
point at the second send, file and line, before anyone is graded, with the two ways out."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from grader.specfile import load_spec
from grader.specfile.advice import advice

KVSTORE = ROOT / "tests" / "data" / "kvstore"

JOINED = """\
id: kv-joined
transport: tcp
roles:
  server:
    reference: kv-reference/kvserver.py
    files: [kvserver.py]
tests:
  - name: set without a value, then quit
    tags: [protocol]
    steps:
      - {send: "set;onlykey"}
      - {send: "quit"}
      - {expect: {closed: true}, skip: ".*"}
"""


def write_spec(folder, text: str, **changes):
    data = yaml.safe_load(text)
    data.update(changes)
    (folder / "kv-reference").mkdir(exist_ok=True)
    shutil.copy(KVSTORE / "kv-reference" / "kvserver.py", folder / "kv-reference" / "kvserver.py")
    path = folder / "kv-joined.yaml"
    path.write_text(text if not changes else yaml.safe_dump(data, sort_keys=False))
    return path


def steps_spec(tmp_path, steps, **changes):
    data = yaml.safe_load(JOINED)
    data["tests"][0]["steps"] = steps
    data.update(changes)
    return load_spec(write_spec(tmp_path, yaml.safe_dump(data, sort_keys=False)))


def test_the_second_send_is_pointed_at_with_its_line(tmp_path):
    spec = load_spec(write_spec(tmp_path, JOINED))
    [found] = advice(spec)
    assert found.line == 12 and found.where == "tests[0].steps[1]"
    assert "'quit' right after 'set;onlykey' (line 11)" in found.message
    assert "TCP may deliver the two as one message ('set;onlykeyquit')" in found.message
    assert "sleep" in found.hint and "framing: newline" in found.hint
    assert str(found).startswith(f"{tmp_path / 'kv-joined.yaml'}:12: tests[0].steps[1]: ")


@pytest.mark.parametrize("between", [
    {"expect": {"contains": "ERROR"}},
    {"sleep": 0.2},
    {"client": "other", "expect": {"silence": 0.2}},     # the test waits, whichever client it waits on
    {"close": True},                                     # the next send opens a new connection
])
def test_a_step_that_waits_or_closes_between_them_is_enough(between, tmp_path):
    steps = [{"send": "set;onlykey"}, between, {"send": "quit"}]
    assert advice(steps_spec(tmp_path, steps)) == []


def test_sends_of_two_clients_are_two_connections(tmp_path):
    steps = [{"client": "a", "send": "set;k;1"}, {"client": "b", "send": "get;k"}, {"client": "b", "expect": "1"}]
    assert advice(steps_spec(tmp_path, steps)) == []


@pytest.mark.parametrize("changes", [{"framing": "newline"}, {"transport": "udp"}])
def test_a_framing_or_datagrams_keep_messages_apart(changes, tmp_path):
    steps = [{"send": "set;onlykey"}, {"send": "quit"}, {"expect": "bye"}]
    assert advice(steps_spec(tmp_path, steps, **changes)) == []


def test_in_a_step_list_the_line_is_the_lists_and_the_use_is_told(tmp_path):
    data = yaml.safe_load(JOINED)
    data["step_lists"] = {"set_and_quit": [{"send": "set;${key}"}, {"send": "quit"}]}
    data["tests"][0]["steps"] = [{"use": "set_and_quit", "with": {"key": "a"}}, {"expect": "bye"}]
    [found] = advice(load_spec(write_spec(tmp_path, yaml.safe_dump(data, sort_keys=False))))
    assert found.where.startswith("step_lists.set_and_quit")
    assert "step list `set_and_quit` used at line" in found.message


def test_swarms_and_client_runs_are_read_too(tmp_path):
    data = yaml.safe_load(JOINED)
    data["roles"]["client"] = {"files": ["kvclient.py"], "reference": "kv-reference/kvserver.py"}   # only read
    data["tests"] = [
        {"name": "swarm", "tags": ["concurrency"],
         "swarm": {"clients": 2, "steps": [{"send": "set;k${i};1"}, {"send": "get;k${i}"}, {"expect": "1"}]}},
        {"name": "client", "tags": ["client"], "server": "reference",
         "client": {"program": "reference", "server": "reference",
                    "before": [{"send": "set;a;1"}, {"send": "set;b;2"}]}},
    ]
    found = advice(load_spec(write_spec(tmp_path, yaml.safe_dump(data, sort_keys=False))))
    assert [a.test for a in found] == ["swarm", "client"]


def test_grade_check_warns_before_the_reference_is_graded(tmp_path):
    spec = write_spec(tmp_path, JOINED)
    run = subprocess.run([sys.executable, "-m", "grader", "check", str(spec), "--no-saboteurs", "-j", "1"],
                         capture_output=True, text=True, timeout=300)
    out = run.stdout
    assert f"warning {spec}:12: tests[0].steps[1]: test 'set without a value, then quit'" in " ".join(out.split())
    warned, verdict = out.index("warning"), out.index("the reference programs")
    assert warned < verdict, out
    assert "framing: newline" in out
    strict = subprocess.run([sys.executable, "-m", "grader", "check", str(spec), "--no-saboteurs", "--strict"],
                            capture_output=True, text=True, timeout=300)
    assert strict.returncode == 1, strict.stdout


def test_grade_says_it_to_the_teacher_too(tmp_path):
    spec = write_spec(tmp_path, JOINED)
    student = tmp_path / "ann"
    student.mkdir()
    shutil.copy(KVSTORE / "kv-reference" / "kvserver.py", student / "kvserver.py")
    run = subprocess.run([sys.executable, "-m", "grader", str(student), "--spec", str(spec), "-j", "1"],
                         capture_output=True, text=True, timeout=300)
    assert f"{spec}:12: tests[0].steps[1]" in " ".join(run.stdout.split()), run.stdout + run.stderr
