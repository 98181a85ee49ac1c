"""Node specialisation: Python source templates for the hot node shapes, compiled once per shape.

A call ``(f a b)`` could be one generic node that loops over its operands; instead
each shape gets its own small Python function in which a local operand is one
subscript, a constant one name, and an inlined primitive such as ``(- n 1)`` a
conditional expression, instead of one more Python call each. Shapes are few, and
each template is compiled by ``exec`` only the first time its exact source is needed.

Generated code is visible. Each compiled source is registered with ``linecache`` under
a name such as ``<sxflow node 12>``, so a Python traceback through it shows its lines,
and each node function made from it is named after the Scheme source position it was
compiled from (``node fib.sx:1:20``), so the traceback names that position too. With
the environment variable ``SXFLOW_DUMP_CODE`` set to a directory, every generated
source is also written there as ``node-<n>.py`` (and tracebacks name that file).
"""

from __future__ import annotations

import ast
import builtins
import itertools
import linecache
import math
import os
from types import FunctionType, SimpleNamespace

from . import runtime
from .data import _VALUE_TYPES, NIL, Char, Pair, Symbol, Vector, is_eqv
from .errors import ErrorObject, SchemeError
from .source import format_position

# Names every template may use.
_TEMPLATE_GLOBALS = {
    "TailCall": runtime.TailCall,
    "complete": runtime.complete,
    "SchemeError": SchemeError,
    "call_other": runtime.call_other,
    "call_other_tail": runtime.call_other_tail,
    "recursion_error": runtime.recursion_error,
    "call_failed": runtime.call_failed,
    "BUILTIN_INFO": runtime.BUILTIN_INFO,
    "FunctionType": FunctionType,
    "Pair": Pair,
    "NIL": NIL,
    "Symbol": Symbol,
    "Vector": Vector,
    "Char": Char,
    "ErrorObject": ErrorObject,
    "is_eqv": is_eqv,
    "EQV_BY_VALUE": _VALUE_TYPES,  # the types eqv? compares by value (data.is_eqv)
    "CHARACTERS": Char._table,  # the interned characters: a character made before, without a call
    "math": math,
}

_factories: dict[str, object] = {}
_source_numbers = itertools.count(1)

# The switch that dumps every generated source into a directory.
DUMP_VARIABLE = "SXFLOW_DUMP_CODE"

# (Symbol, argument count) -> (builtin function, operand types, expression): calls the compiler inlines.
INLINE_PRIMITIVES: dict = {}

# (Symbol, argument count) -> operand types of a second guard for the same expression: the
# builtin computes that very Python operation for them too (``+`` of two floats). Only the
# whole-procedure compiler uses it (sxflow/procedures.py), after the first guard.
INLINE_ALTERNATIVES: dict = {}

# (Symbol, argument count) -> a further condition over the operands, tested after the guard
# (``0 <= {1} < len({0})`` for vector-ref): the expression is the builtin's answer only then.
INLINE_CHECKS: dict = {}

# The operand types an inline guard may name (each is tested as ``type(x) is <name>``).
GUARD_TYPES = frozenset(("int", "float", "str", "bool", "Vector", "Pair", "Symbol", "Char", "ErrorObject"))


