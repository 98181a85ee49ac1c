"""What each compiled Scheme procedure is (name, position, parameter counts), keyed by the id of its code object."""

from __future__ import annotations


class ProcedureInfo:
    """A compiled Scheme procedure's name, position and parameter counts (shared by all its closures)."""

    __slots__ = ("name", "position", "required", "rest", "code")

    def __init__(self, name, position, required: int, rest: bool, code) -> None:
        self.name = name
        self.position = position
        self.required = required
        self.rest = rest
        self.code = code  # kept alive, so the id key stays its own


# id(code object) -> ProcedureInfo; filled by runtime.procedure_code when a procedure is compiled.
PROCEDURES: dict[int, ProcedureInfo] = {}


def scheme_name(function) -> str | None:
    """The Scheme name of a compiled procedure (a Python function), or None for anything else."""
    code = getattr(function, "__code__", None)
    info = PROCEDURES.get(id(code)) if code is not None else None
    return info.name if info is not None else None
