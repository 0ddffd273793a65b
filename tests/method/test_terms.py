from __future__ import annotations

import pytest

from analytics.method.terms import DEFAULT_TERM_GROUPS, Term, TermGroup, all_terms, term_pattern_problem


def test_default_groups_are_the_table_of_method_section_2():
    table = {group.name: (group.weight, group.patterns) for group in DEFAULT_TERM_GROUPS}
    assert table["COUNTY LINE"] == (1.0, (r"COUNTY\s+LINES?",))
    assert table["CL WORDS"] == (0.7, ("CLMIDDLE", "CLCRACK", "CLILLICIT", "CLRECRUIT"))
    assert table["CUCKOO"] == (0.5, ("CUCKOOED", r"CUCKOO\s+HOUSE", r"CUCKOO\s+FLAT", r"CUCKOO\s+PROPERTY"))
    assert table["DRUGS LINE"] == (0.4, (r"DRUGS?\s+LINES?",))
    assert table["MISPER"] == (0.1, ("MISPER", r"MISSING\s+PERSON"))
    assert table["OTHER"] == (0.1, ("RUNNER", r"RUNNING\s+DRUGS?", "PWITS", r"POSSESSION\s+WITH\s+INTENT"))
    weight, drug_words = table["DRUG WORDS"]
    assert weight == 0.1
    assert drug_words[:5] == ("COCAINE", "CRACK", "HEROIN", "WEED", "SMACK")
    assert len(drug_words) > 5


def test_only_the_default_cuckoo_group_marks_cuckooing():
    assert [group.name for group in DEFAULT_TERM_GROUPS if group.marks_cuckooing] == ["CUCKOO"]
    cuckoo = next(group for group in DEFAULT_TERM_GROUPS if group.marks_cuckooing)
    assert all(term.marks_cuckooing for term in cuckoo.terms())


def test_every_default_pattern_is_accepted_by_the_validator():
    for term in all_terms(DEFAULT_TERM_GROUPS):
        assert term_pattern_problem(term.pattern) is None, term


def test_a_pattern_repeated_in_a_group_is_one_term():
    groups = (TermGroup("G", 0.2, ("A", "B", "A")),)
    assert all_terms(groups) == (Term("G", 0.2, "A"), Term("G", 0.2, "B"))


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("COUNTY(", "not a valid regular expression: missing ), unterminated subpattern at position 6"),
        ("[abc", "not a valid regular expression: unterminated character set at position 0"),
        ("a*", "empty string"),
        ("(?:)", "empty string"),
        ("LINE|", "empty string"),
        ("^COUNTY", "Anchors"),
        ("LINES$", "Anchors"),
        (r"\ALINES", "Anchors"),
        (r"(A)\1", "Backreferences"),
        ("(?=A)B", "Look-ahead"),
        ("(?<!A)B", "Look-ahead"),
        ("(?i)CRACK", "Inline flags"),
        ("A(?s:.)B", "Inline flags"),
        ("CAF\u00c9", "Only ASCII"),
        ("A\tB", "Control characters"),
        ("A{1001}", "above 1000"),
        ("(?>AB)", "Atomic"),
        ("AB++", "Possessive"),
        ("(A+)+B", "exponential time"),
        ("(A|AB)+", "exponential time"),
        ("(A?A)+", "exponential time"),
        (r"(\w+\s*){1,10}", "exponential time"),
        ("A" * 201, "longer than 200"),
    ],
)
def test_the_validator_says_why_a_pattern_is_refused(pattern, reason):
    problem = term_pattern_problem(pattern)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "pattern",
    [
        r"COUNTY\s+LINES?",
        "A{,3}B",
        "[]A]",
        r"(?P<n>AB)C",
        r"[\s\d]+X",
        r"\x41B",
        "X(?#note)Y",
        r"C\BL",
        "A.{1,5}B",
        r"COUNTY(\s+|-)LINES?",
        "(A|B)+C",  # one character either way: a class, not an alternation
        "(AB{2})+",
    ],
)
def test_the_validator_accepts_the_supported_subset(pattern):
    assert term_pattern_problem(pattern) is None
