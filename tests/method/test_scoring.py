from __future__ import annotations

import re

import pytest

from analytics.method.scoring import (
    ASCII_CASE_TWINS,
    PrefilterMatcher,
    Re2SetMatcher,
    ReferenceMatcher,
    make_matcher,
    record_score,
    score_records,
    surrogate_table,
)
from analytics.method.terms import DEFAULT_TERM_GROUPS, Term, TermGroup, all_terms

ENGINES = ("re2", "python", "reference")


def patterns(matched):
    return [term.pattern for term in matched]


@pytest.mark.parametrize("engine", ENGINES)
def test_score_is_the_capped_sum_of_distinct_matching_terms(engine):
    matcher = make_matcher(DEFAULT_TERM_GROUPS, engine=engine)
    text = "Intel: county  lines running from B'ham; crack and CRACK cocaine, cuckoo house on Elm St."
    scores = score_records([("R1", text), ("R2", "nothing to see"), ("R3", "a misper and a runner")], matcher)
    # COUNTY LINE 1.0 + CUCKOO 0.5 + CRACK 0.1 + COCAINE 0.1 = 1.7, capped at 1.
    assert scores["R1"].score == 1.0
    assert patterns(scores["R1"].matched) == [r"COUNTY\s+LINES?", r"CUCKOO\s+HOUSE", "COCAINE", "CRACK"]
    assert "R2" not in scores
    # MISPER 0.1 + RUNNER 0.1 = 0.2 exactly (not 0.20000000000000001).
    assert scores["R3"].score == 0.2


def test_three_tenths_add_up_to_exactly_point_three():
    terms = [Term("T", 0.1, p) for p in ("A", "B", "C")]
    assert record_score(terms) == 0.3


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("weed_", []),  # underscore is a word character: no boundary
        ("_weed", []),
        ("weed2", []),
        ("weed-2", ["WEED"]),
        ("\u00e9weed", []),  # é is a word character for Python's \b
        ("weed\u00e9", []),
        ("weed\u0301", ["WEED"]),  # a combining accent is not a word character
        ("\u017fmack", ["SMACK"]),  # long s matches S case-insensitively in Python
        ("\u212aetamine", ["KETAMINE"]),  # Kelvin sign matches K
        ("cuckoo\u00a0house", [r"CUCKOO\s+HOUSE"]),  # no-break space is \s in Python
        ("cuckoo\x0bhouse", [r"CUCKOO\s+HOUSE"]),  # vertical tab: \s in Python, not in RE2
        ("cuckoo\x1chouse", [r"CUCKOO\s+HOUSE"]),
        ("COUNTY\nLINE", [r"COUNTY\s+LINES?"]),
        ("\u0663weed", []),  # Arabic-Indic digit three is a word character
        ("\U0001f642weed\U0001f642", ["WEED"]),
        ("WeEd", ["WEED"]),
        ("", []),
    ],
)
def test_word_boundaries_and_case_follow_pythons_re(engine, text, expected):
    matcher = make_matcher(DEFAULT_TERM_GROUPS, engine=engine)
    assert patterns(matcher.match(text)) == expected


def test_engines_agree_on_patterns_that_mention_the_placeholders():
    # "_", every digit and every letter are mentioned, so non-ASCII word characters and digits
    # have no free placeholder: such texts must go to the reference engine.
    groups = (TermGroup("G", 0.5, (r"A_\w", "[0-9]X", "[A-Z]Q", r"Z\d\s")),)
    fast, reference = Re2SetMatcher(all_terms(groups)), ReferenceMatcher(all_terms(groups))
    texts = ["a_\u00e9", "a_b", "5x", "\u0665x", "bq", "\u00e9q", "z9\u2003", "z\u0669 ", "A_\u0663"]
    for text in texts:
        assert fast.match(text) == reference.match(text), text
    assert fast.reference_texts > 0


def test_the_surrogate_table_avoids_mentioned_characters():
    table = surrogate_table(frozenset("_qQ0"))
    assert chr(table[0x80]) == "Z"  # word placeholder: "_" and Q are taken
    assert chr(table[0x81]) == "1"
    assert table[0x82] == ord("\t")
    assert table[0x0B] == ord("\t")
    assert table[0x84] == 0xFF  # no other byte above ASCII is ever produced
    assert surrogate_table(frozenset("0123456789"))[0x81] == 0xFF  # no free digit: reference engine


def test_the_characters_that_fold_to_ascii_are_exactly_the_known_four():
    every_other = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    in_ascii_range = set(re.findall(r"[\x00-\x7f]", every_other, re.IGNORECASE))
    ascii_literals = "|".join(re.escape(chr(c)) for c in range(0x80))
    equal_to_a_literal = set(re.findall(ascii_literals, every_other, re.IGNORECASE))
    assert in_ascii_range | equal_to_a_literal == set(ASCII_CASE_TWINS)


def test_each_case_twin_behaves_exactly_like_its_ascii_letter():
    # Every single-character construct a fast pattern can contain: ASCII literals (alone, in a
    # class, negated), every range of printable ASCII (plain and negated), categories, dot.
    patterns = [r"\d", r"\D", r"\s", r"\S", r"\w", r"\W", "."]
    for code in range(0x20, 0x7F):
        char = re.escape(chr(code))
        patterns += [char, f"[{char}]", f"[^{char}]"]
        for high in range(code, 0x7F):
            span = f"{char}-{re.escape(chr(high))}"
            patterns += [f"[{span}]", f"[^{span}]"]
    for pattern in patterns:
        expression = re.compile(pattern, re.IGNORECASE)
        for twin, letter in ASCII_CASE_TWINS.items():
            assert bool(expression.fullmatch(twin)) == bool(expression.fullmatch(letter)), (pattern, twin)


def test_terms_outside_the_fast_subset_still_match_exactly():
    # A backreference cannot go to RE2: the fast matcher searches it with `re` on every text.
    groups = (TermGroup("G", 0.4, (r"(AB)\1", "WEED")),)
    fast = Re2SetMatcher(all_terms(groups))
    assert fast.reference_only == [0]
    assert patterns(fast.match("abab and weed")) == [r"(AB)\1", "WEED"]
    assert patterns(PrefilterMatcher(all_terms(groups)).match("ABAB")) == [r"(AB)\1"]


def test_a_term_in_two_groups_counts_in_both():
    groups = (TermGroup("A", 0.25, ("X",)), TermGroup("B", 0.5, ("X",)))
    scored = score_records([("R", "x")], make_matcher(groups))
    assert scored["R"].score == 0.75
    assert [t.group for t in scored["R"].matched] == ["A", "B"]


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown matching engine"):
        make_matcher(DEFAULT_TERM_GROUPS, engine="hyperscan")
