"""Index and range checks shared by the string and vector procedures (Python would accept -1 silently)."""

from __future__ import annotations

from ..runtime import fault


class IndexTypeError(TypeError):
    """An index that is not an exact integer; the caller's declared types explain it."""


def check_index(name: str, index, length: int, noun: str) -> int:
    """``index`` if it is a valid position in a sequence of ``length`` items, else a precise error."""
    if type(index) is not int:
        raise IndexTypeError("expected an exact integer index")
    if index < 0 or index >= length:
        raise fault(f"{name}: index {index} out of range for a {noun} of length {length}",
                    kind="wrong-type")
    return index


def check_range(name: str, start, end, length: int, noun: str) -> tuple[int, int]:
    """``(start, end)`` with R7RS defaults (0 and the length), checked: 0 <= start <= end <= length."""
    if end is None:
        end = length
    if type(start) is not int or type(end) is not int:
        raise IndexTypeError("expected exact integer bounds")
    if end < 0 or end > length:
        raise fault(f"{name}: end {end} out of range for a {noun} of length {length}", kind="wrong-type")
    if start < 0 or start > end:
        raise fault(f"{name}: start {start} out of range (must be between 0 and the end, {end})",
                    kind="wrong-type")
    return start, end
