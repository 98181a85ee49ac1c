"""Node specialisation: Python source templates for the hot node shapes, compiled once per shape.

A call ``(f a b)`` could be one generic node that loops over its operands; instead
each shape (how many operands, and whether each is a local slot, a constant or a
sub-node) gets its own small Python function, so a local operand is read with one
subscript instead of one more Python call. Shapes are few, and each template is
compiled by ``exec`` only the first time its exact source is needed.
"""

from __future__ import annotations

from types import FunctionType

from . import runtime
from .data import NIL, Pair, is_eqv
from .errors import SchemeError

# Names every template may use.
_TEMPLATE_GLOBALS = {
    "Closure": runtime.Closure,
    "SchemeError": SchemeError,
    "call_other": runtime.call_other,
    "call_other_tail": runtime.call_other_tail,
    "recursion_error": runtime.recursion_error,
    "builtin_failed": runtime.builtin_failed,
    "BUILTIN_INFO": runtime.BUILTIN_INFO,
    "FunctionType": FunctionType,
    "Pair": Pair,
    "NIL": NIL,
    "is_eqv": is_eqv,
}

_factories: dict[str, object] = {}

# (Symbol, argument count) -> (builtin function, guard, expression): calls the compiler inlines.
INLINE_PRIMITIVES: dict = {}


SIMPLE_KINDS = ("local", "local1", "constant")


def operand(node, slot: str, bindings: dict) -> str:
    """The Python expression that evaluates ``node`` inside a template; binds what it needs.

    Local slots and constants become a subscript or a name; an inlined primitive
    whose operands are themselves that simple becomes a conditional expression; any
    other node is called.
    """
    kind = getattr(node, "kind", None)
    if kind == "local":
        return f"frame[{node.index}]"
    if kind == "local1":
        return f"frame[0][{node.index}]"
    if kind == "constant":
        bindings[slot] = node.value
        return slot
    if kind == "primitive" and all(getattr(item, "kind", None) in SIMPLE_KINDS for item in node.operands):
        # Operands are re-read rather than stored: they are side-effect-free subscripts.
        expressions = [operand(item, f"{slot}_{index}", bindings) for index, item in enumerate(node.operands)]
        bindings[f"{slot}_CELL"] = node.cell
        bindings[f"{slot}_BUILTIN"] = node.builtin
        bindings[f"{slot}_SITE"] = node.site
        fast = node.expression.format(*expressions)
        guard = " and ".join([*type_checks(node.guard, expressions, node.operands), f"{slot}_CELL.value is {slot}_BUILTIN"])
        arguments = "(" + "".join(expression + ", " for expression in expressions) + ")"
        return f"(({fast}) if {guard} else call_other({slot}_CELL.value, {arguments}, {slot}_SITE))"
    bindings[slot] = node
    return f"{slot}(frame)"


def instantiate(body: str, bindings: dict, extra_globals: dict | None = None):
    """Compile (once) a factory for the function ``node`` defined by ``body`` and call it with ``bindings``."""
    names = sorted(bindings)
    source = f"def factory({', '.join(names)}):\n" + _indent(body) + "\n    return node\n"
    key = source if not extra_globals else source + repr(sorted(extra_globals))
    factory = _factories.get(key)
    if factory is None:
        namespace = dict(_TEMPLATE_GLOBALS)
        if extra_globals:
            namespace.update(extra_globals)
        exec(compile(source, "<sxflow node>", "exec"), namespace)
        factory = _factories[key] = namespace["factory"]
    return factory(**bindings)


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.strip("\n").split("\n"))


