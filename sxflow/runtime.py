"""Procedures and calling: closures, global cells, the tail-call trampoline, argument binding, error conversion.

Tail calls. A call in tail position does not call: it returns a ``TailCall``
``(body, frame)``, a type private to this module, and the nearest non-tail call
site runs it to completion with ``complete`` (the trampoline, written once). No
value from Scheme or Python is ever a TailCall, so a Python tuple returned in tail
position is just a value.

Deep recursion. CPython 3.11 runs a Python-to-Python call without using the C
stack, so every call on the hot path is a call to a plain function (no
``__call__`` objects, no ``f(*args)`` into code that may call back into Scheme).
The depth is bounded by Python's recursion limit, which ``dynamic.run`` raises
for the time Scheme code runs; a RecursionError becomes a catchable Scheme error.
"""


import difflib
import sys
from typing import Any

from . import dynamic
from .brief import write_brief
from .data import Char, ExactComplex, MultipleValues, NIL, Pair, Symbol, UNASSIGNED, Vector, list_spine, make_list, _Marker
from .errors import ErrorObject, SchemeError
from .source import format_position

UNBOUND = _Marker("#<unbound>")


class TailCall(tuple):
    """A pending tail call ``(body, frame)``: what a call in tail position returns instead of calling."""

    __slots__ = ()


def complete(result):
    """Run pending tail calls until a value comes back: the one trampoline loop of sxflow."""
    while type(result) is TailCall:
        result = result[0](result[1])
    return result


class Cell:
    """A global variable: one per name per environment, shared by every compiled reference."""

    __slots__ = ("value", "name")

    def __init__(self, name: Symbol, value=UNBOUND) -> None:
        self.name = name
        self.value = value


class Environment:
    """A global environment: first-class in Scheme, a mapping of names to cells underneath."""

    __slots__ = ("cells", "name", "interpreter", "__weakref__")

    def __init__(self, name: str = "global", interpreter: Any = None) -> None:
        self.cells: dict[Symbol, Cell] = {}
        self.name = name
        self.interpreter = interpreter  # whose lock, state and max_depth its closures run under

    def cell(self, name: Symbol) -> Cell:
        """The cell for ``name``, created unbound on first use (globals resolve late)."""
        cell = self.cells.get(name)
        if cell is None:
            cell = self.cells[name] = Cell(name)
        return cell

    def define(self, name: Symbol, value: Any) -> None:
        self.cell(name).value = value

    def lookup(self, name: Symbol) -> Any:
        cell = self.cells.get(name)
        if cell is None or cell.value is UNBOUND:
            raise KeyError(name.name)
        return cell.value

    def is_bound(self, name: Symbol) -> bool:
        cell = self.cells.get(name)
        return cell is not None and cell.value is not UNBOUND

    def bound_names(self) -> list[str]:
        return [name.name for name, cell in self.cells.items() if cell.value is not UNBOUND]

    def sx_write(self) -> str:
        return f"#<environment {self.name}>"


class Closure:
    """A procedure made by ``lambda``: its compiled body and the frame it closes over.

    ``arity`` is the exact argument count, or -1 when the procedure takes rest
    arguments, so the hot path needs a single comparison.
    """

    __slots__ = ("body", "env", "arity", "required", "rest", "name", "position", "home", "__weakref__")

    def __init__(self, body, env, required: int, rest: bool, name: str, position, home=None) -> None:
        self.body = body
        self.env = env
        self.home = home  # the global Environment it was compiled in
        self.required = required
        self.rest = rest
        self.arity = -1 if rest else required
        self.name = name
        self.position = position

    def __call__(self, *args):
        """Call from Python (never used by Scheme itself): arguments pass through ``to_scheme``."""
        return call_from_python(self, args)

    def sx_write(self) -> str:
        return f"#<procedure {self.name}>"

    def __repr__(self) -> str:
        where = format_position(self.position)
        return f"<sxflow procedure {self.name}{' at ' + where if where else ''}>"


