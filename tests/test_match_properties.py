"""Properties of reply matching (grader/spec/match.py), checked on generated text with hypothesis.

A student's reply differs from the expected one in ways a teacher forgives (case, spacing, a trailing
full stop) or in ways that make it wrong; these properties pin which is which for any text, not only
for the examples the other tests use.
"""
from __future__ import annotations

import re
from pathlib import Path

from hypothesis import assume, given, settings, strategies as st

from grader.spec.match import MATCHERS, TRAILING_PUNCTUATION, captures, text_matches, tolerant_form
from grader.spec.expectation_kind import ExpectationKind
from grader.spec.model import Expectation

WORDS = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=8),
                 min_size=1, max_size=5)
SPACES = st.text(alphabet=" \t", min_size=1, max_size=3)


def expect(kind: str, *values: str, match: str = "tolerant") -> Expectation:
    return Expectation(kind, tuple(values), match)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_the_tolerant_form_has_no_loose_space_and_is_stable(text):
    once = tolerant_form(text)
    assert once == once.strip() and "  " not in once
    assert once == once.casefold()
    assert tolerant_form(once) == once          # ". :" once gave ".", and "." gave ""


@settings(max_examples=200, deadline=None)
@given(WORDS, SPACES, st.sampled_from(["", *TRAILING_PUNCTUATION]), st.booleans())
def test_what_a_teacher_forgives_matches_tolerantly_and_not_exactly(words, gap, stop, upper):
    # a change of case keeps the letters only where upper() does ('ı'.upper() is 'I', another letter)
    assume(not upper or all(w.upper().casefold() == w.casefold() for w in words))
    expected = " ".join(words)
    got = gap + gap.join(w.upper() if upper else w for w in words) + stop + gap
    assert text_matches(expect("equals", expected), got)
    assert text_matches(expect("contains", expected), "Reply: " + got)
    if got != expected:
        assert not text_matches(expect("equals", expected, match="exact"), got)


@settings(max_examples=200, deadline=None)
@given(WORDS, WORDS)
def test_other_words_never_match(words, others):
    expected, got = " ".join(words), " ".join(others)
    if tolerant_form(expected) != tolerant_form(got):
        assert not text_matches(expect("equals", expected), got)
        assert not text_matches(expect("one_of", expected), got)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30), st.text(max_size=10), st.text(max_size=10))
def test_exact_containment_and_escaped_regex(needle, before, after):
    assert text_matches(expect("contains", needle, match="exact"), before + needle + after)
    stripped = needle.strip()
    assert text_matches(expect("regex", re.escape(stripped)), needle)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[A-Za-z]{1,10}", fullmatch=True), st.from_regex(r"[0-9]{3,11}", fullmatch=True))
def test_a_regex_group_is_captured_as_written(name, phone):
    expectation = expect("regex", r"(?P<name>\w+) added, phone (?P<phone>\d+)")
    got = f"{name} added, phone {phone}"
    assert text_matches(expectation, got)
    assert captures(expectation, got) == {"name": name, "phone": phone}


def test_trailing_punctuation_and_spaces_go_together():
    assert tolerant_form("Not found . :") == tolerant_form("not found") == "not found"
    assert tolerant_form(". :") == tolerant_form(".") == ""


def test_every_expectation_kind_has_one_matcher_and_a_row_in_the_guide():
    guide = (Path(__file__).resolve().parent.parent / "docs" / "spec-guide.md").read_text(encoding="utf-8")
    table = guide.split("### Expectations", 1)[1].split("\n### ", 1)[0]
    assert list(MATCHERS) == list(ExpectationKind)
    for kind, matcher in MATCHERS.items():
        assert matcher.kind is kind
        assert f"`{{{kind}: " in table, f"docs/spec-guide.md's table of expectations does not describe {kind}"