def register_inline(name: Symbol, count: int, function, guard, expression: str, alternative=None,
                    check=None) -> None:
    """Record that ``(name x0 … x<count-1>)`` may be inlined as ``expression``, after checking it.

    ``expression`` is a format string over the operands ``{0}``, ``{1}``…; ``guard`` names
    the Python type each operand must have (or None: any). Everything the expression names
    must exist in the template globals, so a mistake fails here, when the builtin is
    registered, not as a NameError when a program first calls it. ``alternative``, when
    given, is a second guard ("float" operands only, each of which may also be a small
    integer literal) under which ``expression`` is also the builtin's answer; ``check``, when
    given, a further condition over the operands (checked the same way) tested after the guard.
    """
    if alternative is not None and (len(alternative) != count or any(t != "float" for t in alternative)):
        raise ValueError(f"inline form of {name.name} with {count} argument(s): "
                         f"the alternative guard must name 'float' for each operand")
    where = f"inline form of {name.name} with {count} argument(s)"
    if len(guard) != count:
        raise ValueError(f"{where}: the guard names {len(guard)} types for {count} operands")
    for type_name in guard:
        if type_name is not None and type_name not in GUARD_TYPES:
            raise ValueError(f"{where}: unknown guard type {type_name!r} (known: {', '.join(sorted(GUARD_TYPES))})")
    operands = [f"operand{index}" for index in range(count)]
    for part in (expression, check) if check is not None else (expression,):
        try:
            text = part.format(*operands)
            tree = ast.parse(text, f"<{where}>", "eval")
        except (IndexError, KeyError, ValueError, SyntaxError) as error:
            raise ValueError(f"{where}: bad expression {part!r}: {error}") from None
        for used in sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}):
            if used not in operands and used not in _TEMPLATE_GLOBALS and not hasattr(builtins, used):
                raise ValueError(f"{where}: {part!r} names {used}, which templates do not define")
    INLINE_PRIMITIVES[(name, count)] = (function, guard, expression)
    if alternative is not None:
        INLINE_ALTERNATIVES[(name, count)] = tuple(alternative)
    if check is not None:
        INLINE_CHECKS[(name, count)] = check
    runtime.INLINED_BUILTINS[runtime.global_key(name)] = function  # redefining it clears INTACT

SIMPLE_KINDS = ("local", "local1", "constant")
# Inlined primitives nest at most this deep in one template (Python's parser limits nesting).
MAX_INLINE_DEPTH = 4
# Calls with more operands, and conds with more clauses, than this use generic code.
MAX_TEMPLATE_OPERANDS = 8
MAX_TEMPLATE_CLAUSES = 32


class Template:
    """One node function being written: its source lines, the values it closes over, its temporaries."""

    def __init__(self) -> None:
        self.bindings: dict = {}
        self.temporaries = 0

    def bind(self, value, prefix: str) -> str:
        name = f"{prefix}{len(self.bindings)}"
        self.bindings[name] = value
        return name

    def temporary(self) -> str:
        self.temporaries += 1
        return f"t{self.temporaries}"

    def expression(self, node, depth: int = 0, tail: bool = False) -> str:
        """A Python expression evaluating ``node``: a subscript, a name, an inlined primitive, or a call."""
        kind = getattr(node, "kind", None)
        if kind == "local":
            return f"frame[{node.index}]"
        if kind == "local1":
            return f"frame[0][{node.index}]"
        if kind == "constant":
            return self.bind(node.value, "K")
        if kind == "primitive" and depth < MAX_INLINE_DEPTH:
            return self.primitive(node, depth, tail)
        return f"{self.bind(node, 'N')}(frame)"

    def primitive(self, node, depth: int, tail: bool) -> str:
        """``(fast if guard else call)``: the builtin's inline form while its global still holds it."""
        operands = []
        evaluate_first = []
        for item in node.operands:
            text = self.expression(item, depth + 1)
            if getattr(item, "kind", None) not in SIMPLE_KINDS:
                # Evaluated once, in order, into a temporary the rest of the expression reads.
                temporary = self.temporary()
                # "(t := x) is t" is always true: it only evaluates x into t, in order.
                evaluate_first.append(f"({temporary} := {text}) is {temporary}")
                text = temporary
            operands.append(text)
        cell = self.bind(node.cell, "C")
        builtin = self.bind(node.builtin, "B")
        site = self.bind(node.site, "S")
        checks = [f"type({text}) is {type_name}"
                  for type_name, text, item in zip(node.guard, operands, node.operands)
                  if type_name is not None and getattr(item, "kind", None) != "constant"]
        check = getattr(node, "check", None)
        if check is not None:
            checks.append(f"({check.format(*operands)})")
        guard = " and ".join(evaluate_first + checks + [f"{cell}.value is {builtin}"])
        arguments = "(" + "".join(text + ", " for text in operands) + ")"
        fallback = "call_other_tail" if tail else "call_other"
        fast = node.expression.format(*operands)
        return f"(({fast}) if {guard} else {fallback}({cell}.value, {arguments}, {site}))"

    def call_lines(self, call, loop: bool = False) -> list[str]:
        """Statements performing ``call`` and returning its result (or, in tail position, a tail call).

        The procedure is called directly, whatever it is; only a failure takes the slow
        path (``call_failed`` explains it: not a procedure, wrong argument count...).
        """
        if call.operator_cell is not None:
            operator_expression = f"{self.bind(call.operator_cell, 'C')}.value"
        else:
            operator_expression = self.expression(call.operator)
        lines = [f"procedure = {operator_expression}"]
        names = []
        for index, node in enumerate(call.operands):
            lines.append(f"a{index} = {self.expression(node)}")
            names.append(f"a{index}")
        site_name = self.bind(call.site, "S")
        arguments = "(" + "".join(name + ", " for name in names) + ")"
        if call.tail:
            return lines + [f"return TailCall((procedure, {arguments}, {site_name}))"]
        return lines + [
            "try:",
            f"    result = procedure({', '.join(names)})",
            "    if type(result) is TailCall:",
            "        result = complete(result)",
            "    return result",
            "except Exception as error:",
            # A deep recursion unwinds through the same site many times: add_frame counts, not lists.
            f"    raise call_failed(procedure, {arguments}, error, {site_name})",
        ]

    def return_lines(self, node, loop: bool = False) -> list[str]:
        """Statements returning the value of ``node``: a call is written out in place, not called."""
        if getattr(node, "kind", None) == "call":
            return self.call_lines(node.call, loop)
        return [f"return {self.expression(node)}"]

    def build(self, lines: list[str], position=None):
        body = "def node(frame):\n" + "\n".join("    " + line for line in lines)
        return instantiate(body, self.bindings, position)


