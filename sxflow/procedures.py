"""Whole procedures as Python source: one ``def`` per Scheme procedure, its inner lambdas nested defs.

The closure compiler (compiler.py) turns every form into a node; a call of a node
is a Python call. For a procedure whose body uses variables, constants, ``quote``,
``if``, ``cond``, ``case``, ``and``, ``or``, ``when``, ``unless``, ``begin``, ``let``,
``let*``, named ``let``, ``do``, ``set!``, ``lambda``, internal definitions, ``guard``,
``letrec``, ``let-values``, quasiquote, ``delay``, ``parameterize``, ``case-lambda``,
macros and calls, this module writes the whole body as one Python function instead
(``make(env)`` returns it, a closure over ``env``, the frame of the nodes around it):

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
  self tail call never rebinds: once, before the loop). A type test reads an
  ``INTACT_<type>`` alias (runtime.INTACT_TYPES), so it also says the builtins are
  intact: a guard with such a test made since the last call (anything that may run
  Scheme code, which alone can clear INTACT) tests nothing more; any other guard tests
  ``INTACT`` (a procedure with a loop whose guards read it more often than its calls
  would refresh it keeps it in a local, read again after each call, caught raise or
  assignment of a global);
- a tail call of the procedure itself, and of a named-``let`` loop from its own body,
  is a ``continue`` of a ``while True`` (a loop that makes no call reads once whether its
  operator is the procedure); other tail calls return a ``TailCall``, except an inlined
  builtin's fallback, called at once while the builtins are intact. After a call, the
  pending-tail-call test waits in the slow path of a guard that tests the call's value
  right after it, and a call of the procedure's own global skips it while that global
  is tail-free (``NOTAIL_<key>``, see runtime);
- ``guard`` is ``try``/``except``; its clause tests are a nested ``select`` def (made
  once per call of the enclosing function, not once per turn of a loop) that
  ``raise`` asks at the raise point, as with the nodes (a ``raise`` written in the
  guard's body asks it directly).

Macro uses are expanded as the writer meets them, by the compiler's own machinery
(``expand_body``, ``expand_use``); each frame of the generated function has a compiler
``Scope`` standing for it (``frame_scope``), so a macro's renamed identifiers resolve
as they do in the nodes (``unalias``).

A closure must keep its own binding of each variable it captures: one made inside a
loop gets cells of its own for the loop variables it captures (``keep_bindings``: a
factory def taking them); a loop whose captured variable ``set!`` assigns is written
as a local procedure, each turn a call; over the self-tail-call loop, the procedure is
written again without that loop. A procedure Python cannot compile (too long, too
deeply nested) keeps the nodes: ``compile_procedure`` returns None and the closure
compiler compiles the body, so both give the same values, errors, positions and traces.

Each procedure is compiled once: this module is tried first, and a body it writes is
never compiled to nodes. So each writer checks its form with the shape function the
compiler's handler uses (``if_shape``, ``let_shape``, ``clause_shape``,
``letrec_shape``…: the same SxSyntaxError, message and position); whatever it cannot
check (a macro keyword used as a variable, a define where definitions are not
allowed…) it declines, and the nodes report it.

The generated source carries the Scheme position of each call as a comment, is
registered with ``linecache`` and dumped with ``SXFLOW_DUMP_CODE`` (see specialize),
and each function is named ``procedure <name> <file:line:column>``; a source text
is compiled once per process and bound to each interpreter's namespace.
"""

from __future__ import annotations

import ast
import builtins
from types import FunctionType

from . import runtime
from . import specialize
from .data import NIL, UNASSIGNED, Char, Pair, SourcePair, Symbol, Vector, _Marker, is_eqv, list_to_python, make_list
from .macros import Macro, rename, root_of, strip_syntax
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
from .errors import SxSyntaxError
from .promises import Promise
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

# ``x.__class__ is INTACT_int``: x is an int and INTACT is true (see runtime.INTACT_TYPES). A guard
# reads ``__class__`` rather than calling ``type``: a third cheaper, and the same answer for every
# value but a foreign Python object that lies about its class (a mock), which is taken at its word.
runtime.INTACT_TYPES.update({f"INTACT_{name}": specialize._TEMPLATE_GLOBALS.get(name) or getattr(builtins, name)
                             for name in specialize.GUARD_TYPES})

_LITERALS = {"None": None, "True": True, "False": False}
RAISE, SET, NOT = Symbol("raise"), Symbol("set!"), Symbol("not")

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


class LoopCalled(Exception):
    """A named let's name is used otherwise than as a tail call from its own loop: written again as a procedure."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class MoreAssigned(Exception):
    """A macro expansion assigns names the body did not show: the procedure is written again knowing them."""

    def __init__(self, names) -> None:
        super().__init__(names)
        self.names = names


class Function:
    """A Python function being written: the procedure itself, a lambda inside it, or a guard's select."""

    def __init__(self, parent, synchronous: bool = False) -> None:
        self.parent = parent
        # A select runs only while its guard's body runs: what it reads cannot change meanwhile.
        self.synchronous = synchronous
        self.nonlocals: set[str] = set()
        self.captures: set[str] = set()  # variables of enclosing functions it reads or assigns
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
    """Where the type tests of some variables are computed once (see Writer.type_test).

    A flag is computed with the ``INTACT_<type>`` alias, so it also says the builtins were
    intact then: until the next call (``epoch``) it needs no ``intact`` beside it.
    """

    def __init__(self, indent: int, epoch: int = 0, loops=(), function=None) -> None:
        self.indent = indent
        self.variables: list[str] = []
        self.epoch = epoch
        self.loops = tuple(loops)
        self.function = function


class GuardUse:
    """An inline guard written with a marker: whether it still needs ``intact`` is decided once all is written."""

    def __init__(self, checks, epoch: int, loops, function) -> None:
        self.checks = checks
        self.epoch = epoch
        self.loops = tuple(loops)
        self.function = function


class SelfChecks:
    """Where a self-tail-call loop that makes no call reads once whether its operator is the procedure itself."""

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.operators: list[str] = []


class Loop:
    """A ``while True`` the generated code is inside: a procedure body or a named let."""

    def __init__(self, name, variables, sink, repeats: bool = False) -> None:
        self.repeats = repeats  # goes round again (its variables are rebound): closures cannot keep them
        self.calls = False  # something in it may run Scheme code (a call, a global's assignment, a caught raise)
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
    """``make(frame)`` for ``(lambda names body...)`` as one generated Python function, or None: the nodes compile it.

    None when the body is too long or too deep to write, or uses a form this back end
    leaves to the nodes, and when it is malformed: the Writer checks each form it
    writes with the compiler's own shape functions (the same SxSyntaxError), and the
    nodes then report the error, so that of several errors in one procedure the one
    reported is the first in the nodes' order, as it always was.
    """
    try:
        return write_procedure(compiler, names, rest, body_items, scope, position, name)
    except (Unsupported, RecursionError, SxSyntaxError):
        return None  # a lambda first made deep in a recursion may not have the stack to be written: nodes


def write_procedure(compiler, names, rest, body_items, scope, position, name):
    """``make(frame)`` for ``(lambda names body...)`` written by a Writer; Unsupported or SxSyntaxError otherwise.

    What the Writer learns while writing (a closure keeping a loop variable, names a
    macro's expansion assigns, a named let called otherwise) makes it write again.
    """
    self_loop, assigned, called = True, frozenset(), frozenset()
    depth = compiler.expansion_depth
    try:
        while True:
            try:
                return Writer(compiler, scope, position, name, self_loop=self_loop, assigned=assigned,
                              called=called).procedure(names, rest, body_items)
            except SelfLoopCaptured:
                # A closure keeps a parameter the self tail call would rebind: tail calls return instead.
                self_loop = False
            except MoreAssigned as more:
                assigned = assigned | more.names  # grows each time: written again at most once per name
            except LoopCalled as loop:
                called = called | {loop.index}  # likewise: at most once per named let
    finally:
        compiler.expansion_depth = depth


