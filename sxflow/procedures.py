"""Whole procedures as Python source: one ``def`` per Scheme procedure whose body uses the common forms.

The closure compiler (compiler.py) turns every form into a node; a call of a node
is a Python call. For a procedure whose body uses only variables, constants,
``quote``, ``if``, ``cond`` (without ``=>``), ``and``, ``or``, ``when``, ``unless``,
``begin``, ``let``, ``let*``, named ``let`` used as a loop, and calls, this module
writes the whole body as one Python function instead:

- parameters and ``let`` variables are Python locals (each binding its own name, so
  shadowing needs no frames); free variables of enclosing procedures are read from
  the closure's frame as the nodes do; globals through their cells (a redefinition,
  of a builtin too, is seen at once);
- ``if``/``cond``/``and``/``or`` are Python ``if`` statements, a call is written out in
  place (closures of the right arity entered directly, builtins called directly),
  primitives are inlined behind exact type guards that fall back to the builtin
  itself (so its error messages are unchanged);
- a tail call of the procedure itself, and of a named-``let`` loop from its own body,
  is a ``continue`` of a ``while True``; other tail calls return a ``TailCall``.

Anything else (inner lambdas, ``set!``, ``define``, ``guard``, macros…) keeps the nodes:
``compile_procedure`` returns None and the closure compiler's body is used, so both
give the same values, errors, positions and traces. The compiler always compiles the
nodes first, so every syntax error and check is the closure compiler's own.

The generated source carries the Scheme position of each call as a comment, is
registered with ``linecache`` and dumped with ``SXFLOW_DUMP_CODE`` (see specialize),
and the function is named ``procedure <name> <file:line:column>``; a source text
is compiled once per process.
"""

from __future__ import annotations

from types import FunctionType

from . import specialize
from .data import NIL, Char, Pair, Symbol
from .macros import Macro, root_of
from .runtime import (
    BUILTIN_INFO,
    UNBOUND,
    Closure,
    Site,
    TailCall,
    assert_assigned,
    call_failed,
    call_other,
    call_other_tail,
    complete,
    recursion_error,
    unbound_variable,
)
from .errors import SchemeError
from .source import format_position

_factories: dict[str, object] = {}

# Names every generated procedure may use.
_GLOBALS = {
    "BUILTIN_INFO": BUILTIN_INFO,
    "UNBOUND": UNBOUND,
    "Closure": Closure,
    "FunctionType": FunctionType,
    "TailCall": TailCall,
    "SchemeError": SchemeError,
    "assert_assigned": assert_assigned,
    "call_failed": call_failed,
    "call_other": call_other,
    "call_other_tail": call_other_tail,
    "complete": complete,
    "recursion_error": recursion_error,
    "unbound_variable": unbound_variable,
}
for _name, _value in specialize._TEMPLATE_GLOBALS.items():
    _GLOBALS.setdefault(_name, _value)

# Forms past this many lines of Python are left to the nodes (keeps compile time in bounds).
MAX_LINES = 2_000


class Unsupported(Exception):
    """The body uses a form this back end leaves to the nodes."""


class Loop:
    """A ``while True`` the generated code is inside: a procedure body or a named let."""

    def __init__(self, name, variables, sink) -> None:
        self.name = name  # the Scheme name a tail call continues it by
        self.variables = variables  # Python names of its variables, in order
        self.sink = sink


def compile_procedure(compiler, names, rest, body_items, scope, position, name):
    """A Python function usable as a Closure body for ``(lambda names body...)``, or None when unsupported."""
    writer = Writer(compiler, scope, position, name)
    try:
        return writer.procedure(names, rest, body_items)
    except Unsupported:
        return None