def instantiate(body: str, bindings: dict, position=None):
    """Compile (once per source text) a factory for the function ``node`` in ``body``; call it with ``bindings``.

    The node is named after the Scheme ``position`` it was compiled from, when given.
    """
    names = list(bindings)
    source = f"def factory({', '.join(names)}):\n" + _indent(body) + "\n    return node\n"
    factory = _factories.get(source)
    if factory is None:
        namespace = dict(_TEMPLATE_GLOBALS)
        exec(compile(source, register_source(source), "exec"), namespace)
        factory = _factories[source] = namespace["factory"]
    node = factory(**bindings)
    if position is not None:
        code = node.__code__
        node.__code__ = code.replace(co_name=f"node {format_position(position)}")
    return node


def register_source(source: str) -> str:
    """A filename for generated ``source``, registered with ``linecache`` (and dumped when asked)."""
    number = next(_source_numbers)
    filename = f"<sxflow node {number}>"
    directory = os.environ.get(DUMP_VARIABLE)
    if directory:
        os.makedirs(directory, exist_ok=True)
        filename = os.path.join(directory, f"node-{number}.py")
        with open(filename, "w", encoding="utf-8") as file:
            file.write(source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return filename


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.strip("\n").split("\n"))


def call_node(operator, operands, site, tail: bool, operator_cell=None):
    """A node for ``(operator operand ...)``: closures of matching arity and builtins are entered directly.

    The node describes itself (kind "call"), so an enclosing ``cond`` or ``if`` can
    write the same statements in its own body instead of calling it.
    """
    if len(operands) > MAX_TEMPLATE_OPERANDS:
        return generic_call_node(operator, operands, site, tail, operator_cell)
    description = SimpleNamespace(kind="call", operator=operator, operands=tuple(operands), site=site,
                                  tail=tail, operator_cell=operator_cell)
    template = Template()
    node = template.build(template.call_lines(description), site.position)
    node.kind = "call"
    node.call = description
    return node


