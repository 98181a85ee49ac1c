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

from ..compiler import arguments_of, cells_with_positions, form_error, special_form
from ..data import NIL, Pair
from ..printer import write_string
from ..runtime import apply_procedure, fault, procedure_code
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


@special_form("parameterize", shape="(parameterize ((parameter value)...) body...)")
def compile_parameterize(compiler, form, scope, tail, position):
    items = arguments_of(form, position, compile_parameterize, 2)
    bindings = []
    for binding, where in cells_with_positions(items[0][0], position) if items[0][0] is not NIL else []:
        parts = cells_with_positions(binding, where) if isinstance(binding, Pair) else []
        if len(parts) != 2:
            raise form_error(compile_parameterize, form, where, "each binding is (parameter value)")
        bindings.append((compiler.compile(parts[0][0], scope, False, parts[0][1]),
                         compiler.compile(parts[1][0], scope, False, parts[1][1]), where))
    # The body is not in tail position: the old values come back when it returns.
    body = compiler.compile_scope_body([], items[1:], scope, position, tail=False)
    bindings = tuple(bindings)

    def node(frame):
        states, values = [], []
        for parameter_node, value_node, where in bindings:
            parameter = parameter_node(frame)
            value = value_node(frame)
            state = parameter_state(parameter, where)
            if state[1] is not None:
                value = apply_procedure(state[1], (value,))
            states.append(state)
            values.append(value)
        current = _bindings.values
        saved = [current.get(id(state), _ABSENT) for state in states]
        for state, value in zip(states, values):
            current[id(state)] = value
        try:
            return body([frame])
        finally:
            for state, value in zip(reversed(states), reversed(saved)):
                if value is _ABSENT:
                    current.pop(id(state), None)
                else:
                    current[id(state)] = value

    return node

