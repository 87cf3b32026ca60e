"""Generated conversations need the whole state: servers that forget, written afresh in
tests/data/forgetful/ and tests/data/kvstore/, lose every one, and the reference wins every one."""
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import REFERENCE, make_submission
from grader.grading.check import check
from grader.grading.engine import Engine
from grader.kinds import kind_of
from grader.results import Cause
from grader.specfile import load_spec
from grader.spec.errors import SpecError

DATA = Path(__file__).resolve().parent / "data"
FORGETFUL = DATA / "forgetful"
KV = DATA / "kvstore"

CONTACT_SPECS = {
    # spec: (the server's file name, the forgetful server, the reference, how a per-client book is called)
    "udp-contacts": ("contactserverudp.py", FORGETFUL / "udp_server.py", REFERENCE / "udp_contact_server.py",
                     "per-client"),
    "tcp-contacts-threaded": ("contactserver.py", FORGETFUL / "tcp_server.py", REFERENCE / "tcp_contact_server.py",
                              "per-connection"),
}


def generated_tests(spec, short_ones=8):
    """The spec's generated conversations and a variant of ``short_ones`` conversations of 3 commands."""
    shipped = tuple(t for t in spec.tests if kind_of(t).name == "generated")
    short = tuple(replace(shipped[0], name=f"short conversation ({i + 1}/{short_ones})",
                          params=replace(shipped[0].params, index=i, count=short_ones, length=3))
                  for i in range(short_ones))
    return replace(spec, tests=shipped + short)


def forgetful_submission(folder, file_name, server, forget):
    return make_submission(folder, {file_name: server, "book.py": FORGETFUL / "book.py", "FORGET": forget})


@pytest.mark.parametrize("spec_id", sorted(CONTACT_SPECS))
@pytest.mark.parametrize("forget", ["no-book", "per-client", "last-only", "empties"])
def test_a_contact_server_that_forgets_loses_every_generated_conversation(tmp_path, specs, spec_id, forget):
    file_name, server, _, per_client = CONTACT_SPECS[spec_id]
    forget = per_client if forget == "per-client" else forget
    spec = generated_tests(specs[spec_id])
    with Engine() as engine:
        result = engine.grade(forgetful_submission(tmp_path / forget, file_name, server, forget), spec)
    assert len(result.tests) == 11
    assert [t.name for t in result.tests if t.passed] == []
    # lost on a reply, not for another reason
    assert {t.name: t.reason for t in result.tests if t.cause.kind is not Cause.WRONG_REPLY} == {}


@pytest.mark.parametrize("spec_id", sorted(CONTACT_SPECS))
def test_the_reference_wins_every_generated_conversation_and_each_was_chosen(tmp_path, specs, spec_id):
    file_name, _, reference, _ = CONTACT_SPECS[spec_id]
    spec = generated_tests(specs[spec_id])
    with Engine() as engine:
        result = engine.grade(make_submission(tmp_path / "ref", {file_name: reference}), spec)
    assert {t.name: t.reason for t in result.tests if not t.passed} == {}
    for test in result.tests:
        first = test.notes[0]
        assert "the reference answers it differently from copies of itself that forget" in first
        assert "change a fresh reference's state: 'add;{name};{phone}'" in first
        assert "find;{name}" not in first.split("state:")[1]


def kv_spec():
    return load_spec(KV / "spec.yaml")


@pytest.mark.parametrize("forget", ["no-book", "per-client", "last-only", "empties"])
def test_a_spec_with_its_own_vocabulary_catches_forgetful_servers(tmp_path, forget):
    sub = make_submission(tmp_path / forget, {"kvserver.py": KV / "forgetful_kv.py", "FORGET": forget})
    with Engine() as engine:
        result = engine.grade(sub, kv_spec())
    assert len(result.tests) == 4
    assert {t.name: t.reason for t in result.tests if t.passed or t.cause.kind is not Cause.WRONG_REPLY} == {}


def test_a_spec_with_its_own_vocabulary_learns_which_commands_store(tmp_path):
    sub = make_submission(tmp_path / "ref", {"kvserver.py": KV / "reference" / "kv_server.py"})
    with Engine() as engine:
        result = engine.grade(sub, kv_spec())
    assert {t.name: t.reason for t in result.tests if not t.passed} == {}
    for test in result.tests:
        stores = test.notes[0].split("state:")[1]
        # set and incr store on a fresh server, whatever their place in the list; get, count and del do not
        assert "'incr;{key};{step}'" in stores and "'set;{key};{value}'" in stores
        assert "get;" not in stores and "count" not in stores and "del;" not in stores