def generic_call_node(operator, operands, site, tail: bool, operator_cell=None):
    """A call with many operands: one loop instead of a template (keeps generated code small)."""
    operands = tuple(operands)
    call = runtime.call_other_tail if tail else runtime.call_other

    def node(frame):
        procedure = operator_cell.value if operator_cell is not None else operator(frame)
        return call(procedure, [operand(frame) for operand in operands], site)

    return node


def primitive_node(operands, site, tail: bool, cell, builtin, guard, expression: str, check=None):
    """A node for a call of a builtin that is inlined while its global still holds that builtin.

    ``guard`` names the Python type each operand must have (or None: any) for
    ``expression``, a format string over the operands ``{0}``, ``{1}``…, to give the
    builtin's answer; otherwise, or when the program has redefined the name, the
    call is made normally. The node also describes itself, so enclosing templates
    can inline it as an expression.
    """

    description = SimpleNamespace(kind="primitive", operands=tuple(operands), cell=cell, builtin=builtin,
                                  site=site, guard=guard, expression=expression, check=check)
    template = Template()
    node = template.build([f"return {template.primitive(description, 0, tail)}"], site.position)
    node.kind = "primitive"
    node.operands = description.operands
    node.cell, node.builtin, node.site = cell, builtin, site
    node.guard, node.expression, node.check = guard, expression, check
    return node


def constants_fit(guard, operands) -> bool:
    """Whether the constant operands have the types the inline form needs (else never inline)."""
    for type_name, node in zip(guard, operands):
        if type_name is not None and getattr(node, "kind", None) == "constant":
            if type(node.value).__name__ != type_name:
                return False
    return True


def cond_node(clauses, fallback, tail: bool, position=None):
    """A chain of clauses as one function of ``if`` statements.

    Each clause is ``("body", test, body)``, ``("test", test, None)`` (the test's value
    is the result), ``("arrow", test, (receiver, site))`` or ``("else", None, body)``;
    ``fallback`` runs when no clause is taken.
    """
    if len(clauses) > MAX_TEMPLATE_CLAUSES:
        # A long chain: the first clauses here, the rest in a node of their own.
        rest = cond_node(clauses[MAX_TEMPLATE_CLAUSES:], fallback, tail, position)
        return cond_node(clauses[:MAX_TEMPLATE_CLAUSES], rest, tail, position)
    template = Template()
    lines = []
    call = "call_other_tail" if tail else "call_other"
    for kind, test, action in clauses:
        if kind == "else":
            lines += template.return_lines(action, tail)
            return template.build(_loop(lines, tail), position)
        test_text = template.expression(test)
        if kind == "body":
            lines.append(f"if {test_text} is not False:")
            lines += ["    " + line for line in template.return_lines(action, tail)]
        else:
            lines += [f"value = {test_text}", "if value is not False:"]
            if kind == "test":
                lines.append("    return value")
            else:
                receiver, site = action
                lines.append(f"    return {call}({template.expression(receiver)}, (value,), {template.bind(site, 'S')})")
    lines += template.return_lines(fallback, tail)
    return template.build(_loop(lines, tail), position)


def _loop(lines: list[str], tail: bool) -> list[str]:
    """The statements of a node body (tail calls go back to the trampoline)."""
    return lines


def select_node(clauses):
    """For ``guard``: the clause a condition takes, as ``(index, test value)``, or None; tests only."""
    template = Template()
    lines = []
    for index, (kind, test, _) in enumerate(clauses):
        if kind == "else":
            lines.append(f"return ({index}, True)")
            return template.build(lines)
        lines += [f"value = {template.expression(test)}", "if value is not False:", f"    return ({index}, value)"]
    lines.append("return None")
    return template.build(lines)


def if_node(test, consequent, alternative, tail: bool, position=None):
    """``(if test consequent alternative)`` with simple parts inlined as expressions."""
    return cond_node([("body", test, consequent)], alternative, tail, position)
