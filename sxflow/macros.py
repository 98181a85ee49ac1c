"""Hygienic macros: the renamed identifiers expansions introduce, and the Macro binding (syntax-rules is in sxflow.syntax_rules).

A macro use is expanded once, when the compiler meets it, and the expansion is
compiled like hand-written code, so it runs as fast. Hygiene works by renaming:
every identifier a template introduces becomes a fresh uninterned ``Symbol`` whose
``alias`` (a ``Renaming``) records the identifier it stands for and the compile-time
scope where the macro was defined.

- A binding form in the expansion binds the alias itself, so it can never capture
  a user's variable of the same name (the classic ``my-or`` with a variable ``temp``).
- A free alias means what its original meant where the macro was defined:
  ``compiler.resolve`` looks the alias up from the use site outward and, on reaching
  the definition's scope, continues with the original name. A user's local ``if``
  between the definition and the use cannot shadow the template's ``if``.
- ``quote`` strips aliases back to plain symbols (``strip_syntax``).

Pairs an expansion builds carry the source position of the macro use, so an error
inside expanded code points at the use; pieces of the use itself keep their own.

The ``syntax-rules`` matcher and expander (``sxflow.syntax_rules``) is imported on the
first macro definition (through ``sxflow.deferred``): a start-up need not compile it.
"""

from __future__ import annotations

from . import deferred
from .data import Pair, Symbol, Vector

ELLIPSIS, UNDERSCORE = Symbol("..."), Symbol("_")
SYNTAX_RULES = Symbol("syntax-rules")

# How many aliases were ever made: while none exist, quoted data need no stripping.
_aliases_made = [0]


class Renaming:
    """What an alias stands for: ``original`` (a symbol, maybe itself an alias) as seen from ``scope``."""

    __slots__ = ("original", "scope", "root")

    def __init__(self, original: Symbol, scope) -> None:
        self.original = original
        self.scope = scope  # the compile-time Scope of the macro's definition; None for top level
        self.root = original.alias.root if original.alias is not None else original


def rename(symbol: Symbol, scope) -> Symbol:
    """A fresh alias of ``symbol`` for a template expanded from a macro defined in ``scope``."""
    alias = object.__new__(Symbol)
    alias.name = symbol.name
    alias.alias = Renaming(symbol, scope)
    _aliases_made[0] += 1
    return alias


def root_of(value):
    """The plain symbol an alias (through any number of renamings) stands for; other values as they are."""
    if type(value) is Symbol and value.alias is not None:
        return value.alias.root
    return value


def strip_syntax(datum):
    """``datum`` with every alias replaced by its plain symbol (a copy only when there is one)."""
    if not _aliases_made[0] or not _has_alias(datum):
        return datum
    copies: dict[int, object] = {}

    def copy(value):
        if type(value) is Symbol:
            return root_of(value)
        if type(value) is Vector:
            existing = copies.get(id(value))
            if existing is None:
                existing = copies[id(value)] = Vector()
                existing.extend(copy(item) for item in value)
            return existing
        if not isinstance(value, Pair):
            return value
        existing = copies.get(id(value))
        if existing is not None:
            return existing
        head = cell = copies[id(value)] = Pair(None, None)
        current = value
        while True:  # along the spine iteratively, so long lists are fine
            cell.car = copy(current.car)
            following = current.cdr
            if not isinstance(following, Pair):
                cell.cdr = copy(following)
                return head
            known = copies.get(id(following))
            if known is not None:
                cell.cdr = known
                return head
            cell.cdr = copies[id(following)] = Pair(None, None)
            cell, current = cell.cdr, following

    return copy(datum)


def _has_alias(datum) -> bool:
    stack = [datum]
    seen: set[int] = set()
    while stack:
        value = stack.pop()
        while True:
            if type(value) is Symbol:
                if value.alias is not None:
                    return True
                break
            if type(value) is Vector:
                if id(value) not in seen:
                    seen.add(id(value))
                    stack.extend(value)
                break
            if not isinstance(value, Pair) or id(value) in seen:
                break
            seen.add(id(value))
            stack.append(value.car)
            value = value.cdr
    return False


def spine(value) -> tuple[list, object]:
    """The elements of a chain of pairs and what ends it; a circular chain counts as ([], value)."""
    items = []
    seen = 0
    start = value
    while isinstance(value, Pair):
        items.append(value.car)
        value = value.cdr
        seen += 1
        if value is start or seen > 10_000_000:
            return [], start
    return items, value


class Macro:
    """A compile-time binding of a keyword to a transformer."""

    __slots__ = ()
    name = "macro"

    def expand(self, form, use_scope, compiler, position):
        raise NotImplementedError

    def sx_write(self) -> str:
        return f"#<syntax {self.name}>"


def parse_syntax_rules(spec, name: str, scope, position, keyword_is):
    """The transformer a ``(syntax-rules ...)`` spec describes, its shape checked (see ``sxflow.syntax_rules``)."""
    return deferred.syntax_rules().parse_syntax_rules(spec, name, scope, position, keyword_is)
