"""Problems found in a bundle, worded so that the person who exported it can fix them."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

# Long values (free text) are cut in messages: the person needs to recognise the value, not reread it.
_VALUE_SHOWN_CHARS = 60


@dataclass(frozen=True)
class BundleProblem:
    """One thing wrong with a bundle.

    `file` is the file name as found or expected in the bundle (``records.csv``); `line` is 1-based
    with the header as line 1 (for a CSV row spanning several lines, the line where it starts; for
    Parquet, row index + 2); `column` is the header name. `value` is the offending value as read,
    `issue` says what is wrong with it and `expected` what would have been accepted. Any of `line`,
    `column` and `value` is None when it does not apply (a missing file has none of them).
    """

    file: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    _: KW_ONLY
    expected: str
    issue: str = "is not valid"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        what = self.issue if self.value is None else f"{_show(self.value)} {self.issue}"
        return f"{where}: {what}; expected {self.expected}"

    def as_dict(self) -> dict[str, str | int | None]:
        """JSON-ready form (e.g. for ImportBatch.errors), including the sentence a person reads."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "issue": self.issue,
            "expected": self.expected,
            "message": str(self),
        }


def _show(value: str) -> str:
    if len(value) > _VALUE_SHOWN_CHARS:
        value = value[: _VALUE_SHOWN_CHARS - 3] + "..."
    return repr(value)


class BundleError(Exception):
    """A bundle that must not be imported, with every problem found (up to the reader's limit).

    `truncated` is True when reading stopped at the limit, so more problems may exist.
    """

    def __init__(self, problems: list[BundleProblem], *, truncated: bool = False) -> None:
        if not problems:
            raise ValueError("BundleError needs at least one problem")
        self.problems = list(problems)
        self.truncated = truncated
        super().__init__(self._summary())

    def _summary(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the bundle"
        if self.truncated:
            head += f" (stopped after {count}; there may be more)"
        return head + ":\n" + "\n".join(f"  {problem}" for problem in self.problems)

    def __str__(self) -> str:
        return self._summary()
