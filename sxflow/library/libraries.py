"""R7RS libraries as far as sxflow has them: `import`, `environment`, `null-environment`,
`scheme-report-environment` and `features`.

Every global environment already holds every standard procedure, so importing a
standard library (``(scheme base)``, ``(scheme write)`` …) makes nothing new
visible: ``import`` checks that each library is one sxflow provides (an unknown one
is a clear error) and, for ``prefix`` and ``rename`` import sets, defines the new
names as further names of the same procedures. ``only`` and ``except`` are accepted
but hide nothing.
"""

from __future__ import annotations

from ..compiler import constant_node, form_error, position_of, special_form, syntax_error
from ..data import NIL, Symbol, list_spine, make_list
from ..printer import write_string
from ..runtime import DEFERRED_BUILTINS, Environment, fault
from .registry import BUILTINS, INTERPRETER_BUILTINS, builtin, interpreter_builtin

# The libraries of R7RS-small, plus the SRFIs whose procedures sxflow provides.
STANDARD_LIBRARIES = frozenset([
    ("scheme", "base"), ("scheme", "case-lambda"), ("scheme", "char"), ("scheme", "complex"),
    ("scheme", "cxr"), ("scheme", "eval"), ("scheme", "file"), ("scheme", "inexact"), ("scheme", "lazy"),
    ("scheme", "load"), ("scheme", "process-context"), ("scheme", "read"), ("scheme", "repl"),
    ("scheme", "time"), ("scheme", "write"), ("scheme", "r5rs"),
    ("srfi", 1), ("srfi", 6), ("srfi", 23), ("srfi", 69),
])

# (features): what cond-expand would test.
FEATURES = ("r7rs", "exact-closed", "exact-complex", "ratios", "full-unicode", "ieee-float", "sxflow", "sxflow-0.1")

ONLY, EXCEPT, PREFIX, RENAME = Symbol("only"), Symbol("except"), Symbol("prefix"), Symbol("rename")


def _elements(value) -> list | None:
    try:
        items, tail = list_spine(value)
    except ValueError:
        return None
    return items if tail is NIL else None


def _library_text(name) -> str:
    return write_string(name)


def library_name(spec, describe) -> tuple:
    """The library name ``spec`` (a list like ``(scheme base)``) as a tuple, checked against the known ones.

    ``describe(message)`` makes the error to raise.
    """
    parts = _elements(spec)
    if not parts or not all(type(part) is Symbol or (type(part) is int and part >= 0) for part in parts):
        raise describe(f"bad library name {_library_text(spec)}: expected a list of symbols and numbers "
                       "such as (scheme base)")
    key = tuple(part.name if type(part) is Symbol else part for part in parts)
    if key not in STANDARD_LIBRARIES:
        raise describe(f"unknown library {_library_text(spec)}: sxflow provides "
                       + ", ".join(f"({' '.join(map(str, name))})" for name in sorted(STANDARD_LIBRARIES, key=str)))
    return key


def import_set_aliases(spec, describe) -> list:
    """Check one import set; the (new name, old name) pairs it adds (from prefix and rename)."""
    parts = _elements(spec)
    head = parts[0] if parts else None
    if head in (ONLY, EXCEPT, PREFIX, RENAME) and len(parts) >= 2:
        inner = import_set_aliases(parts[1], describe)
        names = parts[2:]
        if head is PREFIX:
            if len(names) != 1 or type(names[0]) is not Symbol:
                raise describe(f"bad import set {_library_text(spec)}: expected (prefix import-set identifier)")
            return [(Symbol(names[0].name + new.name), old) for new, old in inner or _all_names()]
        if head is RENAME:
            renamed = []
            for pair in names:
                both = _elements(pair)
                if not both or len(both) != 2 or not all(type(name) is Symbol for name in both):
                    raise describe(f"bad import set {_library_text(spec)}: expected (rename import-set "
                                   "(old new) ...)")
                renamed.append((both[1], both[0]))
            return inner + renamed
        if not all(type(name) is Symbol for name in names):
            raise describe(f"bad import set {_library_text(spec)}: expected identifiers after the import set")
        return inner
    library_name(spec, describe)
    return []


def _all_names() -> list:
    # The deferred builtins too: bound in every standard environment, module loaded or not.
    names = dict.fromkeys((*BUILTINS, *INTERPRETER_BUILTINS, *DEFERRED_BUILTINS))
    return [(Symbol(name), Symbol(name)) for name in names]


@special_form("import", shape="(import import-set ...), e.g. (import (scheme base) (scheme write))")
def compile_import(compiler, form, scope, tail, position):
    position = position_of(form, position)
    if scope is not None:
        raise syntax_error("import: only at the top level of a program", position)
    specs = _elements(form)
    if specs is None:
        raise form_error(compile_import, form, position)
    aliases = []
    for spec in specs[1:]:
        aliases.extend(import_set_aliases(spec, lambda message: syntax_error(f"import: {message}", position)))
    if not aliases:
        return constant_node(None)
    environment = compiler.environment

    def node(frame):
        for new, old in aliases:
            if environment.is_bound(old):
                environment.define(new, environment.lookup(old))
        return None

    return node


@interpreter_builtin("environment", rest="list")
def make_environment(interpreter):
    """(environment '(scheme base) ...): a fresh environment with the standard procedures."""

    def environment(*specs):
        for spec in specs:
            library_name(spec, lambda message: fault(f"environment: {message}", kind="wrong-type"))
        return interpreter.new_environment("environment")

    return environment


def _report_version(name: str, version) -> None:
    if type(version) is not int or version not in (5, 7):
        raise fault(f"{name}: unsupported version {write_string(version)}: sxflow gives the environments of "
                    "R5RS and R7RS, versions 5 and 7", kind="wrong-type")


@interpreter_builtin("scheme-report-environment", types=("exact-integer",))
def make_scheme_report_environment(interpreter):
    """(scheme-report-environment 5): a fresh environment with the standard procedures."""

    def scheme_report_environment(version):
        _report_version("scheme-report-environment", version)
        return interpreter.new_environment("scheme-report")

    return scheme_report_environment


@builtin("null-environment", types=("exact-integer",))
def null_environment(version):
    """(null-environment 5): an environment with the special forms only (no procedures)."""
    _report_version("null-environment", version)
    return Environment("null")


@builtin("features")
def features():
    return make_list([Symbol(name) for name in FEATURES])