VOCABULARY_SPEC = """\
id: kv
transport: udp
roles:
  server: {files: [kvserver.py], reference: reference/kv_server.py}
tests:
  - name: generated
    generate:
      commands: ["set;{key};{value}", "get;{key}"]
      vocabulary:
"""


@pytest.mark.parametrize("vocabulary, words", [
    ("        key: {words: [a], integers: [1, 2]}\n", "exactly one of words, integers or characters"),
    ("        key: {distinct: 2}\n", "exactly one of words, integers or characters"),
    ("        key: {integers: [5, 1]}\n        value: {integers: [1, 2]}\n", "the range [5, 1] is empty"),
    ("        key: {words: [a]}\n", "uses {value}, which is neither name, phone nor text"),
])
def test_a_wrong_vocabulary_is_a_spec_error_at_its_key(tmp_path, vocabulary, words):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "kv_server.py").write_text("")
    path = tmp_path / "spec.yaml"
    path.write_text(VOCABULARY_SPEC + vocabulary)
    with pytest.raises(SpecError) as error:
        load_spec(path)
    assert words in str(error.value)
    assert "generate" in str(error.value)


FORGETFUL_SABOTEURS = {"no-memory server", "per-client server", "restarted server"}


@pytest.mark.parametrize("spec_id", sorted(CONTACT_SPECS))
def test_grade_check_catches_the_forgetful_references_on_every_generated_conversation(specs, spec_id):
    spec = specs[spec_id]
    report = check(replace(spec, tests=tuple(t for t in spec.tests if kind_of(t).name == "generated")))
    assert report.reference_failures == [] and report.warnings == []
    for test in report.spec.tests:
        caught = report.caught_by(test.name)
        assert {label: caught[label] for label in FORGETFUL_SABOTEURS} == dict.fromkeys(FORGETFUL_SABOTEURS, True)
    # a forgetful copy loses on a reply, not because it broke (a copy started afresh on a loaded machine
    # may be late with its welcome: a reply missed, never a crash or an exit)
    for run in report.runs:
        if run.saboteur.forgets:
            assert {t.name: t.reason for t in run.result.tests
                    if t.cause.kind not in (Cause.WRONG_REPLY, Cause.NO_REPLY)} == {}


ECHO_SPEC = """\
id: echo-generated
transport: udp
roles:
  server: {files: [server.py], reference: ref/server.py}
defaults: {tags: [protocol]}
tests:
  - name: the server answers
    steps: [{send: hello}, {expect: {reference: true}}]
  - name: generated echoes
    generate: {conversations: 1, length: 4, commands: ["say;{text}"]}
"""


def test_grade_check_warns_of_a_generated_test_no_state_is_needed_for(tmp_path):
    (tmp_path / "ref").mkdir()
    shutil.copy(REFERENCE / "udp_echo_server.py", tmp_path / "ref" / "server.py")
    (tmp_path / "spec.yaml").write_text(ECHO_SPEC)
    report = check(load_spec(tmp_path / "spec.yaml"))
    assert report.reference_failures == []
    warnings = dict(report.warnings)
    assert set(warnings) == {"generated echoes"}
    assert warnings["generated echoes"].startswith(
        "passed by the no-memory server, the per-client server, the restarted server:")
    # forgetful copies are asked only of tests that promise to need the whole state
    assert not FORGETFUL_SABOTEURS & set(report.caught_by("the server answers"))


def test_generated_commands_draw_from_the_specs_own_vocabulary():
    from grader.kinds.runners import generate
    [test] = [t for t in kv_spec().tests if t.params.index == 0]
    gen = test.params
    words = {"apple", "pear", "桃子", "plum", "fig"}
    roles = generate.Roles(frozenset({3, 4}), frozenset({0, 1, 2, 3}))       # incr and set store
    seen = set()
    for index in range(4):
        candidates = generate.candidates(replace(gen, index=index), roles)
        for rounds in (next(candidates) for _ in range(5)):
            for _, command in (c for r in rounds for c in r):
                verb, *args = command.split(";")
                seen.add(verb)
                if verb == "count":
                    assert args == []
                    continue
                key = args[0]
                assert key in words or (key.startswith(generate.LONG_HEADS) and len(command.encode()) > 950)
                assert len(command.encode()) <= generate.MAX_MESSAGE
                if verb == "set":
                    assert 0 <= int(args[1]) <= 999
                if verb == "incr":
                    assert 1 <= int(args[1]) <= 9
            first, last = rounds[0][0], rounds[-1][0]
            assert first[1].split(";")[0] in ("incr", "set")        # something is stored first ...
            assert last[0] != first[0]                                  # ... read last by another client
            assert last[1] == "count" or last[1].split(";")[1] == first[1].split(";")[1]
    assert seen == {"get", "count", "del", "incr", "set"}