class Site:
    """A call site in the source: where it is and what it looks like, for error messages."""

    __slots__ = ("position", "form", "environment")

    def __init__(self, position, form, environment=None) -> None:
        self.position = position
        self.form = form
        self.environment = environment  # for "did you mean" hints on an unbound operator


# ---------------------------------------------------------------------------
# Builtin metadata: arity and argument types, consulted only after a failure so
# the hot path never checks.


def _is_real(value) -> bool:
    kind = type(value)
    return kind is int or kind is float or kind.__name__ == "Fraction"


def _is_number(value) -> bool:
    return _is_real(value) or type(value) is complex or type(value) is ExactComplex


def _is_integer(value) -> bool:
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


def _is_list(value) -> bool:
    try:
        return list_spine(value)[1] is NIL
    except ValueError:
        return False


def is_procedure(value) -> bool:
    return type(value) is Closure or (callable(value) and not isinstance(value, type))


TYPE_CHECKS = {
    "any": (lambda value: True, "a value"),
    "pair": (lambda value: isinstance(value, Pair), "a pair"),
    "list": (_is_list, "a list"),
    "number": (_is_number, "a number"),
    "real": (_is_real, "a real number"),
    "integer": (_is_integer, "an integer"),
    "exact-integer": (lambda value: type(value) is int, "an exact integer"),
    "index": (lambda value: type(value) is int and value >= 0, "a non-negative exact integer"),
    "string": (lambda value: type(value) is str, "a string"),
    "symbol": (lambda value: type(value) is Symbol, "a symbol"),
    "char": (lambda value: type(value) is Char, "a character"),
    "vector": (lambda value: type(value) is Vector, "a vector"),
    "bytevector": (lambda value: type(value) is bytearray, "a bytevector"),
    "byte": (lambda value: type(value) is int and 0 <= value <= 255, "a byte (an exact integer from 0 to 255)"),
    "procedure": (is_procedure, "a procedure"),
    "boolean": (lambda value: type(value) is bool, "a boolean"),
    "environment": (lambda value: type(value) is Environment, "an environment"),
}


class BuiltinInfo:
    """What a builtin accepts: its Scheme name, argument counts and argument types."""

    __slots__ = ("name", "minimum", "maximum", "types", "rest_type")

    def __init__(self, name, minimum, maximum, types, rest_type) -> None:
        self.name = name
        self.minimum = minimum
        self.maximum = maximum  # None: any number
        self.types = types
        self.rest_type = rest_type

    def arity_message(self, count: int) -> str | None:
        if count < self.minimum or (self.maximum is not None and count > self.maximum):
            return f"{self.name}: expected {describe_count(self.minimum, self.maximum)}, got {count}"
        return None

    def type_message(self, args) -> str | None:
        for index, value in enumerate(args):
            type_name = self.types[index] if index < len(self.types) else self.rest_type
            if type_name is None:
                continue
            check, description = TYPE_CHECKS[type_name]
            if not check(value):
                where = f" as argument {index + 1}" if len(args) > 1 else ""
                return f"{self.name}: expected {description}{where}, got {write_brief(value)}"
        return None


BUILTIN_INFO: dict = {}


def describe_count(minimum: int, maximum) -> str:
    plural = lambda n: f"{n} argument" + ("" if n == 1 else "s")
    if maximum is None:
        return f"at least {plural(minimum)}"
    if minimum == maximum:
        return plural(minimum)
    return f"{minimum} to {maximum} arguments"


def register_builtin(function, name: str, types=(), rest_type=None):
    """Record a builtin's Scheme name, arity (from its Python signature) and argument types."""
    code = function.__code__
    positional = code.co_argcount
    defaults = len(function.__defaults__ or ())
    has_rest = bool(code.co_flags & 0x04)
    BUILTIN_INFO[function] = BuiltinInfo(
        name, positional - defaults, None if has_rest else positional, tuple(types), rest_type
    )
    return function


