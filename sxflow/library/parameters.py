"""Parameter objects (R7RS 4.2.6): ``make-parameter`` and ``parameterize``.

A parameter is a procedure of no arguments returning its current value. ``parameterize``
gives parameters new values (passed through each one's converter) for the extent of its
body and restores the previous values however the body is left: a normal return, a
raise, an escaping continuation. A handler that runs at the raise point (R7RS
``with-exception-handler``) still sees the parameterized values, as R7RS says.
Parameterized values are per thread: another thread running code of the same
interpreter meanwhile sees the initial values.
"""

from __future__ import annotations

import threading
from types import FunctionType

from .. import procedures
from ..compiler import arguments_of, cells_with_positions, form_error, special_form
from ..data import NIL, Pair
from ..printer import write_string
from ..runtime import NAMESPACE_HELPERS, apply_procedure, fault, procedure_code
from .registry import builtin


class _ThreadBindings(threading.local):
    """The values ``parameterize`` gave in this thread: id(parameter state) -> value."""

    def __init__(self) -> None:
        self.values: dict[int, object] = {}


_bindings = _ThreadBindings()
_ABSENT = object()


def _parameter_factory(state):
    def procedure():
        """A parameter: this thread's parameterized value if there is one, else the initial value."""
        values = _bindings.values
        if values:
            value = values.get(id(state), _ABSENT)
            if value is not _ABSENT:
                return value
        return state[0]

    return procedure


# Every parameter runs this code (registered: its name is "parameter", it takes no arguments).
_make_parameter_procedure = FunctionType(procedure_code(_parameter_factory.__code__, "parameter", None, 0, False),
                                         globals())
_PARAMETER_CODE = _make_parameter_procedure([None, None]).__code__


@builtin("make-parameter", types=("any", "procedure"))
def make_parameter(value, converter=None):
    if converter is not None:
        value = apply_procedure(converter, (value,))
    # A plain function over its state [value, converter], as fast to call as any Scheme procedure.
    return _make_parameter_procedure([value, converter])


def parameter_state(value, position):
    if type(value) is not FunctionType or value.__code__ is not _PARAMETER_CODE:
        raise fault(f"parameterize: expected a parameter (made by make-parameter), got {write_string(value)}",
                    kind="wrong-type", position=position)
    return value.__closure__[0].cell_contents


def parameterize_shape(form, position):
    """The bindings of a well-formed parameterize as ((parameter, its position), (value, its position), binding
    position), and its body items (else SxSyntaxError)."""
    items = arguments_of(form, position, compile_parameterize, 2)
    bindings = []
    for binding, where in cells_with_positions(items[0][0], position) if items[0][0] is not NIL else []:
        parts = cells_with_positions(binding, where) if isinstance(binding, Pair) else []
        if len(parts) != 2:
            raise form_error(compile_parameterize, form, where, "each binding is (parameter value)")
        bindings.append((parts[0], parts[1], where))
    return bindings, items[1:]


def parameter_binding(parameter, value, position):
    """``(state, value)``: the parameter's state, and ``value`` passed through its converter."""
    state = parameter_state(parameter, position)
    if state[1] is not None:
        value = apply_procedure(state[1], (value,))
    return state, value


def parameterize_enter(states, values):
    """Give each parameter (by its state) its value in this thread; what ``parameterize_leave`` restores."""
    current = _bindings.values
    saved = [current.get(id(state), _ABSENT) for state in states]
    for state, value in zip(states, values):
        current[id(state)] = value
    return current, states, saved


def parameterize_leave(entered) -> None:
    """Put back the values ``parameterize_enter`` replaced, however the body was left."""
    current, states, saved = entered
    for state, value in zip(reversed(states), reversed(saved)):
        if value is _ABSENT:
            current.pop(id(state), None)
        else:
            current[id(state)] = value


@special_form("parameterize", shape="(parameterize ((parameter value)...) body...)")
def compile_parameterize(compiler, form, scope, tail, position):
    binding_forms, body_items = parameterize_shape(form, position)
    bindings = tuple((compiler.compile(parameter[0], scope, False, parameter[1]),
                      compiler.compile(value[0], scope, False, value[1]), where)
                     for parameter, value, where in binding_forms)
    # The body is not in tail position: the old values come back when it returns.
    body = compiler.compile_scope_body([], body_items, scope, position, tail=False)

    def node(frame):
        states, values = [], []
        for parameter_node, value_node, where in bindings:
            state, value = parameter_binding(parameter_node(frame), value_node(frame), where)
            states.append(state)
            values.append(value)
        entered = parameterize_enter(states, values)
        try:
            return body([frame])
        finally:
            parameterize_leave(entered)

    return node



def write_parameterize(writer, form, scopes, sink, indent, loops, where) -> None:
    """``parameterize`` written into a generated procedure (sxflow.procedures): the same steps as its node, the
    body inside ``try``/``finally``."""
    binding_forms, body_items = parameterize_shape(form, where)
    states, values = [], []
    for (parameter, parameter_where), (value, value_where), binding_where in binding_forms:
        parameter_text = writer.spill(writer.value(parameter, scopes, indent, loops, parameter_where), indent)
        value_text = writer.spill(writer.value(value, scopes, indent, loops, value_where), indent)
        states.append(writer.fresh("s"))
        values.append(writer.fresh("w"))
        writer.emit(indent, f"{states[-1]}, {values[-1]} = parameter_binding({parameter_text}, {value_text}, "
                            f"{writer.bind(binding_where, 'P')})")
        writer.refresh(indent)  # a converter is Scheme code: it may have redefined a builtin
    entered, result = writer.fresh("n"), writer.fresh("r")
    writer.emit(indent, f"{entered} = parameterize_enter(({''.join(s + ', ' for s in states)}), "
                        f"({''.join(v + ', ' for v in values)}))")
    # The body is not in tail position: the old values come back when it returns.
    writer.emit(indent, "try:")
    writer.body(body_items, scopes, ("assign", result, False), indent + 1, loops)
    writer.emit(indent, "finally:")
    writer.emit(indent + 1, f"parameterize_leave({entered})")
    writer.deliver(result, sink, indent)


NAMESPACE_HELPERS.update({"parameter_binding": parameter_binding, "parameterize_enter": parameterize_enter,
                          "parameterize_leave": parameterize_leave})
procedures.add_writer(compile_parameterize, write_parameterize)
