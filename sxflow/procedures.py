"""Whole procedures as Python source: one ``def`` per Scheme procedure, its inner lambdas nested defs.

The closure compiler (compiler.py) turns every form into a node; a call of a node
is a Python call. For a procedure whose body uses variables, constants, ``quote``,
``if``, ``cond`` (without ``=>``), ``case``, ``and``, ``or``, ``when``, ``unless``,
``begin``, ``let``, ``let*``, named ``let`` used as a loop, ``do``, ``set!``,
``lambda``, internal ``define``, ``guard`` and calls, this module writes the whole
body as one Python function instead (``make(env)`` returns it, a closure over ``env``,
the frame of the nodes around it):

- parameters and local variables are Python locals (each binding its own name, so
  shadowing needs no frames); an inner lambda is a nested ``def`` reading them as
  Python closure variables (``nonlocal`` for ``set!``); free variables of enclosing
  node procedures are read from ``env``; globals are the function's own globals (the
  environment's namespace), so a redefinition, of a builtin too, is seen at once;
- ``if``/``cond``/``case``/``and``/``or`` are Python ``if`` statements, a call is a
  direct Python call of whatever the operator holds (errors are explained after a
  failure: each line's call site is in ``SITES`` for ``runtime.procedure_failed``),
  primitives are inlined behind exact type guards and ``INTACT`` with the builtin's
  global as the fallback (so its error messages are unchanged); a variable's type test
  is computed once where it is bound when it is used twice or more (a parameter the
  self tail call never rebinds: once, before the loop); a procedure with a loop reads
  ``INTACT`` into a local on entry and again after each call, caught raise or
  assignment of a global (only Scheme code can clear it);
- a tail call of the procedure itself, and of a named-``let`` loop from its own body,
  is a ``continue`` of a ``while True``; other tail calls return a ``TailCall``;
- ``guard`` is ``try``/``except``; its clause tests are a nested ``select`` def (made
  once per call of the enclosing function, not once per turn of a loop) that
  ``raise`` asks at the raise point, as with the nodes (a ``raise`` written in the
  guard's body asks it directly).

A closure must keep its own binding of each variable it captures, so a closure over
a variable that a loop rebinds is not written this way (over the self-tail-call loop,
the procedure is written again without that loop). Anything else (macros in the
body, ``delay``, quasiquote, ``=>``…) keeps the nodes: ``compile_procedure`` returns
None and the closure compiler's body is used, so both give the same values, errors,
positions and traces. The compiler always compiles the nodes first, so every syntax
error and check is the closure compiler's own.

The generated source carries the Scheme position of each call as a comment, is
registered with ``linecache`` and dumped with ``SXFLOW_DUMP_CODE`` (see specialize),
and each function is named ``procedure <name> <file:line:column>``; a source text
is compiled once per process and bound to each interpreter's namespace.
"""

from __future__ import annotations

import ast
from types import FunctionType

from . import runtime
from . import specialize
from .data import NIL, UNASSIGNED, Char, Pair, Symbol, _Marker, is_eqv, make_list
from .macros import Macro, root_of, strip_syntax
from .runtime import (
    UNBOUND,
    Site,
    TailCall,
    assert_assigned,
    complete,
    global_key,
    guard_caught,
    procedure_code,
    procedure_failed,
    set_global,
    unassigned_variable,
)
from .dynamic import current
from .source import format_position

# What an inner named let leaves in the result variable it shares with the loop around it
# when a tail call continues that outer loop (see Writer.application): never a Scheme value.
LOOP_AGAIN = _Marker("#<loop again>")

# Compiled factory code per generated source text (compiled once per process).
_factory_codes: dict[str, object] = {}

# Names every generated procedure may use, besides the globals of its environment.
runtime.NAMESPACE_HELPERS.update(specialize._TEMPLATE_GLOBALS)
runtime.NAMESPACE_HELPERS.update({
    "UNBOUND": UNBOUND,
    "TailCall": TailCall,
    "assert_assigned": assert_assigned,
    "complete": complete,
    "current": current,
    "guard_caught": guard_caught,
    "make_list": make_list,
    "UNASSIGNED": UNASSIGNED,
    "is_eqv": is_eqv,
    "set_global": set_global,
    "unassigned_variable": unassigned_variable,
    "procedure_failed": procedure_failed,
    "LOOP_AGAIN": LOOP_AGAIN,
})

_LITERALS = {"None": None, "True": True, "False": False}
RAISE, SET, DEFINE, BEGIN = Symbol("raise"), Symbol("set!"), Symbol("define"), Symbol("begin")

# Forms past this many lines of Python are left to the nodes (keeps compile time in bounds).
MAX_LINES = 2_000
# Python refuses more than 100 levels of indentation; the header takes 4.
MAX_INDENT = 80
# Lines of the generated source before the first body line (see Writer.source).
_HEADER_LINES = 5


class Unsupported(Exception):
    """The body uses a form this back end leaves to the nodes."""


class SelfLoopCaptured(Unsupported):
    """A closure captures a variable that the procedure's self-tail-call loop rebinds."""


class Function:
    """A Python function being written: the procedure itself, a lambda inside it, or a guard's select."""

    def __init__(self, parent, synchronous: bool = False) -> None:
        self.parent = parent
        # A select runs only while its guard's body runs: what it reads cannot change meanwhile.
        self.synchronous = synchronous
        self.nonlocals: set[str] = set()
        self.prologue = None  # lines run once on entry, before its body (a guard's select def)


class Refresh:
    """Where the procedure's local copy of ``INTACT`` is read again: on entry and after anything that may run Scheme code."""

    def __init__(self, indent: int) -> None:
        self.indent = indent


class Prologue:
    """Lines written at the top of a function's body, once per call: a guard's select and marker, not once per turn of a loop."""

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.lines: list = []


class Nonlocals:
    """Where a nested def declares the enclosing variables it assigns."""

    def __init__(self, indent: int, function: Function) -> None:
        self.indent = indent
        self.function = function


class Hoist:
    """Where the type tests of some variables are computed once (see Writer.type_test)."""

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.variables: list[str] = []


class Loop:
    """A ``while True`` the generated code is inside: a procedure body or a named let."""

    def __init__(self, name, variables, sink, repeats: bool = False) -> None:
        self.repeats = repeats  # goes round again (its variables are rebound): closures cannot keep them
        self.name = name  # the Scheme name a tail call continues it by
        self.variables = variables  # Python names of its variables, in order
        self.sink = sink
        self.continues_outer = False  # a tail call in it continues the loop around it (see application)


def factory_code(source: str):
    """The code of ``factory`` in ``source``, compiled once per process (the source registered with linecache)."""
    code = _factory_codes.get(source)
    if code is None:
        namespace: dict = {}
        try:
            compiled = compile(source, specialize.register_source(source), "exec")
        except (SyntaxError, RecursionError, MemoryError):
            # Beyond what Python compiles (nesting deeper than its parser or block limits): the nodes run it.
            raise Unsupported from None
        exec(compiled, namespace)
        code = _factory_codes[source] = namespace["factory"].__code__
    return code


def node_procedure(body, required: int, rest: bool, name, position, environment):
    """``make(frame)`` for a procedure whose body is a node: the procedure passes its frame to ``body``."""
    parameters = [f"a{index}" for index in range(required)]
    frame_items = ["env", *parameters]
    if rest:
        parameters.append("*rest")
        frame_items.append("make_list(rest)")
    source = (f"def factory(body):\n    def make(env):\n        def procedure({', '.join(parameters)}):\n"
              f"            return body([{', '.join(frame_items)}])\n        return procedure\n    return make\n")
    code = procedure_code(factory_code(source), name, position, required, rest)
    return FunctionType(code, environment.namespace)(body)