def procedure_name(procedure) -> str:
    if type(procedure) is Closure:
        return procedure.name
    info = BUILTIN_INFO.get(procedure) if _hashable(procedure) else None
    if info is not None:
        return info.name
    return getattr(procedure, "__name__", None) or type(procedure).__name__


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# ---------------------------------------------------------------------------
# Errors


def fault(message: str, *irritants, kind: str = "error", position=None):
    """A runtime fault as a raisable SchemeError carrying an error object."""
    error = SchemeError(ErrorObject(message, irritants, kind, position))
    error.position = position
    return error


def locate(error: SchemeError, site) -> SchemeError:
    """Give an error its source position if it has none yet (the innermost site wins)."""
    if error.position is None and site is not None:
        error.position = site.position
        error.form = site.form
        payload = error.payload
        if type(payload) is ErrorObject and payload.position is None:
            payload.position = site.position
    return error


def convert_exception(procedure, args, exception: Exception, site) -> SchemeError:
    """A Python exception raised by a procedure, as a Scheme error object at ``site``."""
    if isinstance(exception, SchemeError):
        return locate(exception, site)
    if isinstance(exception, RecursionError):
        return recursion_error(procedure, site)
    info = BUILTIN_INFO.get(procedure) if _hashable(procedure) else None
    if info is not None:
        message = info.arity_message(len(args)) if isinstance(exception, TypeError) else None
        kind = "arity" if message else "wrong-type"
        if message is None:
            message = info.type_message(args)
        if message is None:
            kind = "error"
            if isinstance(exception, ZeroDivisionError):
                message = f"{info.name}: division by zero"
                kind = "division-by-zero"
            elif isinstance(exception, MemoryError):
                message = f"{info.name}: out of memory"
            else:
                message = f"{info.name}: {exception or type(exception).__name__}"
        error = fault(message, kind=kind, position=site.position if site else None)
        error.payload.python_exception = exception
    else:
        text = str(exception) or type(exception).__name__
        error = SchemeError(ErrorObject(text, (), "python", site.position if site else None, exception))
        error.position = site.position if site else None
    error.form = site.form if site else None
    error.__cause__ = exception
    return error


def call_failed(procedure, args, error: Exception, site) -> SchemeError:
    """The Scheme error to raise when a call of ``procedure`` at ``site`` failed with ``error``."""
    if isinstance(error, SchemeError):
        if error.position is None:
            locate(error, site)
        else:
            # It failed deeper, in a procedure this one called.
            error.add_frame(site.position if site else None, procedure_name(procedure))
        error.__traceback__ = None  # keep memory flat while unwinding
        return error
    return convert_exception(procedure, args, error, site)


def recursion_error(procedure, site) -> SchemeError:
    name = procedure_name(procedure)
    return fault(f"recursion too deep in {name} (the depth limit was reached)",
                 kind="recursion", position=site.position if site else None)


def not_a_procedure(value, site) -> SchemeError:
    if value is UNBOUND and site is not None and isinstance(site.form, Pair):
        return unbound_variable(site.form.car, site.environment or Environment(), site.position)
    where = f" in {write_brief(site.form)}" if site is not None and site.form is not None else ""
    return fault(f"not a procedure: {write_brief(value)}{where}", kind="not-a-procedure",
                 position=site.position if site else None)


def unbound_variable(name: Symbol, environment: Environment, position) -> SchemeError:
    candidates = difflib.get_close_matches(name.name, environment.bound_names(), n=1)
    hint = f" (did you mean {candidates[0]}?)" if candidates else ""
    return fault(f"unbound variable: {name.name}{hint}", kind="unbound-variable", position=position)


def unassigned_variable(name: Symbol, position) -> SchemeError:
    return fault(f"variable {name.name} used before its definition", kind="unassigned", position=position)


def arity_error(closure: Closure, count: int, site) -> SchemeError:
    maximum = None if closure.rest else closure.required
    return fault(f"{closure.name}: expected {describe_count(closure.required, maximum)}, got {count}",
                 kind="arity", position=site.position if site else None)


# ---------------------------------------------------------------------------
# Calling


