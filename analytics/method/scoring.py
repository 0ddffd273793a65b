"""Record score s(r) = min(1, sum of the weights of the distinct terms that match r.text).

The contract is the plain semantics (`ReferenceMatcher`): one `re.compile(r"\\b(?:TERM)\\b",
re.IGNORECASE)` per term, searched row by row. `Re2SetMatcher` gives exactly the same matched
terms an order of magnitude faster by running all terms in one pass with RE2's multi-pattern
`Set`; `PrefilterMatcher` is the pure-Python fallback used when `google-re2` is not importable.

Why the fast engine is exact. Python's `re` and RE2 disagree on some inputs: RE2's `\\b`, `\\w`,
`\\d` are ASCII-only while Python's are Unicode-aware; RE2's `\\s` omits \\v and \\x1c-\\x1f;
Python's case-insensitive `i`, `s`, `k` also match the non-ASCII `ı`, `İ`, `ſ` and the Kelvin sign.
So the fast engine never shows RE2 the original text. It shows it an ASCII *surrogate* in which

- ASCII characters stand for themselves, except \\v and \\x1c-\\x1f which become a tab;
- `ı İ ſ K` become the ASCII letter they fold to (i, i, s, k): for every construct of the
  supported subset Python's `re` treats each exactly like that letter (a test checks all
  literals, ranges and categories exhaustively);
- every other character becomes an ASCII placeholder of the same class in Python's terms:
  a word character (`_` or a letter no pattern mentions), a decimal digit (a digit no pattern
  mentions), white space (a tab) or anything else (\\x01).

Patterns are translated from Python's own parse tree (`terms.describe_for_re2`) and accepted for
the fast path only if they are ASCII, use no anchors, look-around or backreferences, and mention
no control characters. For such a pattern every construct - literal, class, category, `.`, `\\b`
- treats a character and its stand-in alike (placeholders are chosen among characters the
patterns never mention), and on ASCII text Python and RE2 agree construct by construct. A text
that would need a placeholder no unmentioned character can play (only possible when the terms
mention "_" and every letter, or every digit) is matched by the reference engine instead. A
property test (`tests/method/test_scoring_property.py`) checks the equality on generated texts
and patterns.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import sre_parse  # typeshed's name for `re._parser` (see terms.py)
else:
    from re import _parser as sre_parse

from .numeric import capped_sum
from .terms import Term, TermGroup, UnsupportedPattern, all_terms, describe_for_re2, wrapped


@dataclass(frozen=True, slots=True)
class RecordScore:
    """A record that matched at least one term: its score and the terms behind it."""

    record_id: str
    score: float
    matched: tuple[Term, ...]


class TermMatcher(Protocol):
    terms: tuple[Term, ...]

    def match(self, text: str) -> tuple[Term, ...]:
        """The terms that match `text`, each once, in the order of `terms`."""
        ...


def record_score(matched: Iterable[Term]) -> float:
    """s(r) for a record whose matched (distinct) terms are `matched`."""
    return capped_sum(term.weight for term in matched)


def score_records(records: Iterable[tuple[str, str]], matcher: TermMatcher) -> dict[str, RecordScore]:
    """Score (record_id, text) pairs; only records matching at least one term are returned.

    A record absent from the result has score 0 and no matched terms.
    """
    match = matcher.match
    scores: dict[str, RecordScore] = {}
    for record_id, text in records:
        if not text:  # an empty text matches no term (a term must match at least one character)
            continue
        matched = match(text)
        if matched:
            scores[record_id] = RecordScore(record_id, record_score(matched), matched)
    return scores


def make_matcher(groups: Sequence[TermGroup], *, engine: str = "auto") -> TermMatcher:
    """The matcher for `groups`: "re2" (fast), "python" (pure-Python fallback), "reference"
    (the plain contract, slow), or "auto" (re2 when importable, else python)."""
    terms = all_terms(tuple(groups))
    if engine == "reference":
        return ReferenceMatcher(terms)
    if engine == "python":
        return PrefilterMatcher(terms)
    if engine not in ("auto", "re2"):
        raise ValueError(f"unknown matching engine {engine!r}")
    try:
        return Re2SetMatcher(terms)
    except ImportError:
        if engine == "re2":
            raise
        return PrefilterMatcher(terms)


def _compile_reference(term: Term) -> re.Pattern[str]:
    return re.compile(wrapped(term.pattern), re.IGNORECASE)


class ReferenceMatcher:
    """The contract, literally: one compiled expression per term, applied to each text."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = tuple(terms)
        self._compiled = [(term, _compile_reference(term)) for term in self.terms]

    def match(self, text: str) -> tuple[Term, ...]:
        return tuple(term for term, expression in self._compiled if expression.search(text))


