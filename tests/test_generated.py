"""Generated conversations: seeded, checked against the reference, shrunk, reproducible."""
import json
import re

from conftest import EXAMPLES, REFERENCE, make_submission
from grader.kinds.generated import Generation
from grader.kinds.runners import generate
from grader.grading.engine import Engine

COMMANDS = ("add;{name};{phone}", "remove;{name}", "find;{name}")


def gen(seed=1, index=0):
    return Generation(commands=COMMANDS, seed=seed, index=index, length=12, clients=3)


def test_same_seed_same_conversation():
    assert generate.conversation(gen(7)) == generate.conversation(gen(7))
    assert generate.conversation(gen(7)) != generate.conversation(gen(8))
    assert generate.conversation(gen(7, 0)) != generate.conversation(gen(7, 1))


def test_conversations_have_repeats_unicode_bursts_and_long_names():
    rounds = [r for i in range(4) for r in generate.conversation(gen(3, i))]
    commands = [c for r in rounds for _, c in r]
    names = [c.split(";")[1] for c in commands]
    assert len(set(names)) < len(names)                      # names repeat
    assert any(not n.isascii() for n in names)               # unicode
    assert any(len(r) > 1 for r in rounds)                   # commands sent together
    longest = max(len(c.encode()) for c in commands)
    assert 950 < longest <= generate.MAX_MESSAGE             # near the 1024-byte recv


def test_commands_sent_together_use_different_names():
    for i in range(6):
        for round_ in generate.conversation(gen(11, i)):
            names = [c.split(";")[1] for _, c in round_]
            assert len(set(names)) == len(names)


def by_name(result):
    return {t.name: t for t in result.tests}


def test_server_that_breaks_on_a_long_name_is_caught_and_shrunk(tmp_path, specs):
    # recv(512) cuts a long command in two: the course's protocol tests still pass.
    short_buffer = (REFERENCE / "udp_contact_server.py").read_text().replace("65535", "512")
    assert "512" in short_buffer
    sub = make_submission(tmp_path / "s", {"contactserverudp.py": short_buffer})
    with Engine() as engine:
        result = engine.grade(sub, specs["udp-contacts"])
    tests = by_name(result)
    assert tests["add replies NAME added"].passed and tests["find returns the phone"].passed
    failed = tests["generated conversations (1/3)"]          # conversation 1 carries the long name
    assert not failed.passed
    assert "generated conversation 1 of 3 (seed 1)" in failed.reason
    table = next(n for n in failed.notes if n.startswith("shortest failing conversation"))
    assert "<- differs" in table
    differing = next(line for line in table.splitlines() if "<- differs" in line)
    assert len(re.search(r"-> (\S+)", differing).group(1)) > 50   # the long command is the culprit
    assert result.extra["seed"] == 1


# a conversation's times are right-aligned: " 9.9s" and "10.1s" are one width; the padding goes with the time
TIMING = re.compile(r'"(duration|execution_time|t|longest_wait_s)": [0-9.]+| *\d+\.\d+s|127\.0\.0\.1:\d+')


def normalised(result) -> str:
    return TIMING.sub("~", json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True))


def test_same_seed_same_results(specs):
    spec = specs["udp-contacts"].with_seed(42)
    runs = []
    for _ in range(2):
        with Engine() as engine:
            runs.append(engine.grade(EXAMPLES / "erin", spec))
    assert runs[0].extra["seed"] == 42
    assert normalised(runs[0]) == normalised(runs[1])
    assert any(not t.passed for t in runs[0].tests if t.name.startswith("generated"))
