"""Static checks for ``sxflow check``: syntax errors and references to globals that nothing defines.

Nothing is run. Each file is read (and, after a syntax error, read again piece by
piece so that later errors are found too) and each top-level form is compiled in a
scratch environment, which catches malformed special forms. The scope analysis is
the compiler's own: it reports every global name it resolves, reference or
definition, with its position (``Compiler.observer``), macro uses included since it
expands them. A reference is fine when a definition in any checked file, a standard
procedure, or (unless ``flow=False``) a global of the flow library provides it.

Two-layer flow files keep their code in a string that a loader passes to
``scheme-parse-all``; such strings (a literal, or a global defined as one) are
checked as code as well, and their definitions count as globals. Positions in
them are reported as ``FILE[NAME]:line:column`` inside the string.

"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .compiler import Compiler
from .data import Pair, Symbol
from .errors import SchemeError, SxError, SxSyntaxError
from .interpreter import Interpreter
from .lexical import BAR_SYMBOL_TOKEN, CHARACTER_START, LINE_COMMENT, STRING_TOKEN
from .macros import Macro
from .reader import read_all
from .runtime import entered
from .source import Source, caret_excerpt, format_position

DEFINE = Symbol("define")
PARSE_ALL = Symbol("scheme-parse-all")


@dataclass
class CheckWarning:
    """A possible mistake that does not stop the program from being read."""

    message: str
    position: tuple | None
    filename: str

    def __str__(self) -> str:
        where = format_position(self.position) if self.position else self.filename
        head = f"{where}: warning: {self.message}"
        excerpt = caret_excerpt(self.position)
        return f"{head}\n{excerpt}" if excerpt else head


@dataclass
class CheckReport:
    """What ``check_files`` found: syntax errors (SxSyntaxError) and CheckWarnings, in file and line order."""

    files: int = 0
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    diagnostics: list = field(default_factory=list)

    def summary(self) -> str:
        def count(number: int, word: str) -> str:
            return f"{number} {word}{'' if number == 1 else 's'}"

        return (f"{count(len(self.errors), 'syntax error')}, {count(len(self.warnings), 'warning')} "
                f"in {count(self.files, 'file')}")


# ---------------------------------------------------------------------------
# Reading, with recovery after a syntax error

# A '(' in the first column starts a top-level form in conventionally laid out code:
# after a syntax error the text is cut there and each piece read on its own.
_SCAN = re.compile(f"{STRING_TOKEN}|{BAR_SYMBOL_TOKEN}|{LINE_COMMENT}|{CHARACTER_START}|#\\||\n\\(", re.S)
_BLOCK_MARK = re.compile(r"#\||\|#")


def toplevel_starts(text: str) -> list[int]:
    """Offsets of '(' in the first column, outside strings, |symbols|, comments and character literals."""
    starts = [0]
    position = 0
    while True:
        match = _SCAN.search(text, position)
        if match is None:
            return starts
        token = match.group()
        position = match.end()
        if token == "\n(":
            starts.append(match.start() + 1)
            position = match.start() + 1
        elif token == "#|":
            depth = 1
            while depth:
                mark = _BLOCK_MARK.search(text, position)
                if mark is None:
                    return starts
                depth += 1 if mark.group() == "#|" else -1
                position = mark.end()


def read_with_recovery(text: str, name: str) -> tuple[list, list]:
    """The forms of ``text`` that could be read, and every syntax error found."""
    try:
        return read_all(text, name), []
    except SxSyntaxError as first:
        first_error = first
    starts = toplevel_starts(text)
    forms: list = []
    errors: list = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        # Pad with the line breaks before the piece so positions stay those of the file.
        padding = "\n" * text.count("\n", 0, start)
        try:
            forms.extend(read_all(padding + text[start:end], name))
        except SxSyntaxError as error:
            errors.append(error)
    if not errors:  # the pieces read fine where the whole did not: trust the whole
        errors.append(first_error)
    return forms, errors


# ---------------------------------------------------------------------------
# What the compiler reports


class _Unit:
    """Forms read from one text: a file, or a code string inside one."""

    __slots__ = ("forms", "name", "filename")

    def __init__(self, forms, name: str, filename: str) -> None:
        self.forms = forms
        self.name = name
        self.filename = filename


class GlobalNames:
    """The compiler's observer: the globals the checked code defines, and references to unknown ones."""

    def __init__(self, known) -> None:
        self.known = known  # names known to be globals already (standard procedures…): never candidates
        self.filename = ""
        self.defined: set[Symbol] = set()
        # (name, position, filename, local names in scope) for each reference to an unknown name
        self.candidates: list = []

    def global_name(self, name: Symbol, position, scope, defining: bool) -> None:
        if defining:
            self.defined.add(name)
        elif name.name not in self.known:
            self.candidates.append((name, position, self.filename, local_names(scope)))


def local_names(scope) -> list[str]:
    """The variables a compile-time scope and its parents bind (for "did you mean")."""
    names = []
    while scope is not None:
        names.extend(name.name for name in scope.names if type(name) is Symbol)
        scope = scope.parent
    return names


