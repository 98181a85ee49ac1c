"""Static checks for ``sxflow check``: syntax errors and references to globals that nothing defines.

Nothing is run. Each file is read (and, after a syntax error, read again piece by
piece so that later errors are found too), each top-level form is compiled in a
scratch environment (which catches malformed special forms), and the code is
walked for variable references. A reference is fine when a local binding, a
definition in any checked file, a standard procedure, or (unless ``flow=False``)
a global of the flow library provides it.

Two-layer flow files keep their code in a string that a loader passes to
``scheme-parse-all``; such strings (a literal, or a global defined as one) are
checked as code as well, and their definitions count as globals. Positions in
them are reported as ``FILE[NAME]:line:column`` inside the string.

Everything is iterative, so very long or very deeply nested forms are fine.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .data import Pair, SourcePair, Symbol
from .errors import SchemeError, SxError, SxSyntaxError
from .macros import Macro, parse_syntax_rules, root_of
from .reader import read_all
from .source import Source, caret_excerpt, format_position

QUOTE, QUASIQUOTE = Symbol("quote"), Symbol("quasiquote")
UNQUOTE, UNQUOTE_SPLICING = Symbol("unquote"), Symbol("unquote-splicing")
DEFINE, DEFINE_VALUES, BEGIN = Symbol("define"), Symbol("define-values"), Symbol("begin")
DEFINE_RECORD_TYPE, DEFINE_SYNTAX = Symbol("define-record-type"), Symbol("define-syntax")
LETREC_SYNTAX = Symbol("letrec-syntax")
# Macro expansions the walker makes for one top-level form, at most: past it, a macro
# that never stops expanding (which the compile step reports) is not followed further.
MAX_EXPANSIONS = 100_000
ELSE, ARROW = Symbol("else"), Symbol("=>")
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
_SCAN = re.compile(r'"(?:[^"\\]|\\.)*"?|\|(?:[^|\\]|\\.)*\|?|;[^\n]*|#\\.|#\||\n\(', re.S)
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
# Definitions made by forms


def formals_names(formals) -> list[Symbol]:
    """The variables of a parameter list: a symbol, a proper list or a dotted list of symbols."""
    names = []
    while isinstance(formals, Pair):
        if type(formals.car) is Symbol:
            names.append(formals.car)
        formals = formals.cdr
    if type(formals) is Symbol:
        names.append(formals)
    return names


def items(form) -> list:
    """The elements of a (possibly improper) list."""
    result = []
    while isinstance(form, Pair):
        result.append(form.car)
        form = form.cdr
    return result


def cells(form, fallback) -> list:
    """(element, position) for each element of a list form, each with its best known position."""
    result = []
    position = form.position if type(form) is SourcePair else fallback
    cell = form
    first = True
    while isinstance(cell, Pair):
        where = position if first else (cell.position if type(cell) is SourcePair else position)
        result.append((cell.car, where, first))
        first = False
        cell = cell.cdr
    return result


def defined_names(form) -> list[Symbol]:
    """The names a definition form defines (a ``begin`` of definitions included); [] for other forms."""
    names = []
    stack = [form]
    while stack:
        form = stack.pop()
        if not isinstance(form, Pair):
            continue
        head = root_of(form.car)  # a definition a macro expansion wrote has a renamed head
        rest = items(form.cdr)
        if head is DEFINE and rest:
            target = rest[0]
            while isinstance(target, Pair):  # (define (name . parameters) ...), also curried
                target = target.car
            if type(target) is Symbol:
                names.append(target)
        elif head is DEFINE_VALUES and rest:
            names.extend(formals_names(rest[0]))
        elif head is BEGIN:
            stack.extend(reversed(rest))
        elif head is DEFINE_RECORD_TYPE and len(rest) >= 3:
            type_name, constructor, predicate = rest[0], rest[1], rest[2]
            for candidate in (type_name, constructor.car if isinstance(constructor, Pair) else constructor,
                              predicate):
                if type(candidate) is Symbol:
                    names.append(candidate)
            for spec in rest[3:]:
                names.extend(name for name in items(spec)[1:] if type(name) is Symbol)
        elif head is DEFINE_SYNTAX and rest and type(rest[0]) is Symbol:
            names.append(rest[0])
    return names


def body_definitions(body) -> list[Symbol]:
    names = []
    for form in body:
        names.extend(defined_names(form))
    return names


# ---------------------------------------------------------------------------
# The reference walker


class _Unit:
    """Forms read from one text: a file, or a code string inside one."""

    __slots__ = ("forms", "name", "filename")

    def __init__(self, forms, name: str, filename: str) -> None:
        self.forms = forms
        self.name = name
        self.filename = filename


class ReferenceWalker:
    """Walks code (not quoted data) and notes every variable reference nothing in scope binds.

    Work items are ("walk", form, position), ("bind", names), ("unbind", names) and
    ("quasi", template, level, position), processed from an explicit stack.
    """

    def __init__(self, special_forms, known=frozenset(), compiler=None) -> None:
        self.special_forms = special_forms
        # Expands macro uses; its environment holds the top-level macros the checked files
        # define (the compile step defined them). None: macro uses are walked as calls.
        self.compiler = compiler
        self.local_macros: dict[Symbol, list] = {}  # let-syntax and internal define-syntax, innermost last
        self.expansions = 0
        self.known = known  # names known to be globals already (standard procedures…): never candidates
        self.bound: dict[Symbol, int] = {}
        self.scopes = 0  # how many local scopes are open: 0 means top-level context
        self.defined: set[Symbol] = set()
        # (name, position, filename, local names in scope) for each reference to an unknown name
        self.candidates: list = []
        self.parsed_strings: list = []  # arguments of scheme-parse-all: literal strings or symbols
        self.handlers = {
            "quote": self._quote, "quasiquote": self._quasiquote,
            "lambda": self._lambda, "fn": self._lambda, "define": self._define,
            "set!": self._set, "let": self._let, "let*": self._let_star,
            "letrec": self._letrec, "letrec*": self._letrec, "do": self._do,
            "let-values": self._let_values, "let*-values": self._let_star_values,
            "define-values": self._define_values, "guard": self._guard, "cond": self._cond,
            "case": self._case, "case-lambda": self._case_lambda,
            "define-record-type": self._quote, "define-syntax": self._quote,
            "import": self._quote,  # library names, not references

            "let-syntax": self._let_syntax, "letrec-syntax": self._let_syntax,
        }

    # -- driving --

    def walk_unit(self, unit: _Unit) -> None:
        self.filename = unit.filename
        for form in unit.forms:
            if self.scopes == 0:
                self.defined.update(defined_names(form))
            self.expansions = 0
            self._run([("walk", form, form.position if type(form) is SourcePair else None)])

    def _run(self, work: list) -> None:
        stack = list(reversed(work))
        while stack:
            item = stack.pop()
            kind = item[0]
            if kind == "walk":
                more = self._walk(item[1], item[2])
            elif kind == "bind":
                self.scopes += 1
                for name in item[1]:
                    self.bound[name] = self.bound.get(name, 0) + 1
                continue
            elif kind == "unbind":
                self.scopes -= 1
                for name in item[1]:
                    count = self.bound[name] - 1
                    if count:
                        self.bound[name] = count
                    else:
                        del self.bound[name]
                continue
            elif kind == "unmacros":
                for name in item[1]:
                    stack_of_name = self.local_macros[name]
                    stack_of_name.pop()
                    if not stack_of_name:
                        del self.local_macros[name]
                continue
            else:
                more = self._quasi(item[1], item[2], item[3])
            if more:
                stack.extend(reversed(more))

    def _reference(self, name: Symbol, position) -> None:
        # An operator is reported at its call's '(', where `sxflow run` reports it unbound too.
        if name in self.bound:
            return
        name = root_of(name)  # a name a macro's template introduced means the plain one
        if name in self.bound or name in self.special_forms or name.name in self.known:
            return
        locals_now = [symbol.name for symbol in self.bound]
        self.candidates.append((name, position, self.filename, locals_now))

    def _walk(self, form, position):
        if type(form) is Symbol:
            self._reference(form, position)
            return None
        if not isinstance(form, Pair):
            return None  # self-evaluating: numbers, strings, characters, vectors…
        position = form.position if type(form) is SourcePair else position
        head = form.car
        macro = self._macro(head)
        if macro is not None:
            expanded = self._expand(macro, form, position)
            return [("walk", expanded, position)] if expanded is not None else None
        if type(head) is Symbol and head not in self.bound and root_of(head) in self.special_forms:
            handler = self.handlers.get(head.name)
            if handler is not None:
                return handler(form, position)
            if head.name in _PLAIN_FORMS:
                return self._walk_arguments(form, position)
            return None  # a special form this checker does not know: stay silent about it
        if head is PARSE_ALL and head not in self.bound:
            argument = form.cdr.car if isinstance(form.cdr, Pair) else None
            if type(argument) in (str, Symbol):
                self.parsed_strings.append(argument)
        work = []
        for element, where, first in cells(form, position):
            if type(element) is Symbol:
                self._reference(element, where)
            elif isinstance(element, Pair):
                work.append(("walk", element, where))
        return work

    def _walk_arguments(self, form, position):
        return [("walk", element, where) for element, where, first in cells(form, position)[1:]]

    def _body(self, names, body_cells):
        body_cells, macro_names = self._expand_body(body_cells)
        body = [element for element, _, _ in body_cells]
        names = list(names) + body_definitions(body)
        return ([("bind", names)] + [("walk", element, where) for element, where, _ in body_cells]
                + [("unbind", names), ("unmacros", macro_names)])

    # -- macros --

    def _macro(self, head):
        """The macro ``head`` names here (a local one, or one the checked files define at top level), or None."""
        if type(head) is not Symbol or head in self.bound:
            return None  # (a variable bound inside a let-syntax body is taken to be the inner binding)
        local = self.local_macros.get(head) or self.local_macros.get(root_of(head))
        if local:
            return local[-1]
        if self.compiler is None:
            return None
        cell = self.compiler.environment.cells.get(root_of(head))
        if cell is not None and isinstance(cell.value, Macro):
            return cell.value
        return None

    def _expand(self, macro, form, position):
        """The expansion of a macro use, or None (a use no rule matches is reported by the compile step)."""
        self.expansions += 1
        if self.expansions > MAX_EXPANSIONS or self.compiler is None:
            return None
        try:
            return macro.expand(form, None, self.compiler, position)
        except SxSyntaxError:
            return None

    def _make_macro(self, name, spec, position):
        try:
            return parse_syntax_rules(spec, name.name, None, position, lambda value, keyword: root_of(value) is keyword)
        except SxSyntaxError:
            return None  # reported by the compile step

    def _push_macro(self, name, macro) -> None:
        self.local_macros.setdefault(name, []).append(macro)

    def _expand_body(self, body_cells):
        """A body's forms with macro uses at its top expanded (they may define), ``begin`` spliced and
        internal ``define-syntax`` forms bound (until the ("unmacros", names) item)."""
        result = []
        macro_names = []
        pending = list(reversed(body_cells))
        while pending:
            element, where, first = pending.pop()
            while isinstance(element, Pair):
                macro = self._macro(element.car)
                if macro is None:
                    break
                element = self._expand(macro, element, where)
            if element is None:
                continue
            if isinstance(element, Pair) and type(element.car) is Symbol and element.car not in self.bound:
                head = root_of(element.car)
                if head is BEGIN:
                    pending.extend(reversed(cells(element, where)[1:]))
                    continue
                parts = items(element.cdr)
                if head is DEFINE_SYNTAX and len(parts) == 2 and type(parts[0]) is Symbol:
                    macro = self._make_macro(parts[0], parts[1], where)
                    if macro is not None:
                        self._push_macro(parts[0], macro)
                        macro_names.append(parts[0])
                    continue
            result.append((element, where, first))
        return result, macro_names

    def _let_syntax(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2:
            return None
        made = []
        for name, init_cells in self._bindings(parts[1][0], parts[1][1]):
            if type(name) is Symbol and init_cells:
                macro = self._make_macro(name, init_cells[0][0], init_cells[0][1])
                if macro is not None:
                    made.append((name, macro))
        # Free identifiers of the templates are taken as the plain names (see _reference), so
        # let-syntax and letrec-syntax are walked alike.
        for name, macro in made:
            self._push_macro(name, macro)
        return self._body([], parts[2:]) + [("unmacros", [name for name, _ in made])]

    # -- special forms --

    def _quote(self, form, position):
        return None

    def _quasiquote(self, form, position):
        return [("quasi", element, 1, where) for element, where, _ in cells(form, position)[1:]]

    def _quasi(self, template, level, position):
        work = []
        if type(template) is list:  # a vector template
            return [("quasi", element, level, position) for element in template]
        if not isinstance(template, Pair):
            return None
        position = template.position if type(template) is SourcePair else position
        head = template.car
        if head in (UNQUOTE, UNQUOTE_SPLICING) and isinstance(template.cdr, Pair):
            argument_cells = cells(template, position)[1:]
            if level == 1:
                return [("walk", element, where) for element, where, _ in argument_cells]
            return [("quasi", element, level - 1, where) for element, where, _ in argument_cells]
        if head is QUASIQUOTE and isinstance(template.cdr, Pair):
            return [("quasi", element, level + 1, where) for element, where, _ in cells(template, position)[1:]]
        cell = template
        while isinstance(cell, Pair):
            if cell.car in (UNQUOTE, UNQUOTE_SPLICING) and cell is not template:
                # `(a . ,b) reads as (a unquote b): the tail is an unquote
                work.append(("quasi", cell, level, position))
                break
            where = cell.position if type(cell) is SourcePair else position
            work.append(("quasi", cell.car, level, where))
            cell = cell.cdr
        return work

    def _lambda(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2:
            return None
        return self._body(formals_names(parts[1][0]), parts[2:])

    def _case_lambda(self, form, position):
        work = []
        for clause, where, _ in cells(form, position)[1:]:
            if isinstance(clause, Pair):
                clause_cells = cells(clause, where)
                work.extend(self._body(formals_names(clause.car), clause_cells[1:]))
        return work

    def _define(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2:
            return None
        target = parts[1][0]
        if self.scopes == 0:
            self.defined.update(defined_names(form))
        if isinstance(target, Pair):
            names = []
            while isinstance(target, Pair):  # curried: (define ((f a) b) ...)
                names.extend(formals_names(target.cdr))
                target = target.car
            return self._body(names, parts[2:])
        return [("walk", element, where) for element, where, _ in parts[2:]]

    def _define_values(self, form, position):
        if self.scopes == 0:
            self.defined.update(defined_names(form))
        return [("walk", element, where) for element, where, _ in cells(form, position)[2:]]

    def _set(self, form, position):
        parts = cells(form, position)
        work = []
        if len(parts) >= 2 and type(parts[1][0]) is Symbol:
            self._reference(parts[1][0], parts[1][1])
        work.extend(("walk", element, where) for element, where, _ in parts[2:])
        return work

    @staticmethod
    def _bindings(bindings, position):
        """(name, init, init position) for each binding; init is NIL-like None when missing."""
        result = []
        for binding, where, _ in cells(bindings, position) if isinstance(bindings, Pair) else []:
            if isinstance(binding, Pair):
                parts = cells(binding, where)
                name = parts[0][0]
                result.append((name, parts[1:]))
            elif type(binding) is Symbol:
                result.append((binding, []))
        return result

    def _let(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2:
            return None
        loop_name = None
        bindings_index = 1
        if type(parts[1][0]) is Symbol:
            loop_name = parts[1][0]
            bindings_index = 2
            if len(parts) < 3:
                return None
        bindings = self._bindings(parts[bindings_index][0], parts[bindings_index][1])
        work = []
        names = []
        for name, init_cells in bindings:
            names.extend(formals_names(name) if isinstance(name, Pair) else [name])
            work.extend(("walk", element, where) for element, where, _ in init_cells)
        if loop_name is not None:
            names.append(loop_name)
        return work + self._body(names, parts[bindings_index + 1:])

    def _let_star(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2:
            return None
        work = []
        opened = []
        for name, init_cells in self._bindings(parts[1][0], parts[1][1]):
            work.extend(("walk", element, where) for element, where, _ in init_cells)
            if type(name) is Symbol:
                work.append(("bind", [name]))
                opened.append(name)
        work.extend(self._body([], parts[2:]))
        work.extend(("unbind", [name]) for name in reversed(opened))
        return work

    def _letrec(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2:
            return None
        bindings = self._bindings(parts[1][0], parts[1][1])
        names = [name for name, _ in bindings if type(name) is Symbol]
        work = [("bind", names)]
        for _, init_cells in bindings:
            work.extend(("walk", element, where) for element, where, _ in init_cells)
        work.extend(self._body([], parts[2:]))
        work.append(("unbind", names))
        return work

    def _do(self, form, position):
        parts = cells(form, position)
        if len(parts) < 3:
            return None
        work = []
        names = []
        steps = []
        for name, rest in self._bindings(parts[1][0], parts[1][1]):
            if type(name) is Symbol:
                names.append(name)
            if rest:
                work.append(("walk", rest[0][0], rest[0][1]))
            steps.extend(("walk", element, where) for element, where, _ in rest[1:])
        work.append(("bind", names))
        work.extend(steps)
        test = parts[2]
        if isinstance(test[0], Pair):
            work.extend(("walk", element, where) for element, where, _ in cells(test[0], test[1]))
        work.extend(("walk", element, where) for element, where, _ in parts[3:])
        work.append(("unbind", names))
        return work

    def _let_values(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2:
            return None
        work = []
        names = []
        for formals, init_cells in self._bindings(parts[1][0], parts[1][1]):
            names.extend(formals_names(formals))
            work.extend(("walk", element, where) for element, where, _ in init_cells)
        return work + self._body(names, parts[2:])

    def _let_star_values(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2:
            return None
        work = []
        opened = []
        for formals, init_cells in self._bindings(parts[1][0], parts[1][1]):
            work.extend(("walk", element, where) for element, where, _ in init_cells)
            names = formals_names(formals)
            work.append(("bind", names))
            opened.append(names)
        work.extend(self._body([], parts[2:]))
        work.extend(("unbind", names) for names in reversed(opened))
        return work

    def _clauses(self, clause_cells, skip_head: bool):
        work = []
        for clause, where, _ in clause_cells:
            if not isinstance(clause, Pair):
                continue
            for index, (element, element_where, first) in enumerate(cells(clause, where)):
                if element is ELSE and index == 0:
                    continue
                if element is ARROW and index == 1:
                    continue
                if index == 0 and skip_head:
                    continue  # a case clause's data are quoted
                # Deferred, not referenced now: a guard's variable is bound by a later work item.
                work.append(("walk", element, element_where))
        return work

    def _cond(self, form, position):
        return self._clauses(cells(form, position)[1:], False)

    def _case(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2:
            return None
        return [("walk", parts[1][0], parts[1][1])] + self._clauses(parts[2:], True)

    def _guard(self, form, position):
        parts = cells(form, position)
        if len(parts) < 2 or not isinstance(parts[1][0], Pair):
            return None
        spec, spec_where, _ = parts[1]
        variable = spec.car
        names = [variable] if type(variable) is Symbol else []
        # The body is a body (R7RS): its definitions are local to it.
        work = self._body([], parts[2:])
        work.append(("bind", names))
        work.extend(self._clauses(cells(spec, spec_where)[1:], False))
        work.append(("unbind", names))
        return work


# Special forms whose arguments are all expressions.
_PLAIN_FORMS = {
    "if", "begin", "and", "or", "when", "unless", "delay", "delay-force", "make-lazy",
    "unquote", "unquote-splicing", "parameterize", "assert",
}


# ---------------------------------------------------------------------------
# The whole check


def known_globals(flow: bool) -> set[str]:
    """Names a fresh interpreter defines: the standard procedures, and the flow library's when ``flow``."""
    from .interpreter import Interpreter

    interpreter = Interpreter()
    if flow:
        try:
            interpreter.load_flow()
        except (SxError, ImportError, OSError):
            pass  # the flow library cannot be loaded here: its names count as unknown
    return set(interpreter.keys())


def _compile_each(compiler, forms, errors, string_globals, filename) -> None:
    """Compile each form (collecting syntax errors) and note globals defined as strings."""
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
    from . import compiler as compiler_module
    from .interpreter import Interpreter
    from .runtime import entered

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
    compiler = compiler_module.Compiler(scratch.new_environment("check"))
    walker = ReferenceWalker(compiler_module.SPECIAL_FORMS, standard, compiler)
    string_globals: dict[Symbol, tuple] = {}
    embedded_done: set = set()
    index = 0
    while index < len(units):
        unit = units[index]
        index += 1
        entered(None, scratch.max_depth, _compile_each, compiler, unit.forms, errors, string_globals,
                unit.filename)
        walker.walk_unit(unit)
        # Code kept in strings for scheme-parse-all is checked as code too (two-layer flow files).
        while walker.parsed_strings:
            argument = walker.parsed_strings.pop(0)
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

    known = standard | {symbol.name for symbol in walker.defined}
    vocabulary = sorted(known)
    seen = set()
    for name, position, filename, locals_now in walker.candidates:
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
