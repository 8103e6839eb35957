"""Source spans and the error types of optc.

Every AST node and IR op carries a `Span`; every user mistake is an `OptcError` that renders as
`file:line:col: error: message`, the source line and a caret under the span. Failures of optc
itself are `InternalError`s: they name the op and ask for a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, eq=False)
class SourceFile:
    """The text of one `.opt` file and its display name."""

    name: str
    text: str

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset) + 1
        start = self.text.rfind("\n", 0, offset) + 1
        return line, offset - start + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        lines = self.text.split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else ""


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) in a source file."""

    file: SourceFile = field(compare=False, repr=False)
    start: int
    end: int

    @property
    def line(self) -> int:
        return self.file.line_col(self.start)[0]

    @property
    def col(self) -> int:
        return self.file.line_col(self.start)[1]

    def __str__(self) -> str:
        line, col = self.file.line_col(self.start)
        return f"{self.file.name}:{line}:{col}"

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(self.file, min(self.start, other.start), max(self.end, other.end))

    def excerpt(self) -> str:
        """The source line of the span's start with a caret line under the span."""
        line, col = self.file.line_col(self.start)
        text = self.file.line_text(line)
        end_line, end_col = self.file.line_col(max(self.start, self.end - 1))
        width = (end_col - col + 1) if end_line == line else max(1, len(text) - col + 1)
        width = max(1, width)
        prefix = "".join(ch if ch == "\t" else " " for ch in text[: col - 1])
        return f"  {text}\n  {prefix}{'^' * width}"


class OptcError(Exception):
    """A user error: bad source, bad call, or bad data. Rendered for people, never a traceback."""

    def __init__(self, message: str, span: Span | None = None, notes: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.span = span
        self.notes = tuple(notes)

    def __str__(self) -> str:
        if self.span is None:
            head = f"error: {self.message}"
        else:
            head = f"{self.span}: error: {self.message}\n{self.span.excerpt()}"
        return "\n".join([head, *(f"note: {n}" for n in self.notes)])


class InternalError(Exception):
    """A bug in optc itself (a pass or backend broke an invariant). Please report it."""

    def __init__(self, message: str, excerpt: str = ""):
        text = f"internal error: {message}"
        if excerpt:
            text += f"\n{excerpt}"
        super().__init__(text + "\nthis is a bug in optc; please report it with the program that caused it")


def did_you_mean(name: str, candidates) -> str:
    """A ' (did you mean `x`?)' suffix naming the closest candidate, or ''."""
    import difflib

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""