class Writer:
    """Writes one procedure: its lines, the values it closes over, its local names, its call sites."""

    def __init__(self, compiler, scope, position, name, self_loop: bool = True, assigned=frozenset(),
                 called=frozenset()) -> None:
        self.allow_self_loop = self_loop
        # Named lets (numbered in the order they are written) whose name is called otherwise than
        # as a loop: written as a local procedure, as the nodes make them.
        self.called_lets = called
        self.named_lets = 0
        self.assigned_by_macros = assigned  # names set! assigns in macro expansions (see MoreAssigned)
        self.frame_scopes: dict = {}  # id(frame) -> (frame, the compiler Scope standing for it)
        self.scheme_names: dict = {}  # Python variable -> the Scheme name it holds
        self.snapshotted: set = set()  # loop variables closures keep in cells of their own
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
        # Calls written so far (anything that may run Scheme code, so clear INTACT): a hoisted
        # type flag is fresh while no call has been written since (see GuardUse).
        self.epoch = 0
        self.guard_uses: list[GuardUse] = []
        self.self_checks = None  # the SelfChecks of the procedure's own loop
        self.intact_sites = 0  # guards of the procedure itself that test intact
        # The last call written, while its pending-tail-call test is the last line (see primitive).
        self.pending_check = None
        # The global the procedure is defined under (by its name), and whether every pending tail
        # call it may return is its own loop's, through that global (see runtime.TAIL_FREE).
        self.own_key = global_key(Symbol(name)) if isinstance(name, str) and name else None
        self.tail_free = True
        self.tail_site_allowed = False  # set while writing a pending tail call tail_free allows
        self.call_refreshes = 0  # places the local would be read again after a call
        self.calls_unplaced = False  # a call was written without the loops around it (see refresh)
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
        if "TailCall((" in text and self.function.parent is None and not self.tail_site_allowed:
            self.tail_free = False  # a pending tail call no NOTAIL flag accounts for
        self.lines.append(("    " * indent + text, site))
        if len(self.lines) > MAX_LINES or indent > MAX_INDENT:
            raise Unsupported

    def refresh(self, indent: int, loops=None, entry: bool = False) -> None:
        """Read INTACT into ``intact`` again here (written only if some primitive uses it).

        Anywhere but on ``entry`` it follows a call (or anything else that may run Scheme
        code); ``loops``, the loops around, then hold a call. Without them (any loop may),
        no type test made before a loop is trusted in it, nor a self check read once.
        """
        if not entry:
            self.epoch += 1
            if loops is None:
                self.calls_unplaced = True
            for loop in loops or ():
                loop.calls = True
        if self.function.parent is None:
            self.lines.append(Refresh(indent))
            if not entry:
                self.call_refreshes += 1

    def intact(self) -> str:
        """The name the inlined-builtins flag is read by: the procedure's local, or (in nested defs) the global."""
        if self.function.parent is None:
            self.intact_used = True
            self.intact_sites += 1
            return "\x02"  # "intact", or "INTACT" if the procedure has no loop (see finish_lines)
        return "INTACT"

    def hoist(self, indent: int, variables, loops=()) -> None:
        """Compute the type tests of ``variables`` here (they are not assigned again below, up to a loop's top)."""
        placeholder = Hoist(indent, self.epoch, loops, self.function)
        placeholder.variables = [variable for variable in variables if variable not in self.unhoistable]
        self.lines.append(placeholder)
        for variable in placeholder.variables:
            self.hoisted[variable] = placeholder

    def declare(self, name, variable: str, loops) -> str:
        """``variable`` now holds the Scheme variable ``name`` in the function being written."""
        self.owner[variable] = self.function
        self.variable_loops[variable] = tuple(loops)
        self.scheme_names[variable] = name
        if root_of(name) in self.assigned_names:
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
                function.captures.add(variable)
            function = function.parent
        if assigning:
            self.function.nonlocals.add(variable)

    def type_test(self, text: str, type_name: str) -> str:
        """``type(text) is type_name``; for a variable tested twice or more, a flag computed where it is bound."""
        if text in self.hoisted:
            key = (text, type_name)
            self.type_tests[key] = self.type_tests.get(key, 0) + 1
            return f"\x00{text}\x01{type_name}\x00"
        return f"{text}.__class__ is INTACT_{type_name}"

    def guard_condition(self, checks, loops) -> str:
        """``checks`` and, unless one of them already says so (see GuardUse), that the builtins are intact."""
        if not any(check.startswith("\x00") or " is INTACT_" in check for check in checks):
            return " and ".join(checks + [self.intact()])
        self.guard_uses.append(GuardUse(checks, self.epoch, loops, self.function))
        return " and ".join(checks) + f"\x03{len(self.guard_uses) - 1}\x03"

    def guard_fresh(self, use: GuardUse, flags, hoist_of) -> bool:
        """Whether a check of ``use`` tests an ``INTACT_<type>`` alias with no call written since."""
        for check in use.checks:
            if not check.startswith("\x00"):
                if " is INTACT_" in check:
                    return True  # an alias read at the guard itself
                continue
            variable, type_name = check.strip("\x00").split("\x01")
            if (variable, type_name) not in flags:
                return True  # written in place: an alias read at the guard
            hoist = hoist_of.get(variable)
            if hoist is not None and hoist.function is use.function and hoist.epoch == use.epoch \
                    and not any((loop.calls or self.calls_unplaced) and loop.repeats
                                for loop in use.loops if loop not in hoist.loops):
                return True
        return False

    def finish_lines(self):
        """The body's text lines and their sites (by index), with the hoisted type tests filled in."""
        flags = {key: f"{key[0]}_{key[1]}" for key, uses in self.type_tests.items()
                 if uses >= 2 or key[0] in self.invariant}
        hoist_of = {variable: item for item in self.lines if type(item) is Hoist for variable in item.variables}
        # A guard whose type test reads an alias since the last call needs no intact beside it.
        needs = []
        for use in self.guard_uses:
            if self.guard_fresh(use, flags, hoist_of):
                needs.append("")
            elif use.function.parent is None:
                self.intact_used = True
                self.intact_sites += 1
                needs.append(" and \x02")
            else:
                needs.append(" and INTACT")
        # Only a procedure with a loop gains from the local (a read per turn instead of one per
        # call), and only when its guards read it more often than calls make it read again.
        local_intact = self.intact_used and (self.looping or self.self_loop.repeats) \
            and self.intact_sites > 2 * self.call_refreshes
        intact = "intact" if local_intact else "INTACT"
        # A self-tail-call loop that makes no call: whether its operator is the procedure itself
        # cannot change while it runs with the builtins intact (a fallback runs Scheme code only
        # when they are not), so it is read once, on entry.
        checked_once = self.self_checks is not None and self.self_checks.operators and not self.self_loop.calls \
            and not self.calls_unplaced
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
                        texts.append("    " * item.indent + f"{flag} = {variable}.__class__ is INTACT_{type_name}")
                continue
            if type(item) is SelfChecks:
                if checked_once:
                    for operator in item.operators:
                        texts.append("    " * item.indent + f"self_{operator} = INTACT and {operator} is procedure")
                continue
            if type(item) is Nonlocals:
                if item.function.nonlocals:
                    texts.append("    " * item.indent + f"nonlocal {', '.join(sorted(item.function.nonlocals))}")
                continue
            text, site = item
            if "\x03" in text:
                parts = text.split("\x03")
                for index in range(1, len(parts), 2):
                    parts[index] = needs[int(parts[index])]
                text = "".join(parts)
            if "\x07" in text:
                parts = text.split("\x07")
                for index in range(1, len(parts), 2):
                    parts[index] = f"not NOTAIL_{parts[index]} and " if self.tail_free else ""
                text = "".join(parts)
            if "\x06" in text:
                parts = text.split("\x06")
                for index in range(1, len(parts), 2):
                    parts[index] = f"self_{parts[index]} or {parts[index]}" if checked_once else parts[index]
                text = "".join(parts)
            if "\x02" in text:
                text = text.replace("\x02", intact)
            if "\x00" in text:
                parts = text.split("\x00")
                for index in range(1, len(parts), 2):
                    variable, type_name = parts[index].split("\x01")
                    parts[index] = flags.get((variable, type_name)) or f"{variable}.__class__ is INTACT_{type_name}"
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
        self.assigned_names = _assigned_names([form for form, _ in body_items]) | self.assigned_by_macros
        locals_ = {}
        variables = []
        returning = ("return",)
        # A self tail call loops in place, unless the procedure takes rest arguments.
        self.self_loop = Loop(None, None, returning)
        self.self_loop.python_name = "procedure"  # what a self tail call finds in the operator
        for parameter in names + ([rest] if rest is not None else []):
            if type(parameter) is not Symbol:
                raise Unsupported
            variable = self.declare(parameter, self.fresh(f"v_{_identifier(parameter.name)}_"), [self.self_loop])
            locals_[parameter] = variable
            variables.append(variable)
        if rest is None and self.allow_self_loop:
            self.self_loop.variables = variables
        if rest is not None:
            self.emit(0, f"{variables[-1]} = make_list({variables[-1]})")
        self.refresh(0, entry=True)
        self.function.prologue = Prologue(0)
        self.lines.append(self.function.prologue)
        typed = variables if rest is None else variables[:-1]
        # A parameter the self tail call never rebinds keeps its type: tested once, before the loop.
        self.hoist(0, typed)
        entry = self.lines[-1]
        self.self_checks = SelfChecks(0)
        self.lines.append(self.self_checks)
        self.emit(0, "while True:")
        self.hoist(1, typed, [self.self_loop])
        self.body(body_items, [locals_], returning, 1, [self.self_loop])
        entry.variables = [variable for variable in entry.variables if variable not in self.rebound]
        self.lines[self.lines.index(entry) + 3].variables = [
            variable for variable in typed if variable in self.rebound]
        self.invariant.update(entry.variables)
        # A closure keeps the variables it captures: none may be rebound by a loop going round again.
        for variable in self.captured - self.snapshotted:
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
        if self.tail_free and self.own_key is not None:
            make_code = next(item for item in code.co_consts if getattr(item, "co_name", None) == "make")
            inner = next(item for item in make_code.co_consts if hasattr(item, "co_name"))
            runtime.TAIL_FREE[id(inner)] = self.own_key
        return FunctionType(code, self.environment.namespace)(**self.bindings, SITES=sites)

    # -- statements: a form whose value goes to a sink ------------------------------

    def body(self, items, scopes, sink, indent, loops):
        """A body: every form but the last for effect, the last to ``sink``.

        Its internal definitions are locals, unassigned until their define runs (letrec*).
        """
        if not items:
            raise Unsupported
        defined = {}
        for form, form_where in items:
            if isinstance(form, Pair) and type(form.car) is Symbol:
                handler = self.special(form.car, scopes)
                if handler is scheme_compiler.compile_define:
                    name, _, _ = scheme_compiler.define_shape(form, scheme_compiler.position_of(form, form_where))
                    if name.alias is not None or name in defined or _curried(form):
                        self.expanded_body(items, scopes, sink, indent, loops)
                        return
                    defined[name] = self.declare(name, self.fresh(f"v_{_identifier(name.name)}_"), loops)
                elif isinstance(handler, Macro) or handler in _BODY_FORMS or getattr(handler, "rewrite", None) \
                        or (handler is scheme_compiler.compile_begin and self.compiler.body_may_define(
                            scheme_compiler.sequence_shape(form, scheme_compiler.position_of(form, form_where),
                                                           handler), self.frame_scope(scopes))):
                    # Macro uses, definitions made some other way, begins splicing definitions:
                    # the compiler's own expansion of a body says what the body defines.
                    self.expanded_body(items, scopes, sink, indent, loops)
                    return
        if defined:
            scopes = scopes + [defined]
            for variable in defined.values():
                self.late.add(variable)
                self.emit(indent, f"{variable} = UNASSIGNED")
        for form, where in items[:-1]:
            self.effect(form, scopes, indent, loops, where)
        form, where = items[-1]
        self.to_sink(form, scopes, sink, indent, loops, where)

    def expanded_body(self, items, scopes, sink, indent, loops):
        """A body whose definitions show only once expanded: ``compiler.expand_body`` expands it, as for the nodes.

        Its definitions (and define-syntax macros) go in one frame, standing for the Scope
        the expansion filled, so renamed identifiers resolve through it as in the nodes.
        """
        scope = scheme_compiler.Scope([], self.frame_scope(scopes))
        frame: dict = {}
        self.frame_scopes[id(frame)] = (frame, scope)
        items = self.compiler.expand_body(items, scope)
        for form, _ in items:
            self.note_assignments(form)
        if not items:
            raise Unsupported  # only define-syntax: the nodes report the empty body
        for name, index in scope.names.items():
            if isinstance(index, Macro):
                frame[name] = index
                continue
            variable = frame[name] = self.declare(name, self.fresh(f"v_{_identifier(name.name)}_"), loops)
            self.late.add(variable)
            self.emit(indent, f"{variable} = UNASSIGNED")
        scopes = scopes + [frame]
        for form, where in items[:-1]:
            self.effect(form, scopes, indent, loops, where)
        form, where = items[-1]
        self.to_sink(form, scopes, sink, indent, loops, where)

    def note_assignments(self, form) -> None:
        """A macro's expansion may assign names the body did not show: their variables' type tests are no
        longer hoisted (those written already are tested in place); if a closure already kept such a
        loop variable's value (keep_bindings), the procedure is written again knowing the names."""
        names = _assigned_names([form]) - self.assigned_names
        if not names:
            return
        if any(root_of(self.scheme_names[variable]) in names for variable in self.snapshotted):
            raise MoreAssigned(frozenset(names))
        self.assigned_names |= names
        for variable, name in self.scheme_names.items():
            if root_of(name) in names:
                self.unhoistable.add(variable)
                self.hoisted.pop(variable, None)
                for key in [key for key in self.type_tests if key[0] == variable]:
                    del self.type_tests[key]

    def macro_use(self, macro, form, scopes, sink, indent, loops, where):
        """A macro use, expanded by the compiler's own machinery (hygiene resolves in the frames' Scopes)."""
        compiler = self.compiler
        expansion = compiler.expand_use(macro, form, self.frame_scope(scopes), where)
        self.note_assignments(expansion)
        depth = compiler.expansion_depth
        compiler.expansion_depth = depth + 1
        try:
            self.to_sink(expansion, scopes, sink, indent, loops, where)
        finally:
            compiler.expansion_depth = depth

    def frame_scope(self, scopes):
        """The compiler Scope standing for the innermost of ``scopes`` (one per frame, chained to the procedure's).

        Macros expand and renamed identifiers resolve through these Scopes, exactly as
        they do through the nodes' own.
        """
        if not scopes:
            return self.scope
        frame = scopes[-1]
        found = self.frame_scopes.get(id(frame))
        if found is None:
            found = self.frame_scopes[id(frame)] = (frame, scheme_compiler.Scope([], self.frame_scope(scopes[:-1])))
        scope = found[1]
        if len(scope.names) != len(frame):
            for name, value in frame.items():
                if name not in scope.names:
                    if isinstance(value, Macro):
                        scope.names[name] = value
                        scope.bound.add(name)
                    else:
                        scope.add(name)
        return scope

    def unalias(self, name, scopes):
        """``(name, visible frames)``: a renamed identifier followed to the binding it means.

        As ``compiler.resolve`` does: looked up as itself from the innermost frame out, and
        from the frame of its macro's definition on as the name it stands for. A name
        bound in no frame is returned with no frames (the nodes' scopes or the globals).
        """
        if name.alias is None:
            return name, scopes
        for depth in range(len(scopes) - 1, -1, -1):
            frame = scopes[depth]
            while True:
                if name in frame:
                    return name, scopes[:depth + 1]
                renaming = name.alias
                if renaming is None or renaming.scope is not self.frame_scope(scopes[:depth + 1]):
                    break
                name = renaming.original
        return name, []

    def is_keyword(self, form, keyword, scopes) -> bool:
        """Whether ``form`` is the identifier ``keyword`` (plain or renamed) and not bound locally."""
        if type(form) is not Symbol or root_of(form) is not keyword:
            return False
        name, visible = self.unalias(form, scopes)
        return not any(name in frame for frame in visible) and scheme_compiler.resolve(name, self.scope) is None

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
            if isinstance(handler, Macro):
                self.macro_use(handler, form, scopes, sink, indent, loops, where)
                return
            if form.car.alias is not None:  # a renamed keyword: the writers look at the plain one
                form = SourcePair(form.car.alias.root, form.cdr, where)
            writer = _WRITERS.get(handler)
            if writer is not None:
                writer(self, form, scopes, sink, indent, loops, where)
                return
            if handler is not scheme_compiler.compile_quote:
                raise Unsupported
        self.deliver(self.value(form, scopes, indent, loops, where), sink, indent)

    # -- one writer per special form this back end writes out (the _WRITERS table) ------

    def write_if(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.if_shape(form, where)
        test, entry = self.condition(items[0][0], scopes, indent, loops, items[0][1])
        self.emit_test(indent, test, entry)
        self.to_sink(items[1][0], scopes, sink, indent + 1, loops, items[1][1])
        self.emit(indent, "else:")
        if len(items) == 3:
            self.to_sink(items[2][0], scopes, sink, indent + 1, loops, items[2][1])
        else:
            self.deliver("None", sink, indent + 1)

    def write_cond(self, form, scopes, sink, indent, loops, where):
        self.cond(scheme_compiler.sequence_shape(form, where, scheme_compiler.compile_cond), scopes, sink, indent,
                  loops, form)

    def write_when(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.when_shape(form, where)
        test = self.value(items[0][0], scopes, indent, loops, items[0][1])
        negate = "" if root_of(form.car) is scheme_compiler.UNLESS else "not "
        self.emit(indent, f"if {negate}({_is_false(test)}):")
        self.body(items[1:], scopes, sink, indent + 1, loops)
        self.emit(indent, "else:")
        self.deliver("None", sink, indent + 1)

    def write_and(self, form, scopes, sink, indent, loops, where):
        self.and_or(form, scopes, sink, indent, loops, where, True)

    def write_or(self, form, scopes, sink, indent, loops, where):
        self.and_or(form, scopes, sink, indent, loops, where, False)

    def and_or(self, form, scopes, sink, indent, loops, where, is_and: bool):
        handler = scheme_compiler.compile_and if is_and else scheme_compiler.compile_or
        items = scheme_compiler.sequence_shape(form, where, handler)
        if not items:
            self.deliver("True" if is_and else "False", sink, indent)
            return
        for item, item_where in items[:-1]:
            value = self.value(item, scopes, indent, loops, item_where)
            if is_and:
                self.emit(indent, f"if {_is_false(value)}:")
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
        items = scheme_compiler.sequence_shape(form, where, scheme_compiler.compile_begin)
        if not items:
            self.deliver("None", sink, indent)
        else:
            self.body(items, scopes, sink, indent, loops)

    def write_let(self, form, scopes, sink, indent, loops, where):
        loop_name, bindings, body_items = scheme_compiler.let_shape(form, where)
        if loop_name is not None:
            self.named_let(loop_name, bindings, body_items, scopes, sink, indent, loops, where)
            return
        values = [self.spill(self.value(init, scopes, indent, loops, init_where), indent)
                  for _, init, init_where in bindings]
        inner = {}
        for (binding_name, _, _), value in zip(bindings, values):
            variable = self.declare(binding_name, self.fresh(f"v_{_identifier(binding_name.name)}_"), loops)
            inner[binding_name] = variable
            self.emit(indent, f"{variable} = {value}")
        self.hoist(indent, inner.values(), loops)
        self.body(body_items, scopes + [inner], sink, indent, loops)

    def write_let_star(self, form, scopes, sink, indent, loops, where):
        bindings, body_items = scheme_compiler.let_star_shape(form, where)
        inner_scopes = scopes
        for binding_name, init, init_where in bindings:
            value = self.value(init, inner_scopes, indent, loops, init_where)
            variable = self.declare(binding_name, self.fresh(f"v_{_identifier(binding_name.name)}_"), loops)
            self.emit(indent, f"{variable} = {value}")
            self.hoist(indent, [variable], loops)
            inner_scopes = inner_scopes + [{binding_name: variable}]
        self.body(body_items, inner_scopes, sink, indent, loops)

    def write_set(self, form, scopes, sink, indent, loops, where):
        self.assignment(form, scopes, indent, loops, where)
        self.deliver("None", sink, indent)

    def write_define(self, form, scopes, sink, indent, loops, where):
        self.definition(form, scopes, indent, loops, where)
        self.deliver("None", sink, indent)

    def write_lambda(self, form, scopes, sink, indent, loops, where):
        parameters, body_items = scheme_compiler.lambda_shape(form, where)
        self.deliver(self.lambda_(parameters, body_items, scopes, indent, where, "lambda", form), sink, indent)

    def write_letrec(self, form, scopes, sink, indent, loops, where):
        """``(letrec ((name init)...) body...)``: locals unassigned until their init runs, in order (letrec*)."""
        bindings, body_items = scheme_compiler.letrec_shape(form, where)
        frame = {}
        for name, _, _ in bindings:
            variable = frame[name] = self.declare(name, self.fresh(f"v_{_identifier(name.name)}_"), loops)
            self.late.add(variable)  # read before its init ran: the nodes' error (see variable)
            self.emit(indent, f"{variable} = UNASSIGNED")
        inner = scopes + [frame]
        for name, init, init_where in bindings:
            value = self.named_value(init, inner, indent, loops, init_where, name, itself=frame[name])
            self.emit(indent, f"{frame[name]} = {value}")
        self.body(body_items, inner, sink, indent, loops)

    def write_let_values(self, form, scopes, sink, indent, loops, where):
        """``(let-values ((formals expression)...) body...)`` and ``let*-values``: each expression's values
        checked against its formals at once (compiler.receive_values), then bound."""
        sequential, bindings, body_items = scheme_compiler.let_values_shape(self.compiler, form, where)
        inner, received = scopes, []
        for names, rest, expression, expression_where, binding_where in bindings:
            value = self.spill(self.value(expression, inner, indent, loops, expression_where), indent)
            temporary = self.fresh("m")
            self.emit(indent, f"{temporary} = receive_values({value}, {len(names)}, {rest is not None}, "
                              f"'let-values', {self.bind(binding_where, 'P')})")
            formals = names + ([rest] if rest is not None else [])
            if sequential:
                inner = inner + [self.bind_received(formals, temporary, indent, loops)]
            else:
                received.append((formals, temporary))
        if not sequential:
            frame = {}
            for formals, temporary in received:
                frame.update(self.bind_received(formals, temporary, indent, loops))
            inner = scopes + [frame]
        self.body(body_items, inner, sink, indent, loops)

    def bind_received(self, formals, temporary, indent, loops) -> dict:
        """A frame of new locals for ``formals``, assigned from the tuple ``temporary``."""
        frame, variables = {}, []
        for name in formals:
            variables.append(self.declare(name, self.fresh(f"v_{_identifier(name.name)}_"), loops))
            frame[name] = variables[-1]
        if variables:
            self.emit(indent, f"{', '.join(variables)}, = {temporary}")
            self.hoist(indent, variables)
        return frame

    def write_define_values(self, form, scopes, sink, indent, loops, where):
        """``(define-values formals expression)`` in a body: the body's frame holds its names (expanded_body)."""
        names, rest, expression, expression_where = scheme_compiler.define_values_shape(self.compiler, form, where)
        variables = []
        for name in names + ([rest] if rest is not None else []):
            variable = self.local(name, scopes[-1:])
            if variable is None:
                raise Unsupported  # not at the start of a body: the nodes report it
            variables.append(variable)
        value = self.spill(self.value(expression, scopes, indent, loops, expression_where), indent)
        received = (f"receive_values({value}, {len(names)}, {rest is not None}, 'define-values', "
                    f"{self.bind(where, 'P')})")
        self.emit(indent, f"{', '.join(variables)}, = {received}" if variables else received)
        self.deliver("None", sink, indent)

    def write_quasiquote(self, form, scopes, sink, indent, loops, where):
        """``(quasiquote template)``: built as compiler.quasi builds it (the tail first, then the items from the last)."""
        (template, template_where), = scheme_compiler.arguments_of(form, where, scheme_compiler.compile_quasiquote,
                                                                   1, 1)
        value = self.quasi(template, 1, scopes, indent, loops, scheme_compiler.position_of(template, template_where))
        self.deliver(value, sink, indent)

    def quasi(self, template, depth, scopes, indent, loops, position) -> str:
        compiler = scheme_compiler
        if not compiler.has_unquote(template, depth):
            return self.constant(strip_syntax(template))
        if type(template) is Vector:
            inner = self.quasi(make_list(template), depth, scopes, indent, loops, position)
            return self.spill(f"Vector(list_to_python({inner}))", indent)
        for keyword, change in ((compiler.UNQUOTE, -1), (compiler.QUASIQUOTE, 1)):
            if compiler.is_form(template, keyword):
                if keyword is compiler.UNQUOTE and depth == 1:
                    return self.spill(self.value(template.cdr.car, scopes, indent, loops,
                                                 compiler.position_of(template.cdr, position)), indent)
                inner = self.quasi(template.cdr.car, depth + change, scopes, indent, loops, position)
                return self.spill(f"Pair({self.bind(keyword, 'K')}, Pair({inner}, NIL))", indent)
        items = []
        cell = template
        while isinstance(cell, Pair) and not compiler.is_form(cell, compiler.UNQUOTE):
            items.append((cell.car, compiler.position_of(cell, position)))
            cell = cell.cdr
        result = self.fresh("q")
        self.emit(indent, f"{result} = {self.quasi(cell, depth, scopes, indent, loops, position)}")
        for item, where in reversed(items):
            if compiler.is_form(item, compiler.UNQUOTE_SPLICING) and depth == 1:
                value = self.spill(self.value(item.cdr.car, scopes, indent, loops,
                                              compiler.position_of(item.cdr, where)), indent)
                self.emit(indent, f"{result} = splice_onto({value}, {result})")
            elif compiler.is_form(item, compiler.UNQUOTE_SPLICING):
                inner = self.quasi(item.cdr.car, depth - 1, scopes, indent, loops, where)
                self.emit(indent, f"{result} = Pair(Pair({self.bind(compiler.UNQUOTE_SPLICING, 'K')}, "
                                  f"Pair({inner}, NIL)), {result})")
            else:
                self.emit(indent, f"{result} = Pair({self.quasi(item, depth, scopes, indent, loops, where)}, {result})")
        return result

    def write_delay(self, form, scopes, sink, indent, loops, where):
        """``(delay expression)``: a promise whose thunk is a nested def (sxflow.promises forces it)."""
        (expression, expression_where), = scheme_compiler.arguments_of(form, where, scheme_compiler.compile_delay,
                                                                       1, 1)
        thunk = self.thunk(expression, expression_where, scopes, indent, boxed=True)
        self.deliver(f"Promise(False, ({thunk}, None))", sink, indent)

    def write_delay_force(self, form, scopes, sink, indent, loops, where):
        """``(delay-force expression)`` (also ``make-lazy``): the thunk's value is the promise to continue with."""
        (expression, expression_where), = scheme_compiler.arguments_of(
            form, where, scheme_compiler.compile_delay_force, 1, 1)
        thunk = self.thunk(expression, expression_where, scopes, indent, boxed=False)
        self.deliver(f"Promise(False, ({thunk}, None))", sink, indent)

    def thunk(self, expression, where, scopes, indent, boxed: bool) -> str:
        """A nested def computing ``expression`` (not in tail position) when a promise is forced; its name.

        ``force`` calls it with the frame the nodes would need (None here); ``boxed``: its
        value is wrapped in a forced promise, as compiler.compile_delay does.
        """
        function_name = self.fresh("delayed")
        outer_function, saved_guards = self.function, self.guards
        self.function, self.guards = Function(outer_function), []
        start = (self.lines, len(self.lines))
        self.emit(indent, f"def {function_name}(frame):")
        self.emit(indent + 1, "try:")
        self.lines.append(Nonlocals(indent + 2, self.function))
        self.function.prologue = Prologue(indent + 2)
        self.lines.append(self.function.prologue)
        result = self.fresh("r")
        self.to_sink(expression, scopes, ("assign", result, False), indent + 2, [Loop(object(), None, None)], where)
        self.emit(indent + 2, f"return Promise(True, {result})" if boxed else f"return {result}")
        self.emit(indent + 1, "except Exception as error:")
        self.emit(indent + 2, "raise procedure_failed(error, SITES)")
        function = self.function
        self.function, self.guards = outer_function, saved_guards
        return self.keep_bindings(function_name, function, indent, start)

    def keep_bindings(self, function_name, function, indent, start, itself=None) -> str:
        """A closure made inside a loop keeps the bindings of its own turn (R7RS: each turn binds afresh).

        Python closes over variables, which the loop assigns again; so the closure's def
        (written from ``start``, a line list and index) is put inside a factory def taking
        the loop variables it captures as parameters, called at once: each closure gets
        cells of its own holding that turn's values. That is exact while nothing assigns
        them; a loop variable that set! assigns (or an internal definition made later)
        makes the loop a local procedure instead (LoopCalled), each turn a call. The
        procedure's own self-tail-call loop is known to repeat only at the end: that case
        is written again without it (SelfLoopCaptured). ``itself``: the variable the
        closure is about to be assigned to (a procedure defined in the loop), bound in the
        factory to the closure itself.
        """
        kept = []
        for variable in sorted(function.captures):
            if self.owner.get(variable) is not self.function:
                continue  # made inside another closure, which keeps it (its own captures hold it too)
            repeating = [loop for loop in self.variable_loops.get(variable, ())
                         if loop.repeats and loop is not self.self_loop]
            if not repeating:
                continue
            if (variable in self.late and variable != itself) \
                    or root_of(self.scheme_names[variable]) in self.assigned_names:
                # A cell of its own would not see later assignments: the innermost loop is then
                # written as a local procedure, each turn a call binding afresh (as the nodes do).
                if hasattr(repeating[-1], "index"):
                    raise LoopCalled(repeating[-1].index)
                raise Unsupported
            kept.append(variable)
        if kept:
            self.snapshotted.update(kept)
            lines, index = start
            lines[index:] = _shifted(lines[index:])
            parameters = [variable for variable in kept if variable != itself]
            lines.insert(index, ("    " * indent + f"def {function_name}_cells({', '.join(parameters)}):", None))
            if itself in kept:
                self.emit(indent + 1, f"{itself} = {function_name}")
            self.emit(indent + 1, f"return {function_name}")
            self.emit(indent, f"{function_name} = {function_name}_cells({', '.join(parameters)})")
        return function_name

    def write_let_syntax(self, form, scopes, sink, indent, loops, where):
        """``(let-syntax ((keyword transformer)...) body...)`` and ``letrec-syntax``: a frame of macros."""
        recursive, bindings, body_items = scheme_compiler.let_syntax_shape(form, where)
        outer = self.frame_scope(scopes)
        scope = scheme_compiler.Scope([], outer)
        frame: dict = {}
        self.frame_scopes[id(frame)] = (frame, scope)
        scheme_compiler.bind_syntax(self.compiler, bindings, scope, scope if recursive else outer)
        frame.update(scope.names)
        self.body(body_items, scopes + [frame], sink, indent, loops)

    def receive(self, receiver, receiver_where, clause, value, scopes, sink, indent, loops):
        """A ``(test => receiver)`` clause taken: the receiver evaluated, then called with ``value``."""
        operator = self.value(receiver, scopes, indent, loops, receiver_where)
        if not operator.isidentifier() or operator.startswith("K"):
            temporary = self.fresh("f")
            self.emit(indent, f"{temporary} = {operator}")
            operator = temporary
        self.emit_call(operator, ("local", operator), [value], Site(receiver_where, clause, None), sink, indent,
                       loops, receiver_where)

    def case_lambda(self, form, scopes, indent, where, name, shape, maker) -> str:
        """A case-lambda value: each clause a nested def, chosen among by ``maker(name, where)``'s procedure."""
        handler = self.special(form.car, scopes)
        made = [self.lambda_(parameters, body_items, scopes, indent, clause_where, name, form, handler)
                for parameters, body_items, clause_where in shape(form, where)]
        temporary = self.fresh("c")
        self.emit(indent, f"{temporary} = {self.bind(maker(name, where), 'K')}([{', '.join(made)}])")
        return temporary

    def cond(self, clauses, scopes, sink, indent, loops, form):
        is_else = lambda value: self.is_else(value, scopes)  # noqa: E731
        for index, (clause, where) in enumerate(clauses):
            parts, else_clause = scheme_compiler.clause_shape(clause, where, index == len(clauses) - 1,
                                                              scheme_compiler.compile_cond, form, is_else)
            test_form = parts[0][0]
            if else_clause:
                self.body(parts[1:], scopes, sink, indent, loops)
                return
            if len(parts) >= 2 and self.is_keyword(parts[1][0], scheme_compiler.ARROW, scopes):
                receiver, receiver_where = scheme_compiler.arrow_receiver(parts, where, scheme_compiler.compile_cond,
                                                                          form)
                value = self.value(test_form, scopes, indent, loops, parts[0][1])
                temporary = self.fresh("t")  # its own name: the receiver could assign a variable
                self.emit(indent, f"{temporary} = {value}")
                self.emit(indent, f"if {temporary} is not False:")
                self.receive(receiver, receiver_where, clause, temporary, scopes, sink, indent + 1, loops)
            elif len(parts) == 1:
                temporary = self.spill(self.value(test_form, scopes, indent, loops, parts[0][1]), indent)
                self.emit(indent, f"if {temporary} is not False:")
                self.deliver(temporary, sink, indent + 1)
            else:
                test, entry = self.condition(test_form, scopes, indent, loops, parts[0][1])
                self.emit_test(indent, test, entry)
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
                negated = self.negation(form, scopes, indent, loops, form_where)
                if negated is not None:
                    return negated
                found = self.primitive(form, scopes, indent, loops, form_where, as_expression=True)
                if found is not None:
                    text, entry = found
                    if text.endswith(" is not False)"):
                        return text, entry  # a Python bool on the inlined path: only the fallback is tested
                    return f"{text} is not False", entry
        return _is_true(self.value(form, scopes, indent, loops, where)), None

    def negation(self, form, scopes, indent, loops, where):
        """``(not (primitive ...))`` as one test (lines and entries, see emit_test), or None when ``form`` is not that.

        The primitive's inlined path negates its value in place (its guard held, so the
        builtins are intact and ``not`` is the builtin); its fallback calls ``not`` after it.
        """
        head = form.car
        if type(head) is not Symbol or root_of(head) is not NOT or (NOT, 1) not in specialize.INLINE_PRIMITIVES \
                or self.local(head, scopes) is not None or any(head in frame for frame in scopes) \
                or scheme_compiler.resolve(head, self.scope) is not None:
            return None
        items = scheme_compiler.cells_with_positions(form, where)
        if len(items) != 2 or not isinstance(items[1][0], Pair) or self.special(items[1][0].car, scopes) is not None:
            return None
        operand, operand_where = items[1]
        key = self.global_name(head)
        return self.primitive(operand, scopes, indent, loops, scheme_compiler.position_of(operand, operand_where),
                              as_expression=True, negate=(key, Site(where, form, None)))

    def emit_test(self, indent, test, entry) -> None:
        """``if test:``; a test given as lines (a list of entries, one per line) keeps each call's site on its line."""
        if type(entry) is not list:
            self.emit(indent, f"if {test}:", entry)
            return
        lines = test.split("\n")
        self.emit(indent, f"if {lines[0]}", entry[0])
        for text, line_entry in zip(lines[1:], entry[1:]):
            self.emit(indent + 2, text, line_entry)

    def definition(self, form, scopes, indent, loops, where):
        """An internal ``define``: the local ``body`` made for it gets its value."""
        name, parameters, items = scheme_compiler.define_shape(form, where)
        variable = self.local(name, scopes)
        if variable is None or _curried(form):
            raise Unsupported  # a define the body did not announce (it would be global), or a curried one
        if parameters is not None:
            value = self.lambda_(parameters, items, scopes, indent, where, name.name, form,
                                 scheme_compiler.compile_define, itself=variable)
        elif not items:
            value = "None"
        else:
            value = self.named_value(items[0][0], scopes, indent, loops, items[0][1], name.name, itself=variable)
        self.emit(indent, f"{variable} = {value}")

    def named_value(self, form, scopes, indent, loops, where, name, itself=None):
        """A value expression; a lambda takes ``name`` (for messages), as compiler.compile_named does."""
        if isinstance(form, Pair) and type(form.car) is Symbol \
                and self.special(form.car, scopes) is scheme_compiler.compile_lambda:
            where = scheme_compiler.position_of(form, where)
            parameters, body_items = scheme_compiler.lambda_shape(form, where)
            return self.lambda_(parameters, body_items, scopes, indent, where, name, form, itself=itself)
        if isinstance(form, Pair) and type(form.car) is Symbol:
            named = _NAMED_WRITERS.get(self.special(form.car, scopes))
            if named is not None:  # another form making a procedure (case-lambda) takes the name too
                return named(self, form, scopes, indent, scheme_compiler.position_of(form, where), name)
        return self.value(form, scopes, indent, loops, where)

    def assignment(self, form, scopes, indent, loops, where):
        """``(set! name value)``: a local, a variable of an enclosing frame, or a global."""
        name, value_form, value_where = scheme_compiler.set_shape(form, where)
        value = self.spill(self.value(value_form, scopes, indent, loops, value_where), indent)
        name, scopes = self.unalias(name, scopes)
        variable = self.local(name, scopes)
        if variable is not None:
            self.use(variable, assigning=True)
            self.emit(indent, f"{variable} = {value}")
            return
        if any(name in frame for frame in scopes):
            self.misused_loop(name, scopes)  # a named let's own name
        found = scheme_compiler.resolve(name, self.scope)
        if found is not None:
            depth, index, _ = found
            if type(index) is not int:
                raise Unsupported
            self.emit(indent, "env" + "[0]" * depth + f"[{index}] = {value}")
            return
        key = self.global_name(name)
        self.emit(indent, f"set_global(__environment__, {key!r}, {value}, {self.bind(where, 'P')})")
        self.refresh(indent, loops)

    def lambda_(self, parameters, body_items, scopes, indent, where, name, form, handler=None, itself=None) -> str:
        """A lambda written inside: a nested def (its free variables are the enclosing ones); its name.

        ``form`` is the lambda (or define, case-lambda) form, ``handler`` its compiler
        handler (compile_lambda by default), for the parameters' syntax errors;
        ``itself``: the variable the procedure is about to be assigned to (see keep_bindings).
        """
        names, rest = self.compiler.parse_parameters(parameters, where, handler or scheme_compiler.compile_lambda,
                                                     form)
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
        start = (self.lines, len(self.lines))
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
        function = self.function
        self.function, self.guards = outer_function, saved_guards
        self.inner[function_name] = (name, where, len(names), rest is not None)
        return self.keep_bindings(function_name, function, indent, start, itself)

    def case(self, form, scopes, sink, indent, loops, where):
        """``(case key ((datum...) body...)... [(else body...)])`` as ``if``/``elif`` on eqv."""
        items = scheme_compiler.case_shape(form, where)
        key = self.value(items[0][0], scopes, indent, loops, items[0][1])
        arrows = any(isinstance(clause, Pair) and isinstance(clause.cdr, Pair)
                     and self.is_keyword(clause.cdr.car, scheme_compiler.ARROW, scopes) for clause, _ in items[1:])
        if not key.isidentifier() or arrows:  # a receiver gets the key's value, even if it assigns the variable
            temporary = self.fresh("k")
            self.emit(indent, f"{temporary} = {key}")
            key = temporary
        keyword = "if"
        for index, (clause, clause_where) in enumerate(items[1:]):
            parts = scheme_compiler.case_clause_parts(clause, clause_where, form)
            if self.is_keyword(parts[1][0], scheme_compiler.ARROW, scopes):
                receiver = scheme_compiler.arrow_receiver(parts, clause_where, scheme_compiler.compile_case, form)
                action = (lambda at, receiver=receiver, clause=clause:
                          self.receive(receiver[0], receiver[1], clause, key, scopes, sink, at, loops))
            else:
                action = (lambda at, parts=parts: self.body(parts[1:], scopes, sink, at, loops))
            data = scheme_compiler.case_clause_data(parts[0][0], clause_where, index == len(items) - 2,
                                                    self.is_else(parts[0][0], scopes), form)
            if data is None:
                if keyword == "if":
                    action(indent)
                    return
                self.emit(indent, "else:")
                action(indent + 1)
                return
            tests = []
            for datum, _ in data:
                if datum is None or type(datum) in (bool, Symbol, Char) or datum is NIL:
                    tests.append(f"{key} is {self.constant(datum)}")
                elif type(datum) is int:
                    tests.append(f"({key} == {self.constant(datum)} and type({key}) is int)")
                else:
                    tests.append(f"is_eqv({key}, {self.bind(datum, 'K')})")
            self.emit(indent, f"{keyword} {' or '.join(tests) or 'False'}:")
            action(indent + 1)
            keyword = "elif"
        if keyword == "if":
            self.deliver("None", sink, indent)
            return
        self.emit(indent, "else:")
        self.deliver("None", sink, indent + 1)

    def do(self, form, scopes, sink, indent, loops, where):
        """``(do ((name init [step])...) (test result...) body...)`` as a ``while True`` loop."""
        items, specs = scheme_compiler.do_shape(form, where)
        index = self.named_lets
        self.named_lets += 1
        if index in self.called_lets:
            # A closure shares a variable with the loop that set! assigns: each turn a call (see keep_bindings).
            self.named_let_procedure(*_do_as_named_let(specs, items, where), scopes, sink, indent, loops, where)
            return
        values = [self.spill(self.value(parts[1][0], scopes, indent, loops, parts[1][1]), indent) for parts in specs]
        loop_sink = sink if sink[0] == "return" else ("assign", sink[1], True)
        loop = Loop(object(), None, loop_sink, repeats=True)  # no tail call continues a do loop
        loop.index = index
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
        exit_parts = scheme_compiler.clause_parts(items[1][0], items[1][1], scheme_compiler.compile_do, form)
        self.emit(indent, "while True:")
        self.hoist(indent + 1, variables, inner_loops)
        test = self.value(exit_parts[0][0], inner, indent + 1, inner_loops, exit_parts[0][1])
        self.emit(indent + 1, f"if {_is_true(test)}:")
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
        return self.is_keyword(form, scheme_compiler.ELSE, scopes)

    def guard(self, form, scopes, sink, indent, loops, where):
        """``(guard (e clause...) body...)`` as try/except; its clause tests also run at the raise point.

        As with the nodes (compiler.compile_guard), the running guard is on the handler
        chain as ``(None, select)``: ``raise`` asks ``select`` which clause it would take
        (a nested def evaluating the tests only), and the clause body runs after the
        body's extent has ended. The body is not in tail position.
        """
        items = scheme_compiler.guard_shape(form, where)
        spec, spec_where = items[0]
        clauses = []
        clause_items = scheme_compiler.cells_with_positions(spec, spec_where)[1:]
        is_else = lambda value: self.is_else(value, scopes + [{spec.car: None}])  # noqa: E731
        for index, (clause, clause_where) in enumerate(clause_items):
            parts, _ = scheme_compiler.clause_shape(clause, clause_where, index == len(clause_items) - 1,
                                                    scheme_compiler.compile_guard, form, is_else)
            clauses.append(parts)
        number = self.fresh("")
        variable = self.fresh(f"v_{_identifier(spec.car.name)}_")
        clause_scopes = scopes + [{spec.car: variable}]
        # (test => receiver) clauses: index -> (receiver, its position, the clause)
        receivers = {}
        for index, (clause, clause_where) in enumerate(clause_items):
            parts = clauses[index]
            if len(parts) >= 2 and self.is_keyword(parts[1][0], scheme_compiler.ARROW, clause_scopes) \
                    and not self.is_else(parts[0][0], clause_scopes):
                receiver = scheme_compiler.arrow_receiver(parts, clause_where, scheme_compiler.compile_guard, form)
                receivers[index] = (receiver[0], receiver[1], clause)
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
        self.refresh(indent + 1, loops)
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
            if index in receivers:
                receiver, receiver_where, clause = receivers[index]
                value = self.fresh("t")
                self.emit(indent + 2, f"{value} = choice{number}[1]")
                self.receive(receiver, receiver_where, clause, value, clause_scopes, sink, indent + 2, loops)
            elif len(parts) == 1:
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

    def named_let(self, loop_name, bindings, body_items, scopes, sink, indent, loops, where):
        """A named let whose name is only tail-called from its own body: a ``while True`` loop."""
        index = self.named_lets
        self.named_lets += 1
        if index in self.called_lets:
            self.named_let_procedure(loop_name, bindings, body_items, scopes, sink, indent, loops, where)
            return
        values = [self.spill(self.value(init, scopes, indent, loops, init_where), indent)
                  for _, init, init_where in bindings]
        variables = []
        if sink[0] == "return":
            loop_sink = sink
        else:
            loop_sink = ("assign", sink[1], True)
        loop = Loop(loop_name, variables, loop_sink, repeats=True)
        loop.index = index
        inner = {loop_name: loop}  # the loop's name: usable only as a tail call (see application)
        if self.function.parent is None:
            self.looping = True
        for (binding_name, _, _), value in zip(bindings, values):
            variable = self.declare(binding_name, self.fresh(f"v_{_identifier(binding_name.name)}_"), loops + [loop])
            inner[binding_name] = variable
            variables.append(variable)
            self.emit(indent, f"{variable} = {value}")
        self.emit(indent, "while True:")
        self.hoist(indent + 1, variables, loops + [loop])
        self.body(body_items, scopes + [inner], loop_sink, indent + 1, loops + [loop])
        if loop.continues_outer:
            # Left by a tail call of the loop around (see continue_outer): it goes round again.
            if sink[0] == "return":
                self.emit(indent, "continue")
            else:
                self.emit(indent, f"if {sink[1]} is LOOP_AGAIN:")
                self.emit(indent + 1, "continue")
        if sink[0] != "return" and sink[2]:
            self.emit(indent, "break")

    def named_let_procedure(self, loop_name, bindings, body_items, scopes, sink, indent, loops, where):
        """A named let whose name is called otherwise: a local procedure called with the inits (compile_named_let)."""
        variable = self.declare(loop_name, self.fresh(f"v_{_identifier(loop_name.name)}_"), loops)
        made = self.lambda_(make_list([name for name, _, _ in bindings]), body_items, scopes + [{loop_name: variable}],
                            indent, where, loop_name.name, None, itself=variable)
        self.emit(indent, f"{variable} = {made}")
        values = [self.spill(self.value(init, scopes, indent, loops, init_where), indent)
                  for _, init, init_where in bindings]
        arguments = "(" + "".join(value + ", " for value in values) + ")"
        # The first call has no call site, as in the nodes: a failure inside adds no line to the trace.
        if sink[0] == "return":
            self.emit(indent, f"return TailCall(({variable}, {arguments}, None))")
            return
        result = self.fresh("r")
        self.emit(indent, f"{result} = {variable}({', '.join(values)})")
        self.emit(indent, f"if type({result}) is TailCall: {result} = complete({result})")
        self.refresh(indent)
        self.deliver(result, sink, indent)

    def misused_loop(self, name, scopes):
        """``name`` is bound to a loop (or a macro) in a frame and used otherwise than a loop's tail call."""
        for frame in reversed(scopes):
            if name in frame:
                value = frame[name]
                if type(value) is Loop and hasattr(value, "index"):
                    raise LoopCalled(value.index)
                break
        raise Unsupported

    # -- expressions --------------------------------------------------------------

    def local(self, name, scopes):
        """The Python variable ``name`` is in the innermost frame binding it (None for a loop's name or a macro)."""
        for frame in reversed(scopes):
            if name in frame:
                value = frame[name]
                return value if type(value) is str else None
        return None

    def special(self, head, scopes):
        """The special-form handler ``head`` names here, None for an application; macros are unsupported."""
        if type(head) is not Symbol:
            return None
        head, scopes = self.unalias(head, scopes)
        for frame in reversed(scopes):
            if head in frame:
                value = frame[head]
                return value if isinstance(value, Macro) else None
        meaning = self.compiler.keyword_meaning(head, self.scope)
        if meaning is not None and meaning not in _SUPPORTED and not isinstance(meaning, Macro) \
                and getattr(meaning, "rewrite", None) is None:
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
                parameters, body_items = scheme_compiler.lambda_shape(form, where)
                return self.lambda_(parameters, body_items, scopes, indent, where, "lambda", form)
            if handler is None:
                primitive = self.primitive(form, scopes, indent, loops, where)
                if primitive is not None:
                    return primitive
            temporary = self.fresh("r")
            self.to_sink(form, scopes, ("assign", temporary, False), indent, loops, where)
            return temporary
        if type(form) is Vector:
            return self.bind(strip_syntax(form), "K")  # R7RS: vectors are self-evaluating
        if form is NIL:
            raise Unsupported  # not an expression: the nodes report it
        return self.constant(form)  # self-evaluating, as in the nodes (also objects a rewrite put in a form)

    def constant(self, value) -> str:
        if value is None or type(value) is bool or (type(value) is int and -10**6 < value < 10**6):
            return repr(value)
        return self.bind(value, "K")

    def variable(self, name, scopes, indent, where) -> str:
        name, scopes = self.unalias(name, scopes)
        variable = self.local(name, scopes)
        if variable is not None:
            self.use(variable)
            if variable in self.late:
                # An internal definition read before it ran is an error (as in the nodes).
                self.emit(indent, f"if {variable} is UNASSIGNED: raise unassigned_variable("
                                  f"{self.bind(name, 'N')}, {self.bind(where, 'P')})")
            return variable
        if any(name in frame for frame in scopes):  # a named let's own name used as a value
            self.misused_loop(name, scopes)
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

    def primitive(self, form, scopes, indent, loops, where, tail=False, as_expression=False, negate=None):
        """An inlined builtin call as an expression, or None when the call is not one.

        With ``as_expression``, ``(conditional expression, site entry)`` for one line instead;
        with ``negate`` too, ``(key of not, site of the not call)``, the test that ``(not form)``
        is true, as lines and their entries (see emit_test).
        """
        head = form.car
        if type(head) is not Symbol:
            return None
        head, visible = self.unalias(head, scopes)
        if any(head in frame for frame in visible) or scheme_compiler.resolve(head, self.scope) is not None:
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
        if " is " in expression:
            # ``5 is False`` draws a SyntaxWarning from Python: an integer literal is named instead.
            operands = [self.bind(int(text), "K") if text.lstrip("-").isdigit() else text for text in operands]
        key = self.global_name(root)
        site = Site(where, form, None)
        conditions = []
        if first_fits:
            checks = [self.type_test(text, type_name) for type_name, text in zip(guard, operands)
                      if type_name is not None and text.isidentifier()]
            check = specialize.INLINE_CHECKS.get((root, len(items)))
            if check is not None:
                checks.append(f"({check.format(*operands)})")
            conditions.append(self.guard_condition(checks, loops))
        if alternative_fits:
            # Tested only when the first guard fails: written in place, never a hoisted flag
            # (an integer program pays nothing for it).
            # (a float literal among the operands says floats are expected: then it may be hoisted).
            checks = [f"{text}.__class__ is INTACT_float" if first_fits else self.type_test(text, "float")
                      for text in operands
                      if text.isidentifier() and not (text.startswith("K") and type(self.bindings.get(text)) is float)]
            conditions.append(self.guard_condition(checks, loops))
        arguments = "(" + "".join(text + ", " for text in operands) + ")"
        entry = (site, ("global", key), self.finish_references(self.references(operands)))
        fast = expression.format(*operands)
        if as_expression and negate is not None:
            # ``(not form)`` as one test, over three lines: the fallback calls of form's builtin
            # (second line) and of not (first line) each fail on a line of their own.
            not_key, not_site = negate
            fast = f"not ({fast})" if _boolean(expression, guard) else f"({fast}) is False"
            chain = "".join(f"{fast} if {condition} else " for condition in conditions)
            value = self.fresh("p")
            not_entry = (not_site, ("global", not_key), self.finish_references(self.references([value])))
            text = (f"({chain}complete({not_key}(  # {_comment(format_position(not_site.position))}\n"
                    f"({value} := complete({key}({', '.join(operands)})))  # {_comment(format_position(where))}\n"
                    f")) is not False):")
            return text, [not_entry, entry, None]
        if as_expression:
            chain = "".join(f"{fast} if {condition} else " for condition in conditions)
            if _boolean(expression, guard):
                return f"({chain}complete({key}({', '.join(operands)})) is not False)", entry
            return f"({chain}complete({key}({', '.join(operands)})))", entry
        temporary = self.fresh("p")
        comment = f"  # {_comment(format_position(where))}"
        deferred = self.deferred_check(operands, guard) if first_fits else None
        if deferred is not None:
            # The last operand is a call's value that the first guard tests for an aliased type,
            # which no pending tail call has: its test waits for the guard to fail.
            result, call_entry = deferred
            self.emit(indent, f"if {conditions[0]}:")
            self.emit(indent + 1, f"{temporary} = {fast}", entry)
            self.emit(indent, "else:")
            indent += 1
            self.emit(indent, f"if {result}.__class__ is TailCall: {result} = complete({result})", call_entry)
            self.refresh(indent, loops)
        for number, condition in enumerate(conditions):
            self.emit(indent, f"{'if' if number == 0 else 'elif'} {condition}:")
            self.emit(indent + 1, f"{temporary} = {fast}", entry)
        self.emit(indent, "else:")
        if tail:
            # While the builtins are intact this is the builtin itself, which runs no Scheme code:
            # called at once (its errors are the same), the procedure returns no pending tail call.
            self.tail_site_allowed = True  # a pending tail call only once the builtins are not intact
            self.emit(indent + 1, f"{temporary} = {key}({', '.join(operands)}) if INTACT else "
                                  f"TailCall(({key}, {arguments}, {self.bind(site, 'S')})){comment}", entry)
            self.tail_site_allowed = False
        else:
            self.emit(indent + 1, f"{temporary} = {key}({', '.join(operands)}){comment}", entry)
            self.emit(indent + 1, f"if type({temporary}) is TailCall: {temporary} = complete({temporary})", entry)
        return temporary

    def application(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.cells_with_positions(form, where)
        head = items[0][0]
        visible = scopes
        if type(head) is Symbol:
            head, visible = self.unalias(head, scopes)
        # A named let's loop name: only a tail call from inside its own loop, with its arity.
        if type(head) is Symbol and self.local(head, visible) is None and any(head in f for f in visible):
            loop = loops[-1]
            if loop.name is not head and self.continue_outer(head, items, sink, indent, loops, scopes):
                return
            if loop.name is not head or len(items) - 1 != len(loop.variables) or loop.sink is not sink:
                self.misused_loop(head, visible)
            values = self.operands(items[1:], scopes, indent, loops)
            self.rebind(loop.variables, values, indent)
            self.emit(indent, "continue")
            return
        primitive = self.primitive(form, scopes, indent, loops, where, tail=sink[0] == "return")
        if primitive is not None:
            self.deliver(primitive, sink, indent)
            return
        site = Site(where, form, None)
        if self.guards and len(items) == 2 and type(head) is Symbol \
                and root_of(head) is RAISE and not any(head in f for f in visible) \
                and scheme_compiler.resolve(head, self.scope) is None:
            # (raise x) inside a guard's body here: that guard chooses its clause at once.
            key = self.global_name(head)
            payload = self.spill(self.value(items[1][0], scopes, indent, loops, items[1][1]), indent)
            marker, outer, state = self.guards[-1]
            entry = (site, ("global", key), self.finish_references(self.references([payload])))
            self.emit(indent, f"if {key} is RAISE_BUILTIN:", entry)
            self.emit(indent + 1, f"raise guard_raise({payload}, {marker}, {outer}, {state})", entry)
            self.emit(indent, "else:")
            self.emit_call(key, ("global", key), [payload], site, sink, indent + 1, loops, where, key)
            return
        if type(head) is Symbol and not any(head in f for f in visible) \
                and scheme_compiler.resolve(head, self.scope) is None:
            key = operator_key = self.global_name(head)
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
            operator_key = None
            operator = self.value(items[0][0], scopes, indent, loops, items[0][1])
            if not operator.isidentifier() or operator.startswith("K"):  # a constant operator such as (5 1)
                temporary = self.fresh("f")
                self.emit(indent, f"{temporary} = {operator}")
                operator = temporary
            operator_reference = ("local", operator)
        names = self.operands(items[1:], scopes, indent, loops)
        self.emit_call(operator, operator_reference, names, site, sink, indent, loops, where, operator_key)

    def deferred_check(self, operands, guard):
        """``(result, entry)`` when the pending-tail-call test of the call just written can wait for the guard.

        That is when the test is the last line written (a refresh of ``intact`` aside) and the
        first guard tests the call's value with an ``INTACT_<type>`` alias (a TailCall never
        passes it); the test line is taken out, to be written where the guard fails.
        """
        pending, self.pending_check = self.pending_check, None
        if pending is None:
            return None
        lines, line, result, entry = pending
        index = len(lines) - 1
        while index >= 0 and type(lines[index]) is Refresh:
            index -= 1
        if lines is not self.lines or index < 0 or lines[index] is not line:
            return None
        if not any(type_name is not None and text == result and result not in self.hoisted
                   for type_name, text in zip(guard, operands)):
            return None
        del lines[index]
        return result, entry

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

    def emit_call(self, operator, operator_reference, names, site, sink, indent, loops, where, key=None):
        """The call of ``operator`` (a name) with ``names`` (names or constants), its value to ``sink``.

        ``key``, when given, is the global the operator was read from.
        """
        entry = (site, operator_reference, self.finish_references(self.references(names)))
        comment = f"  # {_comment(format_position(where))}"
        arguments = "(" + "".join(name + ", " for name in names) + ")"
        if sink[0] == "return":
            own = self.self_loop
            looping = loops[-1] is own and own.sink is sink and own.variables is not None \
                and len(names) == len(own.variables)
            if self.function.parent is None and not (looping and key is not None and key == self.own_key):
                self.tail_free = False  # it may return a pending tail call of something else
            if looping:
                own.repeats = True
                if operator_reference[0] == "global" and own.python_name == "procedure":
                    # Read once on entry instead when the loop makes no call (see finish_lines).
                    if operator not in self.self_checks.operators:
                        self.self_checks.operators.append(operator)
                    self.emit(indent, f"if \x06{operator}\x06 is procedure:", entry)
                else:
                    self.emit(indent, f"if {operator} is {own.python_name}:", entry)
                self.rebind(own.variables, names, indent + 1)
                self.emit(indent + 1, "continue")
            # Allowed only after the procedure's own loop test on its own global (else tail_free is off).
            self.tail_site_allowed = looping
            self.emit(indent, f"return TailCall(({operator}, {arguments}, {self.bind(site, 'S')})){comment}", entry)
            self.tail_site_allowed = False
            return
        result = sink[1]
        self.emit(indent, f"{result} = {operator}({', '.join(names)}){comment}", entry)
        # A call of the procedure's own global: no test while that is still tail-free (see finish_lines).
        own = f"\x07{key}\x07" if key is not None and key == self.own_key else ""
        self.emit(indent, f"if {own}{result}.__class__ is TailCall: {result} = complete({result})", entry)
        self.pending_check = (self.lines, self.lines[-1], result, entry)
        self.refresh(indent, loops)
        if sink[2]:
            self.emit(indent, "break")


def _do_as_named_let(specs, items, where) -> tuple:
    """``(let loop ((name init)...) (if test (begin result...) (begin body... (loop step...))))`` for a do loop
    (R7RS 7.3) as (loop name, bindings, body items), each piece keeping its position; ``loop``, ``if`` and
    ``begin`` are renamed (hygienic)."""
    loop_name = object.__new__(Symbol)
    loop_name.name, loop_name.alias = "do-loop", None  # uninterned: no program's name
    if_, begin = rename(Symbol("if"), None), rename(Symbol("begin"), None)

    def listed(parts, position):
        result = NIL
        for part, part_where in reversed(parts):
            result = SourcePair(part, result, part_where)
        return SourcePair(result.car, result.cdr, position) if result is not NIL else NIL

    bindings = [(parts[0][0], parts[1][0], parts[1][1]) for parts in specs]
    steps = [parts[2] if len(parts) == 3 else parts[0] for parts in specs]
    exit_parts = scheme_compiler.cells_with_positions(items[1][0], items[1][1])
    again = listed([(loop_name, where)] + steps, where)
    body = listed([(begin, where)] + items[2:] + [(again, where)], where)
    finish = listed([(begin, exit_parts[0][1])] + exit_parts[1:], exit_parts[0][1])
    test = listed([(if_, where), exit_parts[0], (finish, exit_parts[0][1]), (body, where)], where)
    return loop_name, bindings, [(test, where)]


def _assigned_names(forms) -> set:
    """Every name some ``(set! name ...)`` in ``forms`` assigns, at any depth (a syntactic over-approximation)."""
    names = set()
    stack = list(forms)
    while stack:
        form = stack.pop()
        while isinstance(form, Pair):
            head = form.car
            if root_of(head) is SET and isinstance(form.cdr, Pair) and type(form.cdr.car) is Symbol:
                names.add(root_of(form.cdr.car))
            if isinstance(head, Pair):
                stack.append(head)
            form = form.cdr
    return names


def _curried(form) -> bool:
    """Whether a well-formed define is curried, ``(define ((name a) b) ...)`` (left to the nodes)."""
    return isinstance(form.cdr.car, Pair) and isinstance(form.cdr.car.car, Pair)


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


def _is_true(text: str) -> str:
    """The Python test that the value ``text`` is true; an integer literal always is (and
    Python warns of ``5 is not False``: SyntaxWarning, "is not" with a literal)."""
    return "True" if text.lstrip("-").isdigit() else f"{text} is not False"


def _is_false(text: str) -> str:
    return "False" if text.lstrip("-").isdigit() else f"{text} is False"


def _comment(text: str) -> str:
    return text.replace("\n", " ").replace("\r", " ")


_SUPPORTED = frozenset()
_WRITERS: dict = {}  # compiler handler -> Writer method (filled by install)
_NAMED_WRITERS: dict = {}  # handler -> writer of a procedure-making form given a name (case-lambda)
_BODY_FORMS: set = set()  # definitions other than define: a body holding them is expanded first


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
        scheme_compiler.compile_letrec: Writer.write_letrec, scheme_compiler.compile_let_values: Writer.write_let_values,
        scheme_compiler.compile_define_values: Writer.write_define_values,
        scheme_compiler.compile_quasiquote: Writer.write_quasiquote, scheme_compiler.compile_delay: Writer.write_delay,
        scheme_compiler.compile_delay_force: Writer.write_delay_force,
        scheme_compiler.compile_let_syntax: Writer.write_let_syntax,
    })
    # Forms that are always a syntax error where a writer meets them: their handler is the check.
    for handler in (scheme_compiler.compile_define_syntax, scheme_compiler.compile_unquote_outside,
                    scheme_compiler.compile_syntax_rules_outside, scheme_compiler.compile_syntax_error):
        _WRITERS[handler] = _raising(handler)
    _BODY_FORMS.update((scheme_compiler.compile_define_values, scheme_compiler.compile_define_syntax))
    _SUPPORTED = frozenset(_WRITERS) | {scheme_compiler.compile_quote}
    runtime.NAMESPACE_HELPERS.update({
        "receive_values": scheme_compiler.receive_values, "splice_onto": scheme_compiler.splice_onto,
        "Promise": Promise, "Vector": Vector, "list_to_python": list_to_python, "Pair": Pair, "NIL": NIL,
    })


def add_writer(handler, writer, named=None) -> None:
    """A special form defined in another module (the library), written out by ``writer(self, form, scopes, sink,
    indent, loops, where)``; ``named(self, form, scopes, indent, where, name)`` writes it as a named value."""
    global _SUPPORTED
    _WRITERS[handler] = writer
    if named is not None:
        _NAMED_WRITERS[handler] = named
    _SUPPORTED = _SUPPORTED | {handler}


def _raising(handler):
    def write(self, form, scopes, sink, indent, loops, where):
        scope = self.frame_scope(scopes)
        if scope is not None:  # a procedure's body (top-level define-syntax never gets here)
            handler(self.compiler, form, scope, False, where)
        raise Unsupported

    return write


def _shifted(items) -> list:
    """Lines of the body (and their placeholders) one level deeper: put inside a factory def (keep_bindings)."""
    shifted = []
    for item in items:
        if type(item) is tuple:
            shifted.append(("    " + item[0], item[1]))
            continue
        item.indent += 1
        if type(item) is Prologue:
            item.lines[:] = _shifted(item.lines)
        shifted.append(item)
    return shifted