def call_node(operator, operands, site, tail: bool, operator_cell=None):
    """A node for ``(operator operand ...)``: closures of matching arity are entered directly."""
    bindings: dict = {"SITE": site, "POSITION": site.position}
    if operator_cell is not None:
        bindings["CELL"] = operator_cell
        operator_expression = "CELL.value"
    else:
        operator_expression = operand(operator, "OP", bindings)
    lines = [f"procedure = {operator_expression}"]
    names = []
    for index, node in enumerate(operands):
        lines.append(f"a{index} = {operand(node, f'A{index}', bindings)}")
        names.append(f"a{index}")
    count = len(names)
    frame_items = ", ".join(["procedure.env", *names])
    arguments = "(" + "".join(name + ", " for name in names) + ")"
    if tail:
        lines += [
            f"if type(procedure) is Closure and procedure.arity == {count}:",
            f"    return (procedure.body, [{frame_items}])",
            "if type(procedure) is FunctionType and procedure in BUILTIN_INFO:",
            "    try:",
            f"        return procedure({', '.join(names)})",
            "    except Exception as error:",
            f"        raise builtin_failed(procedure, {arguments}, error, SITE)",
            f"return call_other_tail(procedure, {arguments}, SITE)",
        ]
    else:
        lines += [
            f"if type(procedure) is Closure and procedure.arity == {count}:",
            "    try:",
            f"        result = procedure.body([{frame_items}])",
            "        while type(result) is tuple:",
            "            result = result[0](result[1])",
            "        return result",
            "    except SchemeError as error:",
            "        trace = error.trace",
            "        if trace and trace[-1][0] is POSITION and trace[-1][1] == procedure.name:",
            "            trace[-1][2] += 1",  # a deep recursion unwinds through the same site
            "        else:",
            "            error.add_frame(POSITION, procedure.name)",
            "        error.__traceback__ = None",  # keep memory flat while unwinding
            "        raise error",
            "    except RecursionError:",
            "        raise recursion_error(procedure, SITE) from None",
            # Builtins are called here directly; only their failures take the slow path.
            "if type(procedure) is FunctionType and procedure in BUILTIN_INFO:",
            "    try:",
            f"        result = procedure({', '.join(names)})",
            "        while type(result) is tuple:",
            "            result = result[0](result[1])",
            "        return result",
            "    except Exception as error:",
            f"        raise builtin_failed(procedure, {arguments}, error, SITE)",
            f"return call_other(procedure, {arguments}, SITE)",
        ]
    body = "def node(frame):\n" + "\n".join("    " + line for line in lines)
    return instantiate(body, bindings)


def primitive_node(operands, site, tail: bool, cell, builtin, guard: str, expression: str):
    """A node for a call of a builtin that is inlined while its global still holds that builtin.

    ``guard`` names the Python type each operand must have (or None: any) for
    ``expression``, a format string over the operands ``{0}``, ``{1}``…, to give the
    builtin's answer; otherwise, or when the program has redefined the name, the
    call is made normally.
    """
    bindings: dict = {"SITE": site, "CELL": cell, "BUILTIN": builtin}
    lines = []
    names = []
    for index, node in enumerate(operands):
        lines.append(f"x{index} = {operand(node, f'A{index}', bindings)}")
        names.append(f"x{index}")
    arguments = "(" + "".join(name + ", " for name in names) + ")"
    full_guard = " and ".join([*type_checks(guard, names, operands), "CELL.value is BUILTIN"])
    fallback = "call_other_tail" if tail else "call_other"
    lines += [
        f"if {full_guard}:",
        f"    return {expression.format(*names)}",
        f"return {fallback}(CELL.value, {arguments}, SITE)",
    ]
    body = "def node(frame):\n" + "\n".join("    " + line for line in lines)
    node = instantiate(body, bindings)
    node.kind = "primitive"
    node.operands = tuple(operands)
    node.cell, node.builtin, node.site = cell, builtin, site
    node.guard, node.expression = guard, expression
    return node


def type_checks(guard, expressions, operands) -> list:
    """``type(e) is T`` for each operand that needs a type; constants were checked when compiled."""
    return [f"type({expression}) is {type_name}"
            for type_name, expression, node in zip(guard, expressions, operands)
            if type_name is not None and getattr(node, "kind", None) != "constant"]


def constants_fit(guard, operands) -> bool:
    """Whether the constant operands have the types the inline form needs (else never inline)."""
    for type_name, node in zip(guard, operands):
        if type_name is not None and getattr(node, "kind", None) == "constant":
            if type(node.value).__name__ != type_name:
                return False
    return True


def if_node(test, consequent, alternative):
    """``(if test consequent alternative)`` with simple parts inlined as expressions."""
    bindings: dict = {}
    test_expression = operand(test, "T", bindings)
    consequent_expression = operand(consequent, "C", bindings)
    alternative_expression = operand(alternative, "E", bindings)
    body = (
        "def node(frame):\n"
        f"    if {test_expression} is not False:\n"
        f"        return {consequent_expression}\n"
        f"    return {alternative_expression}"
    )
    return instantiate(body, bindings)