def parsed_strings(form) -> list:
    """The arguments of every ``(scheme-parse-all x)`` inside ``form`` that are strings or symbols."""
    found = []
    stack = [form]
    seen = set()
    while stack:
        form = stack.pop()
        if not isinstance(form, Pair) or id(form) in seen:
            continue
        seen.add(id(form))
        if form.car is PARSE_ALL and isinstance(form.cdr, Pair):
            argument = form.cdr.car
            if type(argument) in (str, Symbol):
                found.append(argument)
        stack.append(form.cdr)
        stack.append(form.car)
    found.reverse()
    return found


# ---------------------------------------------------------------------------
# The whole check


def known_globals(flow: bool) -> set[str]:
    """Names a fresh interpreter defines: the standard procedures, and the flow library's when ``flow``."""
    interpreter = Interpreter()
    if flow:
        try:
            interpreter.load_flow()
        except (SxError, ImportError, OSError):
            pass  # the flow library cannot be loaded here: its names count as unknown
    return set(interpreter.environment.bound_names())  # the flow internals included: code may use them


def _compile_each(compiler, forms, errors, string_globals, filename) -> None:
    """Compile each form (collecting syntax errors; the observer hears the globals) and note globals defined as strings."""
    compiler.observer.filename = filename
    for form in forms:
        try:
            compiler.compile_toplevel(form)
        except SxSyntaxError as error:
            errors.append(error)
        except SchemeError:
            pass  # a compile-time fault that is not about syntax: the program may still be fine
        if (isinstance(form, Pair) and form.car is DEFINE and isinstance(form.cdr, Pair)
                and type(form.cdr.car) is Symbol and isinstance(form.cdr.cdr, Pair)
                and type(form.cdr.cdr.car) is str):
            string_globals[form.cdr.car] = (form.cdr.cdr.car, filename, form)


def check_files(sources, *, flow: bool = True) -> CheckReport:
    """Check ``(filename, text)`` pairs together: a global defined in one file may be used in another."""
    report = CheckReport(files=len(sources))
    canonical: dict[str, Source] = {}
    units: list[_Unit] = []
    errors: list = []
    for filename, text in sources:
        canonical[filename] = Source(filename, text)
        forms, read_errors = read_with_recovery(text, filename)
        errors.extend(read_errors)
        units.append(_Unit(forms, filename, filename))

    standard = known_globals(flow)
    scratch = Interpreter()
    compiler = Compiler(scratch.new_environment("check"))
    names = compiler.observer = GlobalNames(standard)
    string_globals: dict[Symbol, tuple] = {}
    embedded_done: set = set()
    index = 0
    while index < len(units):
        unit = units[index]
        index += 1
        entered(None, scratch.max_depth, _compile_each, compiler, unit.forms, errors, string_globals,
                unit.filename)
        # Code kept in strings for scheme-parse-all is checked as code too (two-layer flow files).
        pending = [argument for form in unit.forms for argument in parsed_strings(form)]
        while pending:
            argument = pending.pop(0)
            if type(argument) is Symbol:
                found = string_globals.get(argument)
                if found is None:
                    continue
                text, filename, _ = found
                label = argument.name
            else:
                text, filename, label = argument, unit.filename, "string"
            key = (filename, label, text)
            if key in embedded_done:
                continue
            embedded_done.add(key)
            name = f"{filename}[{label}]"
            canonical[name] = Source(name, text)
            forms, read_errors = read_with_recovery(text, name)
            errors.extend(read_errors)
            units.append(_Unit(forms, name, filename))

    # Top-level macros count as definitions too: compiling define-syntax made them.
    macros = {name.name for name, value in compiler.environment.items() if isinstance(value, Macro)}
    known = standard | macros | {symbol.name for symbol in names.defined}
    vocabulary = sorted(known)
    seen = set()
    for name, position, filename, locals_now in names.candidates:
        if name.name in known:
            continue
        position = _canonical(position, canonical)
        key = (name, format_position(position), filename)
        if key in seen:
            continue
        seen.add(key)
        close = difflib.get_close_matches(name.name, vocabulary + locals_now, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        report.warnings.append(CheckWarning(f"unknown global '{name.name}'{hint}", position, filename))

    unique_errors = {}
    for error in errors:
        position = _canonical(error.position, canonical)
        key = (format_position(position), error.message)
        if key not in unique_errors:
            rebuilt = SxSyntaxError(error.message, position)
            rebuilt.incomplete = getattr(error, "incomplete", False)
            unique_errors[key] = rebuilt
    report.errors = list(unique_errors.values())

    order = {name: number for number, name in enumerate(canonical)}

    def sort_key(diagnostic):
        position = diagnostic.position
        if position is None:
            return (len(order), 0, 0)
        return (order.get(position[0].name, len(order)), position[1], position[2])

    report.errors.sort(key=sort_key)
    report.warnings.sort(key=sort_key)
    report.diagnostics = sorted([*report.errors, *report.warnings], key=sort_key)
    return report


def _canonical(position, canonical: dict):
    """The same position in the file's full text (pieces read after an error have padded copies)."""
    if position is None:
        return None
    source, line, column = position
    return (canonical.get(source.name, source), line, column)
