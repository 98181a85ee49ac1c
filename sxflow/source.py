"""Source texts and positions in them, so any error can show its file, line, column and caret."""

from __future__ import annotations


class Source:
    """A named text that was read; positions refer to it as ``(source, line, column)``, 1-based."""

    __slots__ = ("name", "text", "_lines")

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self._lines: list[str] | None = None

    def line_text(self, line: int) -> str:
        """The text of line ``line`` (1-based), without its line break; "" past the end."""
        if self._lines is None:
            self._lines = self.text.split("\n")
        if 1 <= line <= len(self._lines):
            return self._lines[line - 1].rstrip("\r")
        return ""

    def __repr__(self) -> str:
        return f"Source({self.name!r})"


def format_position(position) -> str:
    """``name:line:column`` for a position tuple, or "" for None."""
    if position is None:
        return ""
    source, line, column = position
    return f"{source.name}:{line}:{column}"


def caret_excerpt(position) -> str:
    """The source line of a position and a caret under its column (two lines), or ""."""
    if position is None:
        return ""
    source, line, column = position
    text = source.line_text(line)
    if not text:
        return ""
    # Tabs keep their width so the caret lines up under the same character.
    pad = "".join("\t" if ch == "\t" else " " for ch in text[: max(column - 1, 0)])
    return f"  {text}\n  {pad}^"


# Names for program texts that reach ``scheme-parse-all`` as strings: the flow library
# keeps its code in string globals, and an error inside it should name the library
# file and the global, not "<scheme-parse-all>". Filled by flow.load_flow.
TEXT_NAMES: dict[str, str] = {}


def name_text(text: str, name: str) -> None:
    """Have ``scheme-parse-all`` of exactly ``text`` read it under the file name ``name``."""
    TEXT_NAMES[text] = name
