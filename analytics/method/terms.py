"""Search terms: groups of case-insensitive regular expressions, each group with a weight.

A record's text matches a term when Python's `re` finds `\\b(?:TERM)\\b` in it with
`re.IGNORECASE` (METHOD.md section 2). `DEFAULT_TERM_GROUPS` is the table of the source's
appendix 6.1; users may edit it, so `term_pattern_problem` tells a form why a pattern cannot be
accepted.

Choice of further drug street names (the source lists COCAINE, CRACK, HEROIN, WEED, SMACK and an
unspecified "OTHER"): we add words that are drug names in UK police free text and rarely anything
else - SKUNK, CANNABIS, SKAG, SCAG, DIAMORPHINE, KETAMINE, MDMA, MAMBA. We deliberately leave out
street names that are everyday English words or common names, because each false hit adds 0.1 to
an innocent record: CHARLIE (a first name), BROWN and WHITE (colours, surnames), GEAR, DARK, FOOD,
ROCKS, STONES, GRASS (also "informant"), PILLS and SPICE (cookery, medicine).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    # typeshed describes Python's regex parser only under its deprecated public names, which
    # alias the same modules; importing those at run time would warn.
    import sre_constants as sre
    import sre_parse
else:
    from re import _constants as sre
    from re import _parser as sre_parse

MAX_PATTERN_LENGTH = 200
MAX_REPEAT_COUNT = 1000  # RE2's limit for {n,m}


@dataclass(frozen=True, slots=True)
class Term:
    """One search term: its pattern, and the group (name, weight, whether it marks cuckooing) it
    belongs to."""

    group: str
    weight: float
    pattern: str
    marks_cuckooing: bool = False


@dataclass(frozen=True, slots=True)
class TermGroup:
    """A named group of patterns that all carry the group's weight.

    `marks_cuckooing`: a VICTIM on a record matching one of the group's terms is a vulnerable
    adult (METHOD.md section 6). The rule follows this property, not the group's name, so a
    supervisor may rename the group without switching the rule off; exactly one group of a
    saved version carries it (the portal's validator insists).
    """

    name: str
    weight: float
    patterns: tuple[str, ...]
    marks_cuckooing: bool = False

    def terms(self) -> tuple[Term, ...]:
        return tuple(Term(self.name, self.weight, pattern, self.marks_cuckooing) for pattern in self.patterns)


DEFAULT_TERM_GROUPS: tuple[TermGroup, ...] = (
    TermGroup("COUNTY LINE", 1.0, (r"COUNTY\s+LINES?",)),
    TermGroup("CL WORDS", 0.7, ("CLMIDDLE", "CLCRACK", "CLILLICIT", "CLRECRUIT")),
    TermGroup(
        "CUCKOO",
        0.5,
        ("CUCKOOED", r"CUCKOO\s+HOUSE", r"CUCKOO\s+FLAT", r"CUCKOO\s+PROPERTY"),
        marks_cuckooing=True,
    ),
    TermGroup("DRUGS LINE", 0.4, (r"DRUGS?\s+LINES?",)),
    TermGroup("MISPER", 0.1, ("MISPER", r"MISSING\s+PERSON")),
    TermGroup(
        "OTHER",
        0.1,
        ("RUNNER", r"RUNNING\s+DRUGS?", "PWITS", r"POSSESSION\s+WITH\s+INTENT"),
    ),
    TermGroup(
        "DRUG WORDS",
        0.1,
        (
            "COCAINE",
            "CRACK",
            "HEROIN",
            "WEED",
            "SMACK",
            "SKUNK",
            "CANNABIS",
            "SKAG",
            "SCAG",
            "DIAMORPHINE",
            "KETAMINE",
            "MDMA",
            "MAMBA",
        ),
    ),
)


def all_terms(groups: tuple[TermGroup, ...] | list[TermGroup]) -> tuple[Term, ...]:
    """The distinct terms of `groups`, in table order (a pattern repeated in a group counts once)."""
    return tuple(dict.fromkeys(term for group in groups for term in group.terms()))


def wrapped(pattern: str) -> str:
    """The expression actually searched for: the term on word boundaries."""
    return r"\b(?:" + pattern + r")\b"


class UnsupportedPattern(ValueError):
    """The fast engine cannot run this pattern; the message says why, in words for a form."""


def term_pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a search term, or None when it can.

    A term must compile with Python's `re`, must not match an empty string (a term that can match
    nothing would match every record), and may use only what the fast engine runs with exactly the
    same meaning: ASCII literals, character classes, `.`, `\\d \\w \\s` and their negations,
    `\\b \\B`, groups, alternation and repetition (counts up to 1000). Anchors, look-around,
    backreferences, inline flags, control characters, and repeated groups that themselves repeat
    or have alternatives (`(A+)+`, `(A|AB)+`: exponential time in Python's `re`) are refused.
    """
    if not pattern.strip():
        return "The pattern is empty."
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"The pattern is longer than {MAX_PATTERN_LENGTH} characters."
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except re.error as error:
        where = f" at position {error.pos}" if error.pos is not None else ""
        return f"The pattern is not a valid regular expression: {error.msg}{where}."
    try:
        re.compile(wrapped(pattern), re.IGNORECASE)
    except re.error:
        # Valid alone but not inside \b(?:...)\b: only global flags such as "(?s)" do that.
        return "Inline flags such as (?i) or (?s) are not supported."
    if parsed.getwidth()[0] == 0:
        return "The pattern can match an empty string, so it would match every record."
    try:
        describe_for_re2(parsed)
    except UnsupportedPattern as problem:
        return str(problem)
    return None


@dataclass(frozen=True, slots=True)
class Re2Translation:
    """A parsed pattern in RE2 syntax, plus the ASCII characters its literals and ranges name."""

    expression: str
    mentioned: frozenset[str]


def describe_for_re2(parsed: sre_parse.SubPattern) -> Re2Translation:
    """Translate Python's parse tree of a pattern into RE2 syntax with the same meaning.

    Working from Python's own parse tree (not the pattern text) means the two engines can never
    disagree about syntax (`{,3}`, escapes, `]` first in a class...). Every character is emitted
    as `\\x{..}`. Raises UnsupportedPattern for anything outside the supported subset, including
    non-ASCII characters (on ASCII text the two engines' case folding is then identical).
    """
    emitter = _Re2Emitter()
    expression = emitter.sequence(parsed.data)
    return Re2Translation(expression, frozenset(emitter.mentioned))


_CATEGORY_CLASSES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}
_REFUSED = {
    sre.GROUPREF: "Backreferences (\\1) are not supported.",
    sre.GROUPREF_EXISTS: "Conditional groups are not supported.",
    sre.ASSERT: "Look-ahead and look-behind are not supported.",
    sre.ASSERT_NOT: "Look-ahead and look-behind are not supported.",
    sre.ATOMIC_GROUP: "Atomic groups are not supported.",
    sre.POSSESSIVE_REPEAT: "Possessive repeats are not supported.",
}


