"""Each example student scores what their one mistake deserves, and the right tagged tests fail."""
import pytest

from conftest import EXAMPLES
from grader.grading import api
from grader.results import Cause, Why

# student -> {assignment: (score with bonus, max_score, {failed test name: a tag that catches it})}
# Every student has one mistake (submissions_example/README.md); the course's
# UDP client never retries, so everyone but the reference misses that bonus.
EXPECTED = {
    'alice': {
        'tcp-contacts-threaded': (29, 29, {
        }),
        'tcp-echo-threaded': (15, 13, {
        }),
        'udp-contacts': (30, 30, {
            'client retries when the reply is lost': 'client',
        }),
        'udp-echo': (12, 12, {
        }),
    },
    'bob': {
        'tcp-echo-threaded': (9, 13, {
            'a second client is served while the first stays connected': 'concurrency',
            'ten clients at once': 'concurrency',
            'a client that disconnects does not stop the server': 'robustness',
        }),
    },
    'carol': {
        'tcp-contacts-threaded': (20, 29, {
            'one contact book shared by all connections': 'state',
            'twenty clients at once share one book': 'state',
            'generated conversations (1/3)': 'state',
            'generated conversations (2/3)': 'state',
            'generated conversations (3/3)': 'state',
        }),
    },
    'dave': {
        'udp-contacts': (26, 30, {
            'remove of an unknown name says Not found': 'protocol',
            'generated conversations (2/3)': 'protocol',
            'a duplicated add or remove does not corrupt the book': 'robustness',
            'client retries when the reply is lost': 'client',
        }),
    },
    'erin': {
        'udp-contacts': (25, 30, {
            'find of an unknown name says Not found': 'protocol',
            'remove deletes the contact': 'protocol',
            'a duplicated add or remove does not corrupt the book': 'robustness',
            'client retries when the reply is lost': 'client',
        }),
    },
    'frank': {
        'udp-echo': (2, 12, {
            'server binds UDP 9999': 'startup',
            'server answers Hello, <data>!': 'protocol',
            'server keeps answering after many datagrams': 'protocol',
            'replies go to each sender': 'state',
            'five clients at once get their own replies': 'state',
            'server survives non-UTF-8 bytes': 'robustness',
            'reference client with your server': 'protocol',
            'student client with student server': 'interop',
        }),
    },
    'grace': {
        'udp-contacts': (26, 30, {
            'client sends add;NAME;PHONE and prints the reply': 'client',
            'client find prints the phone': 'client',
            'student client with student server': 'interop',
            'client retries when the reply is lost': 'client',
        }),
    },
    'heidi': {
        'tcp-contacts-threaded': (27, 29, {
            'add overwrites an existing name': 'state',
        }),
    },
    'judy': {
        'tcp-echo-threaded': (13, 13, {
            'client sends message1..message5 and exit': 'client',
            'student client with student server': 'interop',
        }),
    },
    'mallory': {
        'udp-echo': (4, 12, {
            'server answers Hello, <data>!': 'protocol',
            'server keeps answering after many datagrams': 'protocol',
            'replies go to each sender': 'state',
            'five clients at once get their own replies': 'state',
            'server survives non-UTF-8 bytes': 'robustness',
            'reference client with your server': 'protocol',
            'student client with student server': 'interop',
        }),
    },
}


@pytest.fixture(scope="module")
def graded():
    from grader.grading.engine import Engine
    from grader.specfile import catalog
    specs = catalog.load_all()
    items = [(EXAMPLES / student, spec, None) for student in [*EXPECTED, "ivan"]
             for spec in api.pick_specs(EXAMPLES / student, specs)]
    with Engine() as engine:
        results = engine.grade_all(items)
    return {(r.student, r.assignment): r for r in results}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_student_scores(student, graded):
    handed_in = {a for (s, a) in graded if s == student}
    assert handed_in == set(EXPECTED[student])
    for assignment, (score, max_score, failing) in EXPECTED[student].items():
        result = graded[(student, assignment)]
        failed = {t.name: t for t in result.tests if not t.passed}
        assert set(failed) == set(failing), {n: t.reason for n, t in failed.items()}
        for name, tag in failing.items():
            assert tag in failed[name].tags
            assert failed[name].reason
        assert (result.score, result.max_score) == (score, max_score)


def test_ivan_python2_scores_zero_with_a_reason(graded):
    result = graded[("ivan", "udp-echo")]
    assert result.score == 0
    assert all("Python 2" in t.reason and t.cause.kind is Cause.CRASHED for t in result.tests)


def test_reasons_say_what_was_expected_and_what_came(graded):
    erin = {t.name: t for t in graded[("erin", "udp-contacts")].tests}
    assert "expected 'Not found', got 'None'" in erin["find of an unknown name says Not found"].reason
    assert erin["find of an unknown name says Not found"].cause == Why(Cause.WRONG_REPLY)
    dave = {t.name: t for t in graded[("dave", "udp-contacts")].tests}
    assert "KeyError" in dave["remove of an unknown name says Not found"].reason
    assert dave["remove of an unknown name says Not found"].cause.kind is Cause.CRASHED
    frank = {t.name: t for t in graded[("frank", "udp-echo")].tests}
    assert frank["server binds UDP 9999"].reason == (
        "your server listens on TCP 127.0.0.1:9999, this assignment needs UDP")
    assert frank["server binds UDP 9999"].cause == Why(Cause.WRONG_TRANSPORT, role="server", transport="udp",
                                                       detail="TCP 127.0.0.1:9999")
    judy = {t.name: t for t in graded[("judy", "tcp-echo-threaded")].tests}
    assert "was still running after 10 s and was stopped" in judy["client sends message1..message5 and exit"].reason
    assert judy["client sends message1..message5 and exit"].cause == Why(Cause.DID_NOT_EXIT, role="client")
