"""Property: the fast engines find exactly the terms the plain `re` contract finds.

Texts mix term words in any case with spacing (including \\v, \\x1c and Unicode spaces),
punctuation, underscores, digits (ASCII and not), letters that fold to ASCII (ı İ ſ K), other
Unicode letters, combining marks and emoji - the places where RE2 and Python's `re` differ.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.method.scoring import PrefilterMatcher, Re2SetMatcher, ReferenceMatcher
from analytics.method.terms import DEFAULT_TERM_GROUPS, Term, all_terms, term_pattern_problem

WORDS = [
    "county",
    "lines",
    "line",
    "cuckoo",
    "cuckooed",
    "house",
    "flat",
    "property",
    "drug",
    "drugs",
    "misper",
    "missing",
    "person",
    "runner",
    "running",
    "pwits",
    "possession",
    "with",
    "intent",
    "cocaine",
    "crack",
    "heroin",
    "weed",
    "smack",
    "skunk",
    "clmiddle",
    "clcrack",
    "mdma",
    "ket",
]
SEPARATORS = [
    " ",
    "  ",
    "\t",
    "\n",
    "\x0b",
    "\x1c",
    "\x1f",
    "\x85",
    "\u00a0",
    "\u2003",
    "\u3000",
    "_",
    "-",
    ".",
    ",",
    "/",
    "'",
    "\u2019",
    "\u00a3",
    "(",
    ")",
    "",
]
ODD_CHARACTERS = [
    "\u00e9",
    "\u00df",
    "\u0131",
    "\u0130",
    "\u017f",
    "\u212a",
    "\u03a9",
    "\u0436",
    "\u4e2d",
    "\u0301",
    "\u0663",
    "\u00b2",
    "\u2167",
    "\U0001f642",
    "\x00",
    "\x01",
    "7",
    "0",
    "_",
]

DEFAULT_TERMS = all_terms(DEFAULT_TERM_GROUPS)
FAST = Re2SetMatcher(DEFAULT_TERMS)
PYTHON = PrefilterMatcher(DEFAULT_TERMS)
REFERENCE = ReferenceMatcher(DEFAULT_TERMS)


def cased(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flags: "".join(c.upper() if up else c for c, up in zip(word, flags, strict=True))
    )


fragment = st.one_of(
    st.sampled_from(WORDS).flatmap(cased),
    st.sampled_from(SEPARATORS),
    st.sampled_from(ODD_CHARACTERS),
    st.text(max_size=3),
)
texts = st.lists(fragment, max_size=14).map("".join)


@settings(max_examples=500, deadline=None, database=None)
@given(texts)
def test_fast_engines_match_the_reference_on_default_terms(text):
    expected = REFERENCE.match(text)
    assert FAST.match(text) == expected
    assert PYTHON.match(text) == expected


PIECES = [
    "CRACK",
    "HOUSE",
    "A",
    "B",
    "Q",
    "_X",
    "9",
    "K",
    "S",
    "I",
    "[a-z]",
    "[^a-z]",
    "[_0-9]",
    "[A-z]",
    "[^\\s]",
    r"\d",
    r"\w",
    r"\s",
    r"\W",
    r"\D",
    r"\S",
    ".",
    r"\b",
    r"\B",
]
SUFFIXES = ["", "", "", "+", "*", "?", "{1,3}", "{2}", "+?"]


@st.composite
def patterns(draw: st.DrawFn) -> str:
    def atom() -> str:
        if draw(st.integers(0, 5)) == 0:
            inner = "|".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=3)))
            return "(" + inner + ")" + draw(st.sampled_from(SUFFIXES))
        return draw(st.sampled_from(PIECES)) + draw(st.sampled_from(SUFFIXES))

    # At most three atoms: `\w+\w+\w+\w+` already makes Python's backtracking `re` (the
    # reference) slow on long texts.
    return "".join(atom() for _ in range(draw(st.integers(1, 3))))


alphabet_texts = st.lists(
    st.one_of(st.sampled_from(["crack", "house", "a", "b", "q", "k", "s", "i", "9", "_x"]), fragment),
    max_size=10,
).map("".join)


@settings(max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(patterns(), min_size=1, max_size=4), st.lists(alphabet_texts, min_size=1, max_size=12))
def test_fast_engines_match_the_reference_on_generated_patterns(pattern_list, text_list):
    accepted = [p for p in pattern_list if term_pattern_problem(p) is None]
    terms = [Term("G", 0.1, p) for p in dict.fromkeys(accepted)]
    fast, python, reference = Re2SetMatcher(terms), PrefilterMatcher(terms), ReferenceMatcher(terms)
    for text in text_list:
        expected = reference.match(text)
        assert fast.match(text) == expected, (text, terms)
        assert python.match(text) == expected, (text, terms)