def bind_arguments(closure: Closure, args, site) -> list:
    """The new frame for a call with any argument count; raises an arity error when it does not fit."""
    count = len(args)
    required = closure.required
    if closure.rest:
        if count < required:
            raise arity_error(closure, count, site)
        frame = [closure.env]
        frame.extend(args[:required])
        frame.append(make_list(args[required:]))
        return frame
    if count != required:
        raise arity_error(closure, count, site)
    frame = [closure.env]
    frame.extend(args)
    return frame


def call_python(procedure, args):
    """Call a Python callable without ``f(*args)`` for short argument lists (keeps the C stack flat)."""
    count = len(args)
    if count == 1:
        return procedure(args[0])
    if count == 2:
        return procedure(args[0], args[1])
    if count == 0:
        return procedure()
    if count == 3:
        return procedure(args[0], args[1], args[2])
    return procedure(*args)


def call_other(procedure, args, site):
    """The general path of a non-tail call: any procedure, any arity; runs tail calls to completion."""
    try:
        if type(procedure) is Closure:
            result = procedure.body(bind_arguments(procedure, args, site))
        elif callable(procedure):
            result = call_python(procedure, args)
            kind = type(result)
            if (kind is list or kind is tuple) and procedure not in BUILTIN_INFO:
                result = to_scheme(result)
        else:
            raise not_a_procedure(procedure, site)
        if type(result) is TailCall:
            result = complete(result)
        return result
    except Exception as error:
        raise call_failed(procedure, args, error, site)


def call_other_tail(procedure, args, site):
    """The general path of a tail call: closures come back as ``(body, frame)``; the rest are called."""
    if type(procedure) is Closure:
        return TailCall((procedure.body, bind_arguments(procedure, args, site)))
    if not callable(procedure):
        raise not_a_procedure(procedure, site)
    try:
        result = call_python(procedure, args)
    except Exception as error:
        raise call_failed(procedure, args, error, site)
    kind = type(result)
    if (kind is list or kind is tuple) and procedure not in BUILTIN_INFO:
        return to_scheme(result)
    return result


def apply_procedure(procedure, args):
    """Call any Scheme procedure with a Python sequence of arguments and return its value.

    Builtins that call back into Scheme (``map``, ``for-each``, ``sort``…) use this.
    """
    if type(procedure) is Closure:
        if procedure.arity == len(args):
            frame = [procedure.env]
            frame.extend(args)
            result = procedure.body(frame)
        else:
            result = procedure.body(bind_arguments(procedure, args, None))
        return complete(result)
    return call_other(procedure, args, None)


def tail_apply(procedure, args):
    """What a builtin returns to tail-call ``procedure`` (``apply`` does, as R7RS requires)."""
    if type(procedure) is Closure:
        return TailCall((procedure.body, bind_arguments(procedure, args, None)))
    return call_other(procedure, args, None)


# ---------------------------------------------------------------------------
# The Python boundary

DEFAULT_MAX_DEPTH = 1_000_000


def entered(interpreter, max_depth: int, function, *args):
    """``function(*args)`` run as Scheme code entered from Python; the errors it raises are SxErrors."""
    try:
        return dynamic.run(interpreter, max_depth, function, *args)
    except dynamic.TooManyEntries as error:
        raise fault(f"recursion too deep: more than {error.args[0]} nested calls between "
                    "Python and Scheme in this thread", kind="recursion") from None


def _apply_from_python(procedure, converted):
    try:
        return apply_procedure(procedure, converted)
    except RecursionError:
        raise recursion_error(procedure, None) from None


def call_from_python(procedure, args, max_depth: int | None = None, interpreter=None):
    """Call a Scheme procedure from Python with Python arguments converted by ``to_scheme``.

    A closure runs under its own interpreter (its lock, state and ``max_depth``) unless
    one is given.
    """
    if interpreter is None and type(procedure) is Closure:
        home = procedure.home
        interpreter = home.interpreter if home is not None else None
    if max_depth is None:
        max_depth = interpreter.max_depth if interpreter is not None else DEFAULT_MAX_DEPTH
    converted = [to_scheme(arg) for arg in args]
    return entered(interpreter, max_depth, _apply_from_python, procedure, converted)