# RE2 runs such patterns in linear time, but the reference engine (Python's backtracking `re`)
# can take exponential time on them, and it still runs where the fast engine cannot.
_NESTED_REPETITION = (
    "A repeated group may not contain alternatives or a variable repeat, such as (A+)+, (A?A)+ "
    "or (A|AB)+: matching it can take exponential time."
)


def _char(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{{{code:x}}}"


class _Re2Emitter:
    """Walks Python's parse tree, emitting RE2 syntax and noting the characters named."""

    def __init__(self) -> None:
        self.mentioned: set[str] = set()
        self._inside_repetition = False

    def mention(self, code: int) -> None:
        if code > 0x7F:
            raise UnsupportedPattern(f"Only ASCII characters are supported; {chr(code)!r} is not ASCII.")
        if code < 0x20 or code == 0x7F:
            raise UnsupportedPattern("Control characters (tab, newline...) are not supported; use \\s.")
        char = chr(code)
        self.mentioned.update((char, char.lower(), char.upper()))

    # The shape of a parse-tree item's argument depends on the value of its opcode, which the
    # type system cannot express (typeshed types it as a loose union), so each branch below
    # casts the argument to the shape `re._parser` builds for that opcode.

    def sequence(self, items: Iterable[tuple[object, object]]) -> str:
        return "".join(self.one(op, argument) for op, argument in items)

    def one(self, op: object, argument: object) -> str:
        if op is sre.LITERAL:
            self.mention(cast(int, argument))
            return _char(cast(int, argument))
        if op is sre.NOT_LITERAL:
            self.mention(cast(int, argument))
            return "[^" + _char(cast(int, argument)) + "]"
        if op is sre.ANY:
            return "."
        if op is sre.IN:
            return self.character_class(cast(list[tuple[object, object]], argument))
        if op is sre.BRANCH:
            if self._inside_repetition:
                raise UnsupportedPattern(_NESTED_REPETITION)
            _, alternatives = cast(tuple[None, list[sre_parse.SubPattern]], argument)
            return "(?:" + "|".join(self.sequence(alt.data) for alt in alternatives) + ")"
        if op is sre.SUBPATTERN:
            _group, add_flags, del_flags, inner = cast(tuple[int | None, int, int, sre_parse.SubPattern], argument)
            if add_flags or del_flags:
                raise UnsupportedPattern("Inline flags such as (?i) or (?s) are not supported.")
            return "(?:" + self.sequence(inner.data) + ")"
        if op is sre.MAX_REPEAT or op is sre.MIN_REPEAT:
            return self.repeat(op, *cast(tuple[int, int, sre_parse.SubPattern], argument))
        if op is sre.AT:
            if argument is sre.AT_BOUNDARY:
                return r"\b"
            if argument is sre.AT_NON_BOUNDARY:
                return r"\B"
            raise UnsupportedPattern(
                "Anchors (^ $ \\A \\Z) are not supported: terms are always matched on word boundaries."
            )
        if op in _REFUSED:
            raise UnsupportedPattern(_REFUSED[op])
        raise UnsupportedPattern(f"The construct {op} is not supported.")

    def repeat(self, op: object, low: int, high: int, inner: sre_parse.SubPattern) -> str:
        if low > MAX_REPEAT_COUNT or (high != sre.MAXREPEAT and high > MAX_REPEAT_COUNT):
            raise UnsupportedPattern(f"Repetition counts above {MAX_REPEAT_COUNT} are not supported.")
        unbounded = high == sre.MAXREPEAT
        # Inside a repeated group, only fixed counts: A? or A+ there lets the group's copies
        # share out the text in exponentially many ways.
        if self._inside_repetition and low != high:
            raise UnsupportedPattern(_NESTED_REPETITION)
        repeating = unbounded or high > 1
        outer = self._inside_repetition
        self._inside_repetition = outer or repeating
        try:
            body = self.sequence(inner.data)
        finally:
            self._inside_repetition = outer
        bounds = f"{{{low},}}" if unbounded else f"{{{low},{high}}}"
        lazy = "?" if op is sre.MIN_REPEAT else ""
        return "(?:" + body + ")" + bounds + lazy

    def character_class(self, items: Iterable[tuple[object, object]]) -> str:
        parts: list[str] = []
        negate = ""
        for op, argument in items:
            if op is sre.NEGATE:
                negate = "^"
            elif op is sre.LITERAL:
                self.mention(cast(int, argument))
                parts.append(_char(cast(int, argument)))
            elif op is sre.RANGE:
                low, high = cast(tuple[int, int], argument)
                for code in range(low, high + 1):
                    self.mention(code)
                parts.append(_char(low) + "-" + _char(high))
            elif op is sre.CATEGORY and argument in _CATEGORY_CLASSES:
                parts.append(_CATEGORY_CLASSES[argument])
            else:
                raise UnsupportedPattern(f"The class item {op} is not supported.")
        return "[" + negate + "".join(parts) + "]"