class PrefilterMatcher:
    """Pure-Python fallback: one search for any term (without word boundaries) rules most texts
    out; only texts it finds something in are searched term by term.

    Exact: if `\\b(?:T)\\b` matches a text then `T` does, so the alternation of all T finds it.
    Terms outside the fast-engine subset (they might use backreferences, whose numbering an
    alternation would break) are searched in every text.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = tuple(terms)
        self._compiled = [_compile_reference(term) for term in self.terms]
        plain: list[int] = []
        always: list[int] = []
        for index, term in enumerate(self.terms):
            (plain if _is_fast_capable(term) else always).append(index)
        self._plain = plain
        self._always = always
        self._any = (
            re.compile("|".join(f"(?:{self.terms[i].pattern})" for i in plain), re.IGNORECASE) if plain else None
        )

    def match(self, text: str) -> tuple[Term, ...]:
        indices = [i for i in self._always if self._compiled[i].search(text)]
        if self._any is not None and self._any.search(text):
            indices += [i for i in self._plain if self._compiled[i].search(text)]
            indices.sort()
        return tuple(self.terms[i] for i in indices)


def _is_fast_capable(term: Term) -> bool:
    try:
        describe_for_re2(sre_parse.parse(wrapped(term.pattern), re.IGNORECASE))
    except (UnsupportedPattern, re.error):
        return False
    return True


# --- the ASCII surrogate ---------------------------------------------------------------------

# The characters outside ASCII that Python's case-insensitive `re` matches with an ASCII letter
# (dotted and dotless i, long s, Kelvin sign), and that letter. Both facts are checked by brute
# force in tests/method/test_scoring.py.
ASCII_CASE_TWINS = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}

# Any other non-ASCII character is encoded as one byte >= 0x80 naming its class; each matcher's
# translation table then turns the class byte into that matcher's placeholder (or 0xFF).
_WORD, _DIGIT, _SPACE, _OTHER = b"\x80", b"\x81", b"\x82", b"\x83"
_UNMATCHABLE = 0xFF
_CLASSIFY_ERRORS = "analytics.method.scoring.classify"


@functools.lru_cache(maxsize=1 << 16)
def _class_byte(char: str) -> bytes:
    # Python's `re` on str: \w is isalnum() or "_", \d is isdecimal(), \s is isspace().
    if char in ASCII_CASE_TWINS:
        return ASCII_CASE_TWINS[char].encode("ascii")
    if char.isdecimal():
        return _DIGIT
    if char.isalnum():
        return _WORD
    if char.isspace():
        return _SPACE
    return _OTHER


def _classify_non_ascii(error: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start : error.end]
    return b"".join(map(_class_byte, chunk)), error.end


codecs.register_error(_CLASSIFY_ERRORS, _classify_non_ascii)

_WORD_PLACEHOLDERS = "_QZXJKVWYFGBHMPULCDRTNOIASE"
_DIGIT_PLACEHOLDERS = "0123456789"
# Not "\n" (`.` does not match it) and not \v (RE2's \s does not include it).
_SPACE_PLACEHOLDERS = "\t\f\r"
_OTHER_PLACEHOLDERS = "".join(map(chr, (*range(0x01, 0x09), *range(0x0E, 0x1C), 0x7F)))
_PYTHON_ONLY_SPACES = (0x0B, 0x1C, 0x1D, 0x1E, 0x1F)  # \s in Python, not in RE2


def _first_free(candidates: str, mentioned: frozenset[str]) -> int:
    free = next((char for char in candidates if char not in mentioned), None)
    return _UNMATCHABLE if free is None else ord(free)


def surrogate_table(mentioned: frozenset[str]) -> bytes:
    """The 256-byte translation from (ASCII text + class bytes) to the surrogate.

    `mentioned`: every ASCII character that some fast pattern's literals or ranges name, with its
    case variants. Placeholders are chosen outside it; a class with no free placeholder maps to
    0xFF, which sends the text to the reference engine.
    """
    table = bytearray(range(256))
    space = _first_free(_SPACE_PLACEHOLDERS, mentioned)
    for code in _PYTHON_ONLY_SPACES:
        table[code] = space if chr(code) not in mentioned else _UNMATCHABLE
    for code in range(0x80, 0x100):
        table[code] = _UNMATCHABLE
    table[_WORD[0]] = _first_free(_WORD_PLACEHOLDERS, mentioned)
    table[_DIGIT[0]] = _first_free(_DIGIT_PLACEHOLDERS, mentioned)
    table[_SPACE[0]] = space
    table[_OTHER[0]] = _first_free(_OTHER_PLACEHOLDERS, mentioned)
    return bytes(table)


class Re2SetMatcher:
    """All fast-capable terms in one RE2 `Set` pass over the ASCII surrogate of each text.

    Raises ImportError when google-re2 is not installed. `reference_texts` counts the texts that
    had to go to the reference engine (see module docstring); `reference_only` lists the terms
    (by position) it could not run at all, which are searched with `re` in every text.
    """

    # Generous DFA budget: with too little, RE2::Set reports "no match" instead of failing.
    MAX_MEMORY = 256 << 20

    def __init__(self, terms: Sequence[Term]) -> None:
        import re2

        self.terms = tuple(terms)
        self._compiled = [_compile_reference(term) for term in self.terms]
        options = re2.Options()
        options.encoding = re2.Options.Encoding.LATIN1
        options.max_mem = self.MAX_MEMORY
        self._set = re2.Set.SearchSet(options)
        self._set_terms: list[int] = []
        self.reference_only: list[int] = []
        mentioned: set[str] = set()
        for index, term in enumerate(self.terms):
            try:
                translation = describe_for_re2(sre_parse.parse(wrapped(term.pattern), re.IGNORECASE))
                self._set.Add("(?i)" + translation.expression)
            except (UnsupportedPattern, re.error, re2.error):
                self.reference_only.append(index)
                continue
            self._set_terms.append(index)
            mentioned |= translation.mentioned
        self._has_set = bool(self._set_terms)
        if self._has_set:
            self._set.Compile()
        self._table = surrogate_table(frozenset(mentioned))
        self.reference_texts = 0

    def surrogate(self, text: str) -> bytes | None:
        """The ASCII text RE2 is shown, or None when only the reference engine can be exact."""
        data = text.encode("ascii", _CLASSIFY_ERRORS).translate(self._table)
        return None if _UNMATCHABLE in data else data

    def match(self, text: str) -> tuple[Term, ...]:
        data = self.surrogate(text)
        if data is None:
            self.reference_texts += 1
            return tuple(
                term for term, expression in zip(self.terms, self._compiled, strict=True) if expression.search(text)
            )
        indices = [i for i in self.reference_only if self._compiled[i].search(text)]
        if self._has_set:
            found = self._set.Match(data)
            if found:
                indices.extend(self._set_terms[i] for i in found)
                indices.sort()
        return tuple(self.terms[i] for i in indices)