class BuiltinProcedure:
    """A standard procedure as fetched from Python: called like any Scheme procedure.

    Its arguments go through ``to_scheme`` (a Python list becomes a Scheme list) and a
    failure is a SchemeError with the message Scheme code would see, never a raw
    AttributeError or TypeError. ``procedure`` is the builtin itself.
    """

    __slots__ = ("procedure", "interpreter")

    def __init__(self, procedure, interpreter) -> None:
        self.procedure = procedure
        self.interpreter = interpreter

    def __call__(self, *args):
        return call_from_python(self.procedure, args, self.interpreter.max_depth, self.interpreter)

    def __eq__(self, other) -> bool:
        if type(other) is BuiltinProcedure:
            other = other.procedure
        return self.procedure == other

    def __hash__(self) -> int:
        return hash(self.procedure)

    def __repr__(self) -> str:
        return f"<sxflow builtin {BUILTIN_INFO[self.procedure].name}>"


def to_scheme(value: object) -> object:
    """A Python value as a Scheme value: lists and tuples become Scheme lists (deeply); the rest is kept.

    Only an exact ``list`` or ``tuple`` is converted: a ``Vector`` (a list subclass) is a
    Scheme vector already and stays the same object, elements untouched, wherever it is.
    """
    kind = type(value)
    if kind is not list and kind is not tuple:
        # Python bytes become a bytevector (Scheme bytevectors are bytearray); a builtin
        # fetched from Python is the builtin itself again.
        if kind is bytes:
            return bytearray(value)
        return value.procedure if kind is BuiltinProcedure else value
    # Iterative depth-first post-order, so deeply nested Python data cannot exhaust the stack.
    converted: dict[int, object] = {}
    in_progress: set[int] = set()
    stack: list = [(value, False)]
    while stack:
        container, children_done = stack.pop()
        key = id(container)
        if children_done:
            result = NIL
            for item in reversed(container):
                item_kind = type(item)
                if item_kind is list or item_kind is tuple:
                    item = converted[id(item)]
                elif item_kind is bytes:
                    item = bytearray(item)
                elif item_kind is BuiltinProcedure:
                    item = item.procedure
                result = Pair(item, result)
            converted[key] = result
            in_progress.discard(key)
            continue
        if key in converted:
            continue
        if key in in_progress:
            raise ValueError("cannot convert a Python list that contains itself")
        in_progress.add(key)
        stack.append((container, True))
        for item in container:
            item_kind = type(item)
            if (item_kind is list or item_kind is tuple) and id(item) not in converted:
                stack.append((item, False))
    return converted[id(value)]


def to_python(value: object) -> object:
    """A Scheme value as plain Python: lists and vectors become plain Python lists (deeply), a dotted tail the last item.

    Shared structure stays shared and a cycle through a car or a vector slot becomes a
    Python list that contains itself; a list whose cdr chain is circular raises ValueError.
    """
    if not isinstance(value, (Pair, list)):
        return value
    root: list = []
    converted = {id(value): root}  # id of a list head or vector -> its Python list
    stack = [(value, root)]
    while stack:
        current, target = stack.pop()
        if isinstance(current, Pair):
            items, tail = list_spine(current)
            if tail is not NIL:
                items.append(tail)
        else:
            items = current
        for item in items:
            if isinstance(item, (Pair, list)):
                child = converted.get(id(item))
                if child is None:
                    child = converted[id(item)] = []
                    stack.append((item, child))
                target.append(child)
            else:
                target.append(item)
    return root


def values_of(value) -> tuple:
    """The values a single return value stands for (``values`` with other than one value)."""
    return value.values if type(value) is MultipleValues else (value,)


def assert_assigned(value, name, position):
    if value is UNASSIGNED:
        raise unassigned_variable(name, position)
    return value