class Writer:
    """Writes one procedure: its lines, the values it closes over, its local names."""

    def __init__(self, compiler, scope, position, name) -> None:
        self.compiler = compiler
        self.environment = compiler.environment
        self.scope = scope  # the compile-time scope the procedure is created in
        self.position = position
        self.name = name
        self.bindings: dict = {}
        self.binding_names: dict = {}
        self.counter = 0
        self.lines: list[str] = []

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

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)
        if len(self.lines) > MAX_LINES:
            raise Unsupported

    # -- the procedure ------------------------------------------------------------

    def procedure(self, names, rest, body_items):
        locals_ = {}
        variables = []
        for parameter in names + ([rest] if rest is not None else []):
            if type(parameter) is not Symbol or parameter.alias is not None:
                raise Unsupported
            variable = self.fresh(f"v_{_identifier(parameter.name)}_")
            locals_[parameter] = variable
            variables.append(variable)
        returning = ("return",)
        self.self_loop = Loop(None, variables, returning)
        self.emit(1, f"env, {''.join(v + ', ' for v in variables)}= frame")
        self.emit(1, "while True:")
        self.body(body_items, [locals_], returning, 2, [self.self_loop])
        where = format_position(self.position)
        header = "def procedure(frame):"
        source = (f"# {self.name} {_comment(where)}\ndef factory({', '.join(self.bindings)}):\n    "
                  + header + "\n" + "\n".join("    " + line for line in self.lines)
                  + "\n    return procedure\n")
        factory = _factories.get(source)
        if factory is None:
            namespace = dict(_GLOBALS)
            exec(compile(source, specialize.register_source(source), "exec"), namespace)
            factory = _factories[source] = namespace["factory"]
        function = factory(**self.bindings)
        function.__code__ = function.__code__.replace(co_name=f"procedure {self.name} {where}".rstrip())
        return function

    # -- statements: a form whose value goes to a sink ------------------------------

    def body(self, items, scopes, sink, indent, loops):
        """A body: every form but the last for effect, the last to ``sink``."""
        if not items:
            raise Unsupported
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
            if handler is scheme_compiler.compile_if:
                items = scheme_compiler.cells_with_positions(form, where)[1:]
                test = self.value(items[0][0], scopes, indent, loops, items[0][1])
                self.emit(indent, f"if {test} is not False:")
                self.to_sink(items[1][0], scopes, sink, indent + 1, loops, items[1][1])
                self.emit(indent, "else:")
                if len(items) == 3:
                    self.to_sink(items[2][0], scopes, sink, indent + 1, loops, items[2][1])
                else:
                    self.deliver("None", sink, indent + 1)
                return
            if handler is scheme_compiler.compile_cond:
                self.cond(scheme_compiler.cells_with_positions(form, where)[1:], scopes, sink, indent, loops)
                return
            if handler is scheme_compiler.compile_when:
                items = scheme_compiler.cells_with_positions(form, where)[1:]
                test = self.value(items[0][0], scopes, indent, loops, items[0][1])
                negate = "" if root_of(form.car) is scheme_compiler.UNLESS else "not "
                self.emit(indent, f"if {negate}({test} is False):")
                self.body(items[1:], scopes, sink, indent + 1, loops)
                self.emit(indent, "else:")
                self.deliver("None", sink, indent + 1)
                return
            if handler is scheme_compiler.compile_and or handler is scheme_compiler.compile_or:
                items = scheme_compiler.cells_with_positions(form, where)[1:]
                if not items:
                    self.deliver("True" if handler is scheme_compiler.compile_and else "False", sink, indent)
                    return
                for item, item_where in items[:-1]:
                    value = self.value(item, scopes, indent, loops, item_where)
                    if handler is scheme_compiler.compile_and:
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
                return
            if handler is scheme_compiler.compile_begin:
                items = scheme_compiler.cells_with_positions(form, where)[1:]
                if not items:
                    self.deliver("None", sink, indent)
                else:
                    self.body(items, scopes, sink, indent, loops)
                return
            if handler is scheme_compiler.compile_let:
                items = scheme_compiler.cells_with_positions(form, where)[1:]
                if type(items[0][0]) is Symbol:
                    self.named_let(items, scopes, sink, indent, loops, where)
                    return
                bindings = self.bindings_of(items[0][0], where)
                values = [self.spill(self.value(init, scopes, indent, loops, init_where), indent)
                          for _, init, init_where in bindings]
                inner = {}
                for (binding_name, _, _), value in zip(bindings, values):
                    variable = self.fresh(f"v_{_identifier(binding_name.name)}_")
                    inner[binding_name] = variable
                    self.emit(indent, f"{variable} = {value}")
                self.body(items[1:], scopes + [inner], sink, indent, loops)
                return
            if handler is scheme_compiler.compile_let_star:
                items = scheme_compiler.cells_with_positions(form, where)[1:]
                bindings = self.bindings_of(items[0][0], where, repeats=True)
                inner_scopes = scopes
                for binding_name, init, init_where in bindings:
                    value = self.value(init, inner_scopes, indent, loops, init_where)
                    variable = self.fresh(f"v_{_identifier(binding_name.name)}_")
                    self.emit(indent, f"{variable} = {value}")
                    inner_scopes = inner_scopes + [{binding_name: variable}]
                self.body(items[1:], inner_scopes, sink, indent, loops)
                return
            if handler is None:
                self.application(form, scopes, sink, indent, loops, where)
                return
            if handler is not scheme_compiler.compile_quote:
                raise Unsupported
        self.deliver(self.value(form, scopes, indent, loops, where), sink, indent)

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
            test = self.value(test_form, scopes, indent, loops, parts[0][1])
            if len(parts) == 1:
                temporary = self.spill(test, indent)
                self.emit(indent, f"if {temporary} is not False:")
                self.deliver(temporary, sink, indent + 1)
            else:
                self.emit(indent, f"if {test} is not False:")
                self.body(parts[1:], scopes, sink, indent + 1, loops)
            self.emit(indent, "else:")
            indent += 1
        self.deliver("None", sink, indent)

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
        for (binding_name, _, _), value in zip(bindings, values):
            variable = self.fresh(f"v_{_identifier(binding_name.name)}_")
            inner[binding_name] = variable
            variables.append(variable)
            self.emit(indent, f"{variable} = {value}")
        if sink[0] == "return":
            loop_sink = sink
        else:
            loop_sink = ("assign", sink[1], True)
        loop = Loop(loop_name, variables, loop_sink)
        self.emit(indent, "while True:")
        self.body(items[2:], scopes + [inner], loop_sink, indent + 1, loops + [loop])
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
        root = root_of(name)
        cell = self.environment.cell(root)
        if isinstance(cell.value, Macro):
            raise Unsupported
        cell_name = self.bind(cell, "C")
        temporary = self.fresh("g")
        self.emit(indent, f"{temporary} = {cell_name}.value")
        self.emit(indent, f"if {temporary} is UNBOUND:")
        self.emit(indent + 1, f"raise unbound_variable({self.bind(root, 'N')}, {self.bind(self.environment, 'E')}, "
                              f"{self.bind(where, 'P')})")
        return temporary

    def operands(self, items, scopes, indent, loops) -> list[str]:
        """Each operand evaluated in order, into a plain name or constant."""
        return [self.spill(self.value(item, scopes, indent, loops, where), indent) for item, where in items]

    def primitive(self, form, scopes, indent, loops, where, tail=False):
        """An inlined builtin call as an expression, or None when the call is not one."""
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
        for type_name, (item, _) in zip(guard, items):
            if type_name is not None and not isinstance(item, (Pair, Symbol)) and type(item).__name__ != type_name:
                return None
        operands = self.operands(items, scopes, indent, loops)
        cell = self.bind(self.environment.cell(root), "C")
        site = self.bind(Site(where, form, self.environment), "S")
        checks = [f"type({text}) is {type_name}" for type_name, text in zip(guard, operands)
                  if type_name is not None and text.isidentifier()]
        condition = " and ".join(checks + [f"{cell}.value is {self.bind(builtin, 'B')}"])
        arguments = "(" + "".join(text + ", " for text in operands) + ")"
        temporary = self.fresh("p")
        self.emit(indent, f"if {condition}:")
        self.emit(indent + 1, f"{temporary} = {expression.format(*operands)}")
        self.emit(indent, "else:")
        fallback = "call_other_tail" if tail else "call_other"
        self.emit(indent + 1, f"{temporary} = {fallback}({cell}.value, {arguments}, {site})"
                              f"  # {_comment(format_position(where))}")
        return temporary

    def application(self, form, scopes, sink, indent, loops, where):
        items = scheme_compiler.cells_with_positions(form, where)
        head = items[0][0]
        # A named let's loop name: only a tail call from inside its own loop, with its arity.
        if type(head) is Symbol and self.local(head, scopes) is None and any(head in f for f in scopes):
            loop = loops[-1]
            if loop.name is not head or len(items) - 1 != len(loop.variables) or loop.sink is not sink:
                raise Unsupported
            values = self.operands(items[1:], scopes, indent, loops)
            if values:
                self.emit(indent, f"{', '.join(loop.variables)} = {', '.join(values)}")
            self.emit(indent, "continue")
            return
        primitive = self.primitive(form, scopes, indent, loops, where, tail=sink[0] == "return")
        if primitive is not None:
            self.deliver(primitive, sink, indent)
            return
        if type(head) is Symbol and head.alias is None and not any(head in f for f in scopes) \
                and scheme_compiler.resolve(head, self.scope) is None:
            # A global operator is read without the unbound check: the call reports it at the call's position.
            cell = self.environment.cell(root_of(head))
            if isinstance(cell.value, Macro):
                raise Unsupported
            operator = self.fresh("f")
            self.emit(indent, f"{operator} = {self.bind(cell, 'C')}.value")
        else:
            operator = self.value(head, scopes, indent, loops, items[0][1])
            if not operator.isidentifier():  # a constant operator such as (5 1): fails at the call
                temporary = self.fresh("f")
                self.emit(indent, f"{temporary} = {operator}")
                operator = temporary
        names = self.operands(items[1:], scopes, indent, loops)
        site = self.bind(Site(where, form, self.environment), "S")
        comment = f"  # {_comment(format_position(where))}"
        count = len(names)
        arguments = "(" + "".join(name + ", " for name in names) + ")"
        frame_items = ", ".join([f"{operator}.env", *names])
        if sink[0] == "return":
            self.emit(indent, f"if type({operator}) is Closure and {operator}.arity == {count}:")
            if loops[-1] is self.self_loop and self.self_loop.sink is sink:
                self.emit(indent + 1, f"if {operator}.body is procedure:")
                self.emit(indent + 2, f"env{''.join(', ' + v for v in self.self_loop.variables)} = {frame_items}")
                self.emit(indent + 2, "continue")
            self.emit(indent + 1, f"return TailCall(({operator}.body, [{frame_items}])){comment}")
            self.emit(indent, f"if type({operator}) is FunctionType and {operator} in BUILTIN_INFO:")
            self.emit(indent + 1, "try:")
            self.emit(indent + 2, f"return {operator}({', '.join(names)}){comment}")
            self.emit(indent + 1, "except Exception as error:")
            self.emit(indent + 2, f"raise call_failed({operator}, {arguments}, error, {site})")
            self.emit(indent, f"return call_other_tail({operator}, {arguments}, {site}){comment}")
            return
        result = sink[1]
        position = self.bind(where, "P")
        self.emit(indent, f"if type({operator}) is Closure and {operator}.arity == {count}:")
        self.emit(indent + 1, "try:")
        self.emit(indent + 2, f"{result} = {operator}.body([{frame_items}]){comment}")
        self.emit(indent + 2, f"if type({result}) is TailCall:")
        self.emit(indent + 3, f"{result} = complete({result})")
        self.emit(indent + 1, "except SchemeError as error:")
        self.emit(indent + 2, f"error.add_frame({position}, {operator}.name)")
        self.emit(indent + 2, "error.__traceback__ = None")
        self.emit(indent + 2, "raise error")
        self.emit(indent + 1, "except RecursionError:")
        self.emit(indent + 2, f"raise recursion_error({operator}, {site}) from None")
        self.emit(indent, f"elif type({operator}) is FunctionType and {operator} in BUILTIN_INFO:")
        self.emit(indent + 1, "try:")
        self.emit(indent + 2, f"{result} = {operator}({', '.join(names)}){comment}")
        self.emit(indent + 2, f"if type({result}) is TailCall:")
        self.emit(indent + 3, f"{result} = complete({result})")
        self.emit(indent + 1, "except Exception as error:")
        self.emit(indent + 2, f"raise call_failed({operator}, {arguments}, error, {site})")
        self.emit(indent, "else:")
        self.emit(indent + 1, f"{result} = call_other({operator}, {arguments}, {site}){comment}")
        if sink[2]:
            self.emit(indent, "break")


def _identifier(text: str) -> str:
    cleaned = "".join(character if character.isalnum() and character.isascii() else "_" for character in text)
    return cleaned[:20]


def _comment(text: str) -> str:
    return text.replace("\n", " ").replace("\r", " ")


_SUPPORTED = frozenset()
_ATOMS = frozenset(("int", "float", "str", "bool", "Char", "Fraction", "complex"))


# The closure compiler whose forms this back end writes out: compiler.py imports this
# module and hands itself over with install() (so imports go one way, compiler -> here).
scheme_compiler = None


def install(compiler_module) -> None:
    """Take the compiler module and the special forms this back end writes out (called once compiler.py has defined them)."""
    global _SUPPORTED, scheme_compiler
    scheme_compiler = compiler_module
    _SUPPORTED = frozenset((
        scheme_compiler.compile_quote, scheme_compiler.compile_if, scheme_compiler.compile_cond,
        scheme_compiler.compile_when, scheme_compiler.compile_and, scheme_compiler.compile_or,
        scheme_compiler.compile_begin, scheme_compiler.compile_let, scheme_compiler.compile_let_star,
    ))