def compile_procedure(compiler, names, rest, body_items, scope, position, name):
    """``make(frame)`` for ``(lambda names body...)`` as one generated Python function, or None when unsupported."""
    try:
        try:
            return Writer(compiler, scope, position, name).procedure(names, rest, body_items)
        except SelfLoopCaptured:
            # A closure keeps a parameter the self tail call would rebind: tail calls return instead.
            return Writer(compiler, scope, position, name, self_loop=False).procedure(names, rest, body_items)
    except (Unsupported, RecursionError):
        return None  # a lambda first made deep in a recursion may not have the stack to be written: nodes


class Writer:
    """Writes one procedure: its lines, the values it closes over, its local names, its call sites."""

    def __init__(self, compiler, scope, position, name, self_loop: bool = True) -> None:
        self.allow_self_loop = self_loop
        self.function = Function(None)
        self.owner: dict = {}  # Python variable -> the Function it is a local of
        self.variable_loops: dict = {}  # Python variable -> the loops around its binding
        self.captured: set = set()  # variables a closure made here reads or assigns
        self.late: set = set()  # variables of internal definitions: read before assigned is an error
        self.inner: dict = {}  # Python name of a nested def -> (name, position, required, rest)
        self.assigned_names: set = set()  # Scheme names some set! assigns (their type tests are not hoisted)
        self.compiler = compiler
        self.environment = compiler.environment
        self.scope = scope  # the compile-time scope the procedure is created in
        self.position = position
        self.name = name
        self.bindings: dict = {}
        self.binding_names: dict = {}
        self.counter = 0
        # Body lines as (text, site or None), and Hoist placeholders; ``site`` is what a
        # failure on that line means: (site, operator, operands) for procedure_failed.
        self.lines: list = []
        self.hoisted: dict[str, Hoist] = {}  # variable -> where its type tests are computed
        self.type_tests: dict[tuple, int] = {}  # (variable, type name) -> uses
        # The guards whose body is being written, innermost last: (marker, outer, state) names.
        self.guards: list[tuple] = []
        self.unhoistable: set = set()
        self.rebound: set = set()  # variables some loop's tail call rebinds (set by rebind)
        self.invariant: set = set()  # parameters never rebound: their type tests are made once, on entry
        # The procedure reads INTACT into a local, ``intact``, on entry and again after each call
        # or assignment of a global that could run Scheme code or redefine a builtin (INTACT only
        # ever goes from true to false, and only then), so an inlined primitive tests a local.
        self.intact_used = False
        self.looping = False  # a named let or do loop is written in the procedure itself
        self.inner_self_loops: list = []  # the self tail call loops of lambdas written inside

    # -- names ------------------------------------------------------------------

    def bind(self, value, prefix: str) -> str:
        key = (prefix, id(value))
        found = self.binding_names.get(key)
        if found is not None:
            return found
        name = f"{prefix}{len(self.bindings)}"
        self.bindings[name] = value
        self.binding_names[key] = name
        return name

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, indent: int, text: str, site=None) -> None:
        """One line of the body; ``site``, when given, is what a failure on this line means."""
        self.lines.append(("    " * indent + text, site))
        if len(self.lines) > MAX_LINES or indent > MAX_INDENT:
            raise Unsupported

    def refresh(self, indent: int) -> None:
        """Read INTACT into ``intact`` again here (written only if some primitive uses it)."""
        if self.function.parent is None:
            self.lines.append(Refresh(indent))

    def intact(self) -> str:
        """The name the inlined-builtins flag is read by: the procedure's local, or (in nested defs) the global."""
        if self.function.parent is None:
            self.intact_used = True
            return "\x02"  # "intact", or "INTACT" if the procedure has no loop (see finish_lines)
        return "INTACT"

    def hoist(self, indent: int, variables) -> None:
        """Compute the type tests of ``variables`` here (they are not assigned again below, up to a loop's top)."""
        placeholder = Hoist(indent)
        placeholder.variables = [variable for variable in variables if variable not in self.unhoistable]
        self.lines.append(placeholder)
        for variable in placeholder.variables:
            self.hoisted[variable] = placeholder

    def declare(self, name, variable: str, loops) -> str:
        """``variable`` now holds the Scheme variable ``name`` in the function being written."""
        self.owner[variable] = self.function
        self.variable_loops[variable] = tuple(loops)
        if name in self.assigned_names:
            self.unhoistable.add(variable)
        return variable

    def use(self, variable: str, assigning: bool = False) -> None:
        """Note a read (or an assignment) of ``variable`` from the function being written."""
        owner = self.owner.get(variable)
        if owner is None or owner is self.function:
            return
        function = self.function
        while function is not None and function is not owner:
            if not function.synchronous:
                self.captured.add(variable)
            function = function.parent
        if assigning:
            self.function.nonlocals.add(variable)

    def type_test(self, text: str, type_name: str) -> str:
        """``type(text) is type_name``; for a variable tested twice or more, a flag computed where it is bound."""
        if text in self.hoisted:
            key = (text, type_name)
            self.type_tests[key] = self.type_tests.get(key, 0) + 1
            return f"\x00{text}\x01{type_name}\x00"
        return f"type({text}) is {type_name}"

    def finish_lines(self):
        """The body's text lines and their sites (by index), with the hoisted type tests filled in."""
        flags = {key: f"{key[0]}_{key[1]}" for key, uses in self.type_tests.items()
                 if uses >= 2 or key[0] in self.invariant}
        # Only a procedure with a loop gains from the local (a read per turn instead of one per call).
        local_intact = self.intact_used and (self.looping or self.self_loop.repeats)
        intact = "intact" if local_intact else "INTACT"
        texts, sites = [], {}
        items = list(self.lines)
        items.reverse()
        while items:
            item = items.pop()
            if type(item) is Prologue:
                items.extend(reversed(item.lines))
                continue
            if type(item) is Refresh:
                if local_intact:
                    texts.append("    " * item.indent + "intact = INTACT")
                continue
            if type(item) is Hoist:
                for (variable, type_name), flag in flags.items():
                    if variable in item.variables:
                        texts.append("    " * item.indent + f"{flag} = type({variable}) is {type_name}")
                continue
            if type(item) is Nonlocals:
                if item.function.nonlocals:
                    texts.append("    " * item.indent + f"nonlocal {', '.join(sorted(item.function.nonlocals))}")
                continue
            text, site = item
            if "\x02" in text:
                text = text.replace("\x02", intact)
            if "\x00" in text:
                parts = text.split("\x00")
                for index in range(1, len(parts), 2):
                    variable, type_name = parts[index].split("\x01")
                    parts[index] = flags.get((variable, type_name)) or f"type({variable}) is {type_name}"
                text = "".join(parts)
            if site is not None:
                sites[len(texts)] = site
            texts.append(text)
        return texts, sites
    def global_name(self, name) -> str:
        """The key a global is read by (a macro keyword cannot be read: unsupported here)."""
        root = root_of(name)
        if isinstance(self.environment.get(root), Macro):
            raise Unsupported
        return global_key(root)

    # -- the procedure ------------------------------------------------------------

    def procedure(self, names, rest, body_items):
        self.assigned_names = _assigned_names([form for form, _ in body_items])
        locals_ = {}
        variables = []
        returning = ("return",)
        # A self tail call loops in place, unless the procedure takes rest arguments.
        self.self_loop = Loop(None, None, returning)
        self.self_loop.python_name = "procedure"  # what a self tail call finds in the operator
        for parameter in names + ([rest] if rest is not None else []):
            if type(parameter) is not Symbol or parameter.alias is not None:
                raise Unsupported
            variable = self.declare(parameter, self.fresh(f"v_{_identifier(parameter.name)}_"), [self.self_loop])
            locals_[parameter] = variable
            variables.append(variable)
        if rest is None and self.allow_self_loop:
            self.self_loop.variables = variables
        if rest is not None:
            self.emit(0, f"{variables[-1]} = make_list({variables[-1]})")
        self.refresh(0)
        self.function.prologue = Prologue(0)
        self.lines.append(self.function.prologue)
        typed = variables if rest is None else variables[:-1]
        # A parameter the self tail call never rebinds keeps its type: tested once, before the loop.
        self.hoist(0, typed)
        entry = self.lines[-1]
        self.emit(0, "while True:")
        self.hoist(1, typed)
        self.body(body_items, [locals_], returning, 1, [self.self_loop])
        entry.variables = [variable for variable in entry.variables if variable not in self.rebound]
        self.lines[self.lines.index(entry) + 2].variables = [
            variable for variable in typed if variable in self.rebound]
        self.invariant.update(entry.variables)
        # A closure keeps the variables it captures: none may be rebound by a loop going round again.
        for variable in self.captured:
            for loop in self.variable_loops.get(variable, ()):
                if loop.repeats:
                    raise SelfLoopCaptured if loop is self.self_loop or loop in self.inner_self_loops else Unsupported
        where = format_position(self.position)
        parameters = ", ".join(variables[:-1] + ["*" + variables[-1]] if rest is not None else variables)
        header = [f"# {self.name} {_comment(where)}",
                  f"def factory({''.join(name + ', ' for name in self.bindings)}SITES):",
                  "    def make(env):",
                  f"        def procedure({parameters}):",
                  "            try:"]
        assert len(header) == _HEADER_LINES
        footer = ["            except Exception as error:",
                  "                raise procedure_failed(error, SITES)",
                  "        return procedure",
                  "    return make"]
        lines, line_sites = self.finish_lines()
        source = "\n".join(header + ["                " + line for line in lines] + footer) + "\n"
        sites = {index + _HEADER_LINES + 1: entry for index, entry in line_sites.items()}
        code = procedure_code(factory_code(source), self.name, self.position, len(names), rest is not None,
                              self.inner)
        return FunctionType(code, self.environment.namespace)(**self.bindings, SITES=sites)

    # -- statements: a form whose value goes to a sink ------------------------------

    def body(self, items, scopes, sink, indent, loops):
        """A body: every form but the last for effect, the last to ``sink``.

        Its internal definitions are locals, unassigned until their define runs (letrec*).
        """
        if not items:
            raise Unsupported
        defined = {}
        for form, _ in items:
            if isinstance(form, Pair) and type(form.car) is Symbol:
                handler = self.special(form.car, scopes)
                if handler is scheme_compiler.compile_define:
                    target = form.cdr.car if isinstance(form.cdr, Pair) else None
                    name = target.car if isinstance(target, Pair) else target
                    if type(name) is not Symbol or name.alias is not None or name in defined:
                        raise Unsupported
                    defined[name] = self.declare(name, self.fresh(f"v_{_identifier(name.name)}_"), loops)
                elif handler is scheme_compiler.compile_begin and _defines_inside(form):
                    raise Unsupported
        if defined:
            scopes = scopes + [defined]
            for variable in defined.values():
                self.late.add(variable)
                self.emit(indent, f"{variable} = UNASSIGNED")
        for form, where in items[:-1]:
            self.effect(form, scopes, indent, loops, where)
        form, where = items[-1]
        self.to_sink(form, scopes, sink, indent, loops, where)

    def effect(self, form, scopes, indent, loops, where):
        temporary = self.fresh("e")
        self.to_sink(form, scopes, ("assign", temporary, False), indent, loops, where)

    def deliver(self, expression, sink, indent):
        if sink[0] == "return":
            self.emit(indent, f"return {expression}")
        else:
            self.emit(indent, f"{sink[1]} = {expression}")
            if sink[2]:
                self.emit(indent, "break")

    def to_sink(self, form, scopes, sink, indent, loops, where):
        """Statements giving ``form``'s value to ``sink``: return it, or assign it (and leave a loop)."""
        if isinstance(form, Pair):
            where = scheme_compiler.position_of(form, where)
            handler = self.special(form.car, scopes)
            if handler is None:
                self.application(form, scopes, sink, indent, loops, where)
                return
            writer = _WRITERS.get(handler)
            if writer is not None:
                writer(self, form, scopes, sink, indent, loops, where)
                return
            if handler is not scheme_compiler.compile_quote:
                raise Unsupported
        self.deliver(self.value(form, scopes, indent, loops, where), sink, indent)

    # -- one writer per special form this back end writes out (the _WRITERS table) ------

    def write_if(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        test, entry = self.condition(items[0][0], scopes, indent, loops, items[0][1])
        self.emit(indent, f"if {test}:", entry)
        self.to_sink(items[1][0], scopes, sink, indent + 1, loops, items[1][1])
        self.emit(indent, "else:")
        if len(items) == 3:
            self.to_sink(items[2][0], scopes, sink, indent + 1, loops, items[2][1])
        else:
            self.deliver("None", sink, indent + 1)

    def write_cond(self, form, scopes, sink, indent, loops, where):
        self.cond(scheme_compiler.cells_with_positions(form, where)[1:], scopes, sink, indent, loops)

    def write_when(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        test = self.value(items[0][0], scopes, indent, loops, items[0][1])
        negate = "" if root_of(form.car) is scheme_compiler.UNLESS else "not "
        self.emit(indent, f"if {negate}({test} is False):")
        self.body(items[1:], scopes, sink, indent + 1, loops)
        self.emit(indent, "else:")
        self.deliver("None", sink, indent + 1)

    def write_and(self, form, scopes, sink, indent, loops, where):
        self.and_or(form, scopes, sink, indent, loops, where, True)

    def write_or(self, form, scopes, sink, indent, loops, where):
        self.and_or(form, scopes, sink, indent, loops, where, False)

    def and_or(self, form, scopes, sink, indent, loops, where, is_and: bool):
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        if not items:
            self.deliver("True" if is_and else "False", sink, indent)
            return
        for item, item_where in items[:-1]:
            value = self.value(item, scopes, indent, loops, item_where)
            if is_and:
                self.emit(indent, f"if {value} is False:")
                self.deliver("False", sink, indent + 1)
            else:
                temporary = self.fresh("o")
                self.emit(indent, f"{temporary} = {value}")
                self.emit(indent, f"if {temporary} is not False:")
                self.deliver(temporary, sink, indent + 1)
            self.emit(indent, "else:")
            indent += 1
        self.to_sink(items[-1][0], scopes, sink, indent, loops, items[-1][1])

    def write_begin(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        if not items:
            self.deliver("None", sink, indent)
        else:
            self.body(items, scopes, sink, indent, loops)

    def write_let(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        if type(items[0][0]) is Symbol:
            self.named_let(items, scopes, sink, indent, loops, where)
            return
        bindings = self.bindings_of(items[0][0], where)
        values = [self.spill(self.value(init, scopes, indent, loops, init_where), indent)
                  for _, init, init_where in bindings]
        inner = {}
        for (binding_name, _, _), value in zip(bindings, values):
            variable = self.declare(binding_name, self.fresh(f"v_{_identifier(binding_name.name)}_"), loops)
            inner[binding_name] = variable
            self.emit(indent, f"{variable} = {value}")
        self.hoist(indent, inner.values())
        self.body(items[1:], scopes + [inner], sink, indent, loops)

    def write_let_star(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        bindings = self.bindings_of(items[0][0], where, repeats=True)
        inner_scopes = scopes
        for binding_name, init, init_where in bindings:
            value = self.value(init, inner_scopes, indent, loops, init_where)
            variable = self.declare(binding_name, self.fresh(f"v_{_identifier(binding_name.name)}_"), loops)
            self.emit(indent, f"{variable} = {value}")
            self.hoist(indent, [variable])
            inner_scopes = inner_scopes + [{binding_name: variable}]
        self.body(items[1:], inner_scopes, sink, indent, loops)

    def write_set(self, form, scopes, sink, indent, loops, where):
        self.assignment(form, scopes, indent, loops, where)
        self.deliver("None", sink, indent)

    def write_define(self, form, scopes, sink, indent, loops, where):
        self.definition(form, scopes, indent, loops, where)
        self.deliver("None", sink, indent)

    def write_lambda(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        self.deliver(self.lambda_(items[0][0], items[1:], scopes, indent, where, "lambda"), sink, indent)

    def cond(self, clauses, scopes, sink, indent, loops):
        for clause, where in clauses:
            parts = scheme_compiler.cells_with_positions(clause, where)
            test_form = parts[0][0]
            if type(test_form) is Symbol and root_of(test_form) is scheme_compiler.ELSE \
                    and self.local(test_form, scopes) is None and scheme_compiler.resolve(test_form, self.scope) is None:
                self.body(parts[1:], scopes, sink, indent, loops)
                return
            if len(parts) >= 2 and type(parts[1][0]) is Symbol and root_of(parts[1][0]) is scheme_compiler.ARROW:
                raise Unsupported
            if len(parts) == 1:
                temporary = self.spill(self.value(test_form, scopes, indent, loops, parts[0][1]), indent)
                self.emit(indent, f"if {temporary} is not False:")
                self.deliver(temporary, sink, indent + 1)
            else:
                test, entry = self.condition(test_form, scopes, indent, loops, parts[0][1])
                self.emit(indent, f"if {test}:", entry)
                self.body(parts[1:], scopes, sink, indent + 1, loops)
            self.emit(indent, "else:")
            indent += 1
        self.deliver("None", sink, indent)

    def condition(self, form, scopes, indent, loops, where):
        """A Python test that ``form`` is true, and what a failure on its line means.

        An inlined primitive is written into the test itself (one line: its fallback
        call is the only call on it).
        """
        if isinstance(form, Pair):
            form_where = scheme_compiler.position_of(form, where)
            if self.special(form.car, scopes) is None:
                found = self.primitive(form, scopes, indent, loops, form_where, as_expression=True)
                if found is not None:
                    text, entry = found
                    if text.endswith(" is not False)"):
                        return text, entry  # a Python bool on the inlined path: only the fallback is tested
                    return f"{text} is not False", entry
        return f"{self.value(form, scopes, indent, loops, where)} is not False", None

    def definition(self, form, scopes, indent, loops, where):
        """An internal ``define``: the local ``body`` made for it gets its value."""
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        target = items[0][0]
        variable = self.local(target.car if isinstance(target, Pair) else target, scopes)
        if variable is None:
            raise Unsupported  # a define the body did not announce (it would be global)
        if isinstance(target, Pair):
            if isinstance(target.car, Pair):
                raise Unsupported  # curried define
            value = self.lambda_(target.cdr, items[1:], scopes, indent, where, target.car.name)
        elif len(items) == 1:
            value = "None"
        else:
            value = self.named_value(items[1][0], scopes, indent, loops, items[1][1], target.name)
        self.emit(indent, f"{variable} = {value}")

    def named_value(self, form, scopes, indent, loops, where, name):
        """A value expression; a lambda takes ``name`` (for messages), as compiler.compile_named does."""
        if isinstance(form, Pair) and type(form.car) is Symbol \
                and self.special(form.car, scopes) is scheme_compiler.compile_lambda:
            items = scheme_compiler.cells_with_positions(form, scheme_compiler.position_of(form, where))[1:]
            return self.lambda_(items[0][0], items[1:], scopes, indent, scheme_compiler.position_of(form, where), name)
        return self.value(form, scopes, indent, loops, where)

    def assignment(self, form, scopes, indent, loops, where):
        """``(set! name value)``: a local, a variable of an enclosing frame, or a global."""
        (name, _), (value_form, value_where) = scheme_compiler.cells_with_positions(form, where)[1:]
        if type(name) is not Symbol or name.alias is not None:
            raise Unsupported
        value = self.spill(self.value(value_form, scopes, indent, loops, value_where), indent)
        variable = self.local(name, scopes)
        if variable is not None:
            self.use(variable, assigning=True)
            self.emit(indent, f"{variable} = {value}")
            return
        if any(name in frame for frame in scopes):
            raise Unsupported  # a named let's own name
        found = scheme_compiler.resolve(name, self.scope)
        if found is not None:
            depth, index, _ = found
            if type(index) is not int:
                raise Unsupported
            self.emit(indent, "env" + "[0]" * depth + f"[{index}] = {value}")
            return
        key = self.global_name(name)
        self.emit(indent, f"set_global(__environment__, {key!r}, {value}, {self.bind(where, 'P')})")
        self.refresh(indent)

    def lambda_(self, parameters, body_items, scopes, indent, where, name) -> str:
        """A lambda written inside: a nested def (its free variables are the enclosing ones); its name."""
        names = []
        cell = parameters
        while isinstance(cell, Pair):
            names.append(cell.car)
            cell = cell.cdr
        rest = cell if cell is not NIL else None
        for parameter in names + ([rest] if rest is not None else []):
            if type(parameter) is not Symbol or parameter.alias is not None:
                raise Unsupported
        function_name = self.fresh("lambda")
        outer_function, saved_guards = self.function, self.guards
        self.function, self.guards = Function(outer_function), []
        frame, variables = {}, []
        returning = ("return",)
        # A self tail call (an internal define calling itself) loops in place, as in the procedure itself.
        own = Loop(None, None, returning)
        own.python_name = function_name
        for parameter in names + ([rest] if rest is not None else []):
            variable = self.declare(parameter, self.fresh(f"v_{_identifier(parameter.name)}_"), [own])
            frame[parameter] = variable
            variables.append(variable)
        if rest is None and self.allow_self_loop:
            own.variables = variables
            self.inner_self_loops.append(own)
        text = ", ".join(variables[:-1] + ["*" + variables[-1]] if rest is not None else variables)
        self.emit(indent, f"def {function_name}({text}):")
        self.emit(indent + 1, "try:")
        self.lines.append(Nonlocals(indent + 2, self.function))
        if rest is not None:
            self.emit(indent + 2, f"{variables[-1]} = make_list({variables[-1]})")
        self.function.prologue = Prologue(indent + 2)
        self.lines.append(self.function.prologue)
        typed = variables if rest is None else variables[:-1]
        self.hoist(indent + 2, typed)
        entry = self.lines[-1]
        self.emit(indent + 2, "while True:")
        self.hoist(indent + 3, typed)
        outer_self_loop, self.self_loop = self.self_loop, own
        self.body(body_items, scopes + [frame], returning, indent + 3, [own])
        self.self_loop = outer_self_loop
        turn = self.lines[self.lines.index(entry) + 2]  # the type tests at the top of each turn
        if own.repeats:
            # As in procedure(): a parameter no self tail call rebinds is type-tested once, on entry.
            entry.variables = [variable for variable in entry.variables if variable not in self.rebound]
            turn.variables = [variable for variable in typed if variable in self.rebound]
            self.invariant.update(entry.variables)
        else:
            turn.variables = []  # no turn comes again: the tests on entry are all (as before)
        self.emit(indent + 1, "except Exception as error:")
        self.emit(indent + 2, "raise procedure_failed(error, SITES)")
        self.function, self.guards = outer_function, saved_guards
        self.inner[function_name] = (name, where, len(names), rest is not None)
        return function_name

    def case(self, form, scopes, sink, indent, loops, where):
        """``(case key ((datum...) body...)... [(else body...)])`` as ``if``/``elif`` on eqv."""
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        key = self.value(items[0][0], scopes, indent, loops, items[0][1])
        if not key.isidentifier():
            temporary = self.fresh("k")
            self.emit(indent, f"{temporary} = {key}")
            key = temporary
        keyword = "if"
        for clause, clause_where in items[1:]:
            parts = scheme_compiler.cells_with_positions(clause, clause_where)
            if type(parts[1][0]) is Symbol and root_of(parts[1][0]) is scheme_compiler.ARROW:
                raise Unsupported
            if self.is_else(parts[0][0], scopes):
                if keyword == "if":
                    self.body(parts[1:], scopes, sink, indent, loops)
                    return
                self.emit(indent, "else:")
                self.body(parts[1:], scopes, sink, indent + 1, loops)
                return
            data = strip_syntax(parts[0][0])
            tests = []
            while isinstance(data, Pair):
                datum = data.car
                if datum is None or type(datum) in (bool, Symbol, Char) or datum is NIL:
                    tests.append(f"{key} is {self.constant(datum)}")
                elif type(datum) is int:
                    tests.append(f"({key} == {self.constant(datum)} and type({key}) is int)")
                else:
                    tests.append(f"is_eqv({key}, {self.bind(datum, 'K')})")
                data = data.cdr
            self.emit(indent, f"{keyword} {' or '.join(tests) or 'False'}:")
            self.body(parts[1:], scopes, sink, indent + 1, loops)
            keyword = "elif"
        if keyword == "if":
            self.deliver("None", sink, indent)
            return
        self.emit(indent, "else:")
        self.deliver("None", sink, indent + 1)

    def do(self, form, scopes, sink, indent, loops, where):
        """``(do ((name init [step])...) (test result...) body...)`` as a ``while True`` loop."""
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        specs = []
        for spec, spec_where in scheme_compiler.cells_with_positions(items[0][0], where) if items[0][0] is not NIL else []:
            parts = scheme_compiler.cells_with_positions(spec, spec_where)
            if type(parts[0][0]) is not Symbol or parts[0][0].alias is not None:
                raise Unsupported
            specs.append(parts)
        values = [self.spill(self.value(parts[1][0], scopes, indent, loops, parts[1][1]), indent) for parts in specs]
        loop_sink = sink if sink[0] == "return" else ("assign", sink[1], True)
        loop = Loop(object(), None, loop_sink, repeats=True)  # no tail call continues a do loop
        if self.function.parent is None:
            self.looping = True
        frame, variables = {}, []
        for parts, value in zip(specs, values):
            variable = self.declare(parts[0][0], self.fresh(f"v_{_identifier(parts[0][0].name)}_"), loops + [loop])
            frame[parts[0][0]] = variable
            variables.append(variable)
            self.emit(indent, f"{variable} = {value}")
        inner = scopes + [frame]
        inner_loops = loops + [loop]
        exit_parts = scheme_compiler.cells_with_positions(items[1][0], items[1][1])
        self.emit(indent, "while True:")
        self.hoist(indent + 1, variables)
        test = self.value(exit_parts[0][0], inner, indent + 1, inner_loops, exit_parts[0][1])
        self.emit(indent + 1, f"if {test} is not False:")
        if len(exit_parts) > 1:
            self.body(exit_parts[1:], inner, loop_sink, indent + 2, inner_loops)
        else:
            self.deliver("None", loop_sink, indent + 2)
        for body_form, body_where in items[2:]:
            self.effect(body_form, inner, indent + 1, inner_loops, body_where)
        steps = [(variable, self.spill(self.value(parts[2][0], inner, indent + 1, inner_loops, parts[2][1]), indent + 1))
                 for variable, parts in zip(variables, specs) if len(parts) == 3]
        if steps:
            self.emit(indent + 1, f"{', '.join(v for v, _ in steps)} = {', '.join(t for _, t in steps)}")
        if sink[0] != "return" and sink[2]:
            self.emit(indent, "break")

    def is_else(self, form, scopes) -> bool:
        return (type(form) is Symbol and root_of(form) is scheme_compiler.ELSE and self.local(form, scopes) is None
                and not any(form in frame for frame in scopes) and scheme_compiler.resolve(form, self.scope) is None)

    def guard(self, form, scopes, sink, indent, loops, where):
        """``(guard (e clause...) body...)`` as try/except; its clause tests also run at the raise point.

        As with the nodes (compiler.compile_guard), the running guard is on the handler
        chain as ``(None, select)``: ``raise`` asks ``select`` which clause it would take
        (a nested def evaluating the tests only), and the clause body runs after the
        body's extent has ended. The body is not in tail position.
        """
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        spec, spec_where = items[0]
        if not isinstance(spec, Pair) or type(spec.car) is not Symbol or spec.car.alias is not None:
            raise Unsupported
        clauses = []
        for index, (clause, clause_where) in enumerate(scheme_compiler.cells_with_positions(spec, spec_where)[1:]):
            if not isinstance(clause, Pair):
                raise Unsupported
            parts = scheme_compiler.cells_with_positions(clause, clause_where)
            if len(parts) >= 2 and type(parts[1][0]) is Symbol and root_of(parts[1][0]) is scheme_compiler.ARROW:
                raise Unsupported
            clauses.append(parts)
        number = self.fresh("")
        variable = self.fresh(f"v_{_identifier(spec.car.name)}_")
        clause_scopes = scopes + [{spec.car: variable}]
        select = f"select{number}"
        state, outer, marker, result = (f"state{number}", f"outer{number}", f"marker{number}", f"r{number}")
        # The tests, at the raise point: a nested def of its own (its failures converted here too),
        # made once per call of the enclosing function (its prologue), not once per turn of a loop:
        # it runs only while this guard's body runs, so it reads the variables' current values.
        prologue = self.function.prologue
        saved_lines = self.lines
        top = indent
        if prologue is not None:
            self.lines, top = prologue.lines, prologue.indent
        self.emit(top, f"def {select}(frame):")
        self.emit(top + 1, "try:")
        outer_function = self.function
        self.function = Function(outer_function, synchronous=True)
        self.lines.append(Nonlocals(top + 2, self.function))
        self.function.prologue = Prologue(top + 2)
        self.lines.append(self.function.prologue)
        self.declare(spec.car, variable, ())
        saved_guards, self.guards = self.guards, []
        self.emit(top + 2, f"{variable} = frame[1]")
        no_loops = [Loop(object(), None, None)]
        for index, parts in enumerate(clauses):
            if self.is_else(parts[0][0], clause_scopes):
                self.emit(top + 2, f"return ({index}, True)")
                break
            test = self.spill(self.value(parts[0][0], clause_scopes, top + 2, no_loops, parts[0][1]), top + 2)
            self.emit(top + 2, f"if {test} is not False:")
            self.emit(top + 3, f"return ({index}, {test})")
        else:
            self.emit(top + 2, "return None")
        self.emit(top + 1, "except Exception as error:")
        self.emit(top + 2, "raise procedure_failed(error, SITES)")
        self.function = outer_function
        self.guards = saved_guards
        self.emit(top, f"{marker} = (None, {select})")
        self.lines = saved_lines
        self.emit(indent, f"{state} = current.state")
        self.emit(indent, f"{outer} = {state}.handlers")
        # Every way out of the body puts the outer handlers back (see sxflow.dynamic).
        self.emit(indent, "try:")
        self.emit(indent + 1, f"{state}.handlers = ({marker}, {outer}, {outer}[2] + 1)")
        self.guards.append((marker, outer, state))
        self.body(items[1:], scopes, ("assign", result, False), indent + 1, loops)
        self.guards.pop()
        self.emit(indent, f"except Exception as error{number}:")
        self.emit(indent + 1, f"{state}.handlers = {outer}")
        self.refresh(indent + 1)
        # A raise that chose this guard's clause at the raise point (the usual case) is taken
        # here; anything else is explained and its clause chosen by guard_caught.
        choice = f"choice{number}"
        self.emit(indent + 1, f"{choice} = error{number}.guard_choice if type(error{number}) is SchemeError else None")
        self.emit(indent + 1, f"if {choice} is not None and {choice}[0] is {marker}:")
        self.emit(indent + 2, f"{variable}, {choice} = error{number}.args[0], {choice}[1]")
        self.emit(indent + 1, "else:")
        self.emit(indent + 2, f"{variable}, {choice} = guard_caught(error{number}, {marker}, {outer}[2], SITES)")
        self.declare(spec.car, variable, loops)
        if not clauses:
            self.emit(indent + 1, "raise")
        for index, parts in enumerate(clauses):
            keyword = "if" if index == 0 else "elif"
            if self.is_else(parts[0][0], clause_scopes):
                self.emit(indent + 1, "else:")
                self.body(parts[1:], clause_scopes, sink, indent + 2, loops)
                break
            self.emit(indent + 1, f"{keyword} choice{number}[0] == {index}:")
            if len(parts) == 1:
                self.deliver(f"choice{number}[1]", sink, indent + 2)
            else:
                self.body(parts[1:], clause_scopes, sink, indent + 2, loops)
        else:
            if clauses:
                self.emit(indent + 1, "else:")
                self.emit(indent + 2, "raise AssertionError('guard_caught chose no clause')")
        self.emit(indent, "except BaseException:")
        self.emit(indent + 1, f"{state}.handlers = {outer}")
        self.emit(indent + 1, "raise")
        self.emit(indent, "else:")
        self.emit(indent + 1, f"{state}.handlers = {outer}")
        self.deliver(result, sink, indent + 1)

    def named_let(self, items, scopes, sink, indent, loops, where):
        """A named let whose name is only tail-called from its own body: a ``while True`` loop."""
        loop_name = items[0][0]
        if loop_name.alias is not None or len(items) < 3:
            raise Unsupported
        bindings = self.bindings_of(items[1][0], where)
        values = [self.spill(self.value(init, scopes, indent, loops, init_where), indent)
                  for _, init, init_where in bindings]
        inner = {loop_name: None}  # the loop's name: usable only as a tail call (see application)
        variables = []
        if sink[0] == "return":
            loop_sink = sink
        else:
            loop_sink = ("assign", sink[1], True)
        loop = Loop(loop_name, variables, loop_sink, repeats=True)
        if self.function.parent is None:
            self.looping = True
        for (binding_name, _, _), value in zip(bindings, values):
            variable = self.declare(binding_name, self.fresh(f"v_{_identifier(binding_name.name)}_"), loops + [loop])
            inner[binding_name] = variable
            variables.append(variable)
            self.emit(indent, f"{variable} = {value}")
        self.emit(indent, "while True:")
        self.hoist(indent + 1, variables)
        self.body(items[2:], scopes + [inner], loop_sink, indent + 1, loops + [loop])
        if loop.continues_outer:
            # Left by a tail call of the loop around (see continue_outer): it goes round again.
            if sink[0] == "return":
                self.emit(indent, "continue")
            else:
                self.emit(indent, f"if {sink[1]} is LOOP_AGAIN:")
                self.emit(indent + 1, "continue")
        if sink[0] != "return" and sink[2]:
            self.emit(indent, "break")

    def bindings_of(self, bindings, where, repeats=False):
        result = []
        for binding, binding_where in scheme_compiler.cells_with_positions(bindings, where) if bindings is not NIL else []:
            parts = scheme_compiler.cells_with_positions(binding, binding_where)
            if type(binding.car) is not Symbol or binding.car.alias is not None or len(parts) != 2:
                raise Unsupported
            result.append((binding.car, parts[1][0], parts[1][1]))
        return result

    # -- expressions --------------------------------------------------------------

    def local(self, name, scopes):
        for frame in reversed(scopes):
            if name in frame:
                return frame[name]
        return None

    def special(self, head, scopes):
        """The special-form handler ``head`` names here, None for an application; macros are unsupported."""
        if type(head) is not Symbol:
            return None
        if head.alias is not None:
            raise Unsupported
        for frame in reversed(scopes):
            if head in frame:
                return None
        meaning = self.compiler.keyword_meaning(head, self.scope)
        if isinstance(meaning, Macro):
            raise Unsupported
        if meaning is not None and meaning not in _SUPPORTED:
            raise Unsupported
        return meaning

    def spill(self, expression: str, indent: int) -> str:
        """``expression`` evaluated now, into a temporary (unless it is already a plain name)."""
        if expression.isidentifier() or expression.lstrip("-").isdigit():
            return expression  # a name, or an integer literal
        temporary = self.fresh("t")
        self.emit(indent, f"{temporary} = {expression}")
        return temporary

    def value(self, form, scopes, indent, loops, where) -> str:
        """A Python expression for ``form``'s value, after statements emitted at ``indent``.

        The expression reads only locals and constants, or is evaluated before any later
        statement (callers spill it), so Scheme's left-to-right order is kept.
        """
        if type(form) is Symbol:
            return self.variable(form, scopes, indent, where)
        if isinstance(form, Pair):
            where = scheme_compiler.position_of(form, where)
            handler = self.special(form.car, scopes)
            if handler is scheme_compiler.compile_quote:
                node = scheme_compiler.compile_quote(self.compiler, form, self.scope, False, where)
                return self.constant(node.value)
            if handler is scheme_compiler.compile_lambda:
                items = scheme_compiler.cells_with_positions(form, where)[1:]
                return self.lambda_(items[0][0], items[1:], scopes, indent, where, "lambda")
            if handler is None:
                primitive = self.primitive(form, scopes, indent, loops, where)
                if primitive is not None:
                    return primitive
            temporary = self.fresh("r")
            self.to_sink(form, scopes, ("assign", temporary, False), indent, loops, where)
            return temporary
        if type(form).__name__ not in _ATOMS:
            raise Unsupported  # vectors and anything unusual: the nodes know how
        return self.constant(form)

    def constant(self, value) -> str:
        if value is None or type(value) is bool or (type(value) is int and -10**6 < value < 10**6):
            return repr(value)
        return self.bind(value, "K")

    def variable(self, name, scopes, indent, where) -> str:
        if name.alias is not None:
            raise Unsupported
        variable = self.local(name, scopes)
        if variable is not None:
            self.use(variable)
            if variable in self.late:
                # An internal definition read before it ran is an error (as in the nodes).
                self.emit(indent, f"if {variable} is UNASSIGNED: raise unassigned_variable("
                                  f"{self.bind(name, 'N')}, {self.bind(where, 'P')})")
            return variable
        for frame in scopes:
            if name in frame:  # a named let's own name used as a value
                raise Unsupported
        found = scheme_compiler.resolve(name, self.scope)
        if found is not None:
            depth, index, owner = found
            if type(index) is not int:
                raise Unsupported
            text = "env" + "[0]" * depth + f"[{index}]"
            if name in owner.late:
                return self.spill(f"assert_assigned({text}, {self.bind(name, 'N')}, {self.bind(where, 'P')})",
                                  indent)
            return self.spill(text, indent)
        key = self.global_name(name)
        temporary = self.fresh("g")
        # An unbound global is a NameError on this line: procedure_failed reports it here.
        self.emit(indent, f"{temporary} = {key}", (Site(where, None), None, None))
        return temporary

    def operands(self, items, scopes, indent, loops) -> list[str]:
        """Each operand evaluated in order, into a plain name or constant."""
        return [self.spill(self.value(item, scopes, indent, loops, where), indent) for item, where in items]

    @staticmethod
    def reference(text: str):
        """How procedure_failed finds the value of an operand written as ``text``."""
        if text.isidentifier() and not text.startswith("K") and text not in ("None", "True", "False"):
            return ("local", text)
        if text.startswith("K") and text[1:].isdigit():
            return ("binding", text)
        return ("constant", _LITERALS[text] if text in _LITERALS else int(text))  # written by constant()

    def references(self, texts):
        return tuple(self.reference(text) for text in texts)

    def finish_references(self, references):
        """Bound constants are resolved now (their values are known)."""
        return tuple(("constant", self.bindings[value]) if kind == "binding" else (kind, value)
                     for kind, value in references)

    def call_free(self, form, scopes, depth: int = 0) -> bool:
        """Whether evaluating ``form`` calls no Scheme code while the inlined builtins are intact."""
        if not isinstance(form, Pair):
            return True
        head = form.car
        if type(head) is not Symbol or head.alias is not None or any(head in frame for frame in scopes):
            return False
        if scheme_compiler.resolve(head, self.scope) is not None:
            return False
        meaning = self.compiler.keyword_meaning(head, self.scope)
        if meaning is scheme_compiler.compile_quote:
            return True
        if meaning is not None or depth > 8:
            return False
        count = 0
        cell = form.cdr
        while isinstance(cell, Pair):
            if not self.call_free(cell.car, scopes, depth + 1):
                return False
            count += 1
            cell = cell.cdr
        return cell is NIL and (root_of(head), count) in specialize.INLINE_PRIMITIVES

    def primitive(self, form, scopes, indent, loops, where, tail=False, as_expression=False):
        """An inlined builtin call as an expression, or None when the call is not one.

        With ``as_expression``, ``(conditional expression, site entry)`` for one line instead.
        """
        head = form.car
        if type(head) is not Symbol or self.local(head, scopes) is not None or any(head in f for f in scopes):
            return None
        if scheme_compiler.resolve(head, self.scope) is not None:
            return None
        items = scheme_compiler.cells_with_positions(form, where)[1:]
        root = root_of(head)
        inline = specialize.INLINE_PRIMITIVES.get((root, len(items)))
        if inline is None:
            return None
        builtin, guard, expression = inline
        alternative = specialize.INLINE_ALTERNATIVES.get((root, len(items)))
        first_fits = all(type_name is None or isinstance(item, (Pair, Symbol)) or type(item).__name__ == type_name
                         for type_name, (item, _) in zip(guard, items))
        # A float guard also takes a small integer literal (float with int is then Python's exact operation).
        alternative_fits = alternative is not None and all(
            isinstance(item, (Pair, Symbol)) or type(item) is float
            or (type(item) is int and -10**6 < item < 10**6) for item, _ in items)
        if not first_fits and not alternative_fits:
            return None
        operands = self.operands(items, scopes, indent, loops)
        key = self.global_name(root)
        site = Site(where, form, None)
        conditions = []
        if first_fits:
            checks = [self.type_test(text, type_name) for type_name, text in zip(guard, operands)
                      if type_name is not None and text.isidentifier()]
            check = specialize.INLINE_CHECKS.get((root, len(items)))
            if check is not None:
                checks.append(f"({check.format(*operands)})")
            conditions.append(" and ".join(checks + [self.intact()]))
        if alternative_fits:
            # Tested only when the first guard fails: written in place, never a hoisted flag
            # (an integer program pays nothing for it).
            # (a float literal among the operands says floats are expected: then it may be hoisted).
            checks = [f"type({text}) is float" if first_fits else self.type_test(text, "float") for text in operands
                      if text.isidentifier() and not (text.startswith("K") and type(self.bindings.get(text)) is float)]
            conditions.append(" and ".join(checks + [self.intact()]))
        arguments = "(" + "".join(text + ", " for text in operands) + ")"
        entry = (site, ("global", key), self.finish_references(self.references(operands)))
        fast = expression.format(*operands)
        if as_expression:
            chain = "".join(f"{fast} if {condition} else " for condition in conditions)
            if _boolean(expression, guard):
                return f"({chain}complete({key}({', '.join(operands)})) is not False)", entry
            return f"({chain}complete({key}({', '.join(operands)})))", entry
        temporary = self.fresh("p")
        comment = f"  # {_comment(format_position(where))}"
        for number, condition in enumerate(conditions):
            self.emit(indent, f"{'if' if number == 0 else 'elif'} {condition}:")
            self.emit(indent + 1, f"{temporary} = {fast}", entry)
        self.emit(indent, "else:")
        if tail:
            self.emit(indent + 1, f"{temporary} = TailCall(({key}, {arguments}, {self.bind(site, 'S')})){comment}",
                      entry)
        else:
            self.emit(indent + 1, f"{temporary} = {key}({', '.join(operands)}){comment}", entry)
            self.emit(indent + 1, f"if type({temporary}) is TailCall: {temporary} = complete({temporary})", entry)
        return temporary

    def application(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.cells_with_positions(form, where)
        head = items[0][0]
        # A named let's loop name: only a tail call from inside its own loop, with its arity.
        if type(head) is Symbol and self.local(head, scopes) is None and any(head in f for f in scopes):
            loop = loops[-1]
            if loop.name is not head and self.continue_outer(head, items, sink, indent, loops, scopes):
                return
            if loop.name is not head or len(items) - 1 != len(loop.variables) or loop.sink is not sink:
                raise Unsupported
            values = self.operands(items[1:], scopes, indent, loops)
            self.rebind(loop.variables, values, indent)
            self.emit(indent, "continue")
            return
        primitive = self.primitive(form, scopes, indent, loops, where, tail=sink[0] == "return")
        if primitive is not None:
            self.deliver(primitive, sink, indent)
            return
        site = Site(where, form, None)
        if self.guards and len(items) == 2 and type(head) is Symbol and head.alias is None \
                and root_of(head) is RAISE and not any(head in f for f in scopes) \
                and scheme_compiler.resolve(head, self.scope) is None:
            # (raise x) inside a guard's body here: that guard chooses its clause at once.
            key = self.global_name(head)
            payload = self.spill(self.value(items[1][0], scopes, indent, loops, items[1][1]), indent)
            marker, outer, state = self.guards[-1]
            entry = (site, ("global", key), self.finish_references(self.references([payload])))
            self.emit(indent, f"if {key} is RAISE_BUILTIN:", entry)
            self.emit(indent + 1, f"raise guard_raise({payload}, {marker}, {outer}, {state})", entry)
            self.emit(indent, "else:")
            self.emit_call(key, ("global", key), [payload], site, sink, indent + 1, loops, where)
            return
        if type(head) is Symbol and head.alias is None and not any(head in f for f in scopes) \
                and scheme_compiler.resolve(head, self.scope) is None:
            key = self.global_name(head)
            operator_reference = ("global", key)
            if all(self.call_free(item, scopes) for item, _ in items[1:]):
                # No operand runs Scheme code (unless an inlined builtin was redefined): the
                # global is read at the call (R7RS leaves the order of operator and operands open).
                operator = key
            else:
                # Read first (Scheme order); unbound, it is reported at the call's position.
                operator = self.fresh("f")
                self.emit(indent, f"{operator} = {key}", (site, None, None))
                operator_reference = ("local", operator)
        else:
            operator = self.value(head, scopes, indent, loops, items[0][1])
            if not operator.isidentifier() or operator.startswith("K"):  # a constant operator such as (5 1)
                temporary = self.fresh("f")
                self.emit(indent, f"{temporary} = {operator}")
                operator = temporary
            operator_reference = ("local", operator)
        names = self.operands(items[1:], scopes, indent, loops)
        self.emit_call(operator, operator_reference, names, site, sink, indent, loops, where)

    def continue_outer(self, head, items, sink, indent, loops, scopes) -> bool:
        """A tail call of the named let directly around this one (``(loop ...)`` inside ``(let bit ...)``).

        The inner loop is left with ``break`` after the outer loop's variables are rebound;
        the statement after the inner ``while`` (written by named_let) continues the outer
        one. Only where the inner named let is in tail position of the outer one, so that
        leaving it ends the outer loop's turn: their sinks are the same (one return, or one
        result variable, which holds LOOP_AGAIN only on this way out). False when not this case.
        """
        if len(loops) < 2:
            return False
        inner, outer = loops[-1], loops[-2]
        if outer.name is not head or type(inner.name) is not Symbol or inner.sink is not sink \
                or outer.variables is None or len(items) - 1 != len(outer.variables):
            return False
        if not (inner.sink is outer.sink or (inner.sink[0] == outer.sink[0] == "assign"
                                             and inner.sink[1] == outer.sink[1] and inner.sink[2] and outer.sink[2])):
            return False
        values = self.operands(items[1:], scopes, indent, loops)
        self.rebind(outer.variables, values, indent)
        if sink[0] != "return":
            self.emit(indent, f"{sink[1]} = LOOP_AGAIN")
        self.emit(indent, "break")
        inner.continues_outer = True
        return True

    def rebind(self, variables, values, indent) -> None:
        """A loop's variables take their new values at once (one that keeps its value is left alone)."""
        changed = [(variable, value) for variable, value in zip(variables, values) if variable != value]
        self.rebound.update(variable for variable, _ in changed)
        if changed:
            self.emit(indent, f"{', '.join(v for v, _ in changed)} = {', '.join(t for _, t in changed)}")

    def emit_call(self, operator, operator_reference, names, site, sink, indent, loops, where):
        """The call of ``operator`` (a name) with ``names`` (names or constants), its value to ``sink``."""
        entry = (site, operator_reference, self.finish_references(self.references(names)))
        comment = f"  # {_comment(format_position(where))}"
        arguments = "(" + "".join(name + ", " for name in names) + ")"
        if sink[0] == "return":
            own = self.self_loop
            if loops[-1] is own and own.sink is sink and own.variables is not None \
                    and len(names) == len(own.variables):
                own.repeats = True
                self.emit(indent, f"if {operator} is {own.python_name}:", entry)
                self.rebind(own.variables, names, indent + 1)
                self.emit(indent + 1, "continue")
            self.emit(indent, f"return TailCall(({operator}, {arguments}, {self.bind(site, 'S')})){comment}", entry)
            return
        result = sink[1]
        self.emit(indent, f"{result} = {operator}({', '.join(names)}){comment}", entry)
        self.emit(indent, f"if type({result}) is TailCall: {result} = complete({result})", entry)
        self.refresh(indent)
        if sink[2]:
            self.emit(indent, "break")


def _assigned_names(forms) -> set:
    """Every name some ``(set! name ...)`` in ``forms`` assigns, at any depth (a syntactic over-approximation)."""
    names = set()
    stack = list(forms)
    while stack:
        form = stack.pop()
        while isinstance(form, Pair):
            head = form.car
            if head is SET and isinstance(form.cdr, Pair) and type(form.cdr.car) is Symbol:
                names.add(form.cdr.car)
            if isinstance(head, Pair):
                stack.append(head)
            form = form.cdr
    return names


def _defines_inside(form) -> bool:
    """Whether a ``begin`` holds a definition at its top (spliced into the body: left to the nodes)."""
    cell = form.cdr
    while isinstance(cell, Pair):
        if isinstance(cell.car, Pair) and cell.car.car in (DEFINE, BEGIN):
            return True
        cell = cell.cdr
    return False


def _boolean(expression: str, guard) -> bool:
    """Whether an inline form is always a Python bool: identity tests, or comparisons of guarded operands."""
    found = _BOOLEAN.get((expression, guard))
    if found is None:
        tree = ast.parse(expression.format(*(f"x{index}" for index in range(len(guard)))), mode="eval").body
        found = isinstance(tree, ast.Compare) and (
            all(isinstance(operator, (ast.Is, ast.IsNot)) for operator in tree.ops)
            or all(type_name in ("int", "float", "str") for type_name in guard))
        _BOOLEAN[(expression, guard)] = found
    return found


_BOOLEAN: dict = {}


def _identifier(text: str) -> str:
    cleaned = "".join(character if character.isalnum() and character.isascii() else "_" for character in text)
    return cleaned[:20]


def _comment(text: str) -> str:
    return text.replace("\n", " ").replace("\r", " ")


_SUPPORTED = frozenset()
_WRITERS: dict = {}  # compiler handler -> Writer method (filled by install)
_ATOMS = frozenset(("int", "float", "str", "bool", "Char", "Fraction", "complex"))


# The closure compiler whose forms this back end writes out: compiler.py imports this
# module and hands itself over with install() (so imports go one way, compiler -> here).
scheme_compiler = None


def install(compiler_module) -> None:
    """Take the compiler module and the special forms this back end writes out (called once compiler.py has defined them)."""
    global _SUPPORTED, scheme_compiler
    scheme_compiler = compiler_module
    # The writer of each special form this back end writes out: adding a form is one
    # entry here and its method on Writer (quote needs none: it is a value).
    _WRITERS.clear()
    _WRITERS.update({
        scheme_compiler.compile_if: Writer.write_if, scheme_compiler.compile_cond: Writer.write_cond,
        scheme_compiler.compile_when: Writer.write_when, scheme_compiler.compile_and: Writer.write_and,
        scheme_compiler.compile_or: Writer.write_or, scheme_compiler.compile_begin: Writer.write_begin,
        scheme_compiler.compile_let: Writer.write_let, scheme_compiler.compile_let_star: Writer.write_let_star,
        scheme_compiler.compile_guard: Writer.guard, scheme_compiler.compile_case: Writer.case,
        scheme_compiler.compile_set: Writer.write_set, scheme_compiler.compile_do: Writer.do,
        scheme_compiler.compile_define: Writer.write_define, scheme_compiler.compile_lambda: Writer.write_lambda,
    })
    _SUPPORTED = frozenset(_WRITERS) | {scheme_compiler.compile_quote}
