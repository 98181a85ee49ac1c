"""Procedures and calling: the calling convention, global namespaces, the tail-call trampoline, error conversion.

The calling convention. A Scheme procedure is a plain Python function taking its
arguments positionally (rest arguments as ``*rest``); it returns a value or a pending
tail call. Builtins follow the same convention, and a Python callable entering Scheme
is wrapped so that it does too (``python_procedure``), so a call site calls whatever
it holds directly: ``r = f(a, b)``, then ``complete(r)`` when ``r`` is a TailCall. What
a compiled procedure is (its name, position, parameters) is kept in ``PROCEDURES``,
keyed by its code object, never set per closure made.

Tail calls. A call in tail position does not call: it returns a ``TailCall``
``(procedure, arguments, site)``, a type private to this module, and the nearest
non-tail call site runs it to completion with ``complete`` (the trampoline, written
once). No value from Scheme or Python is ever a TailCall.

Errors are converted after a failure only: a call site does not check the arity or
the callability of what it calls; when the call fails, ``call_failed`` (or, in
generated code, ``procedure_failed`` reading the failing line's site) turns the
Python exception into the Scheme error with the message, position and call trace
Scheme code sees.

Globals. Each global environment has a namespace dict, the globals of the Python
functions compiled for it: a Scheme global ``x`` is the key ``global_key(x)``
(``g_x``), absent while unbound, so generated code reads it with one LOAD_GLOBAL.
``INTACT`` in the namespace stays true while no builtin that generated code inlines
has been redefined there; inlined code checks it instead of the builtin's identity.
With it go the type aliases ``INTACT_int``, ``INTACT_Pair``… (``INTACT_TYPES``): each is
its type while ``INTACT`` is true and ``BrokenType`` (the type of no value) once it is
false, so one test ``x.__class__ is INTACT_int`` checks both the operand and the builtins.
``NOTAIL_<key>`` is true while the global ``key`` holds the first value it was given, a
procedure that returns no pending tail call while that is so and INTACT is true
(``TAIL_FREE``): a call of it that finds the flag still true after it returned needs no
``complete`` (any assignment of the global, or clearing INTACT, makes the flag false for good).

Deep recursion. CPython 3.11 runs a Python-to-Python call without using the C
stack, so every call on the hot path is a call to a plain function (no
``__call__`` objects, no ``f(*args)`` into code that may call back into Scheme).
The depth is bounded by Python's recursion limit, which ``dynamic.run`` raises
for the time Scheme code runs; a RecursionError becomes a catchable Scheme error.
"""


import builtins
import threading
import weakref
from types import FunctionType
from typing import Any

from . import dynamic
from .brief import write_brief
from .data import Char, ExactComplex, MultipleValues, NIL, Pair, Symbol, UNASSIGNED, Vector, list_spine, make_list, _Marker
from .errors import ErrorObject, SchemeError
from .procedure_table import PROCEDURES, ProcedureInfo
from .source import format_position

UNBOUND = _Marker("#<unbound>")


class TailCall(tuple):
    """A pending tail call ``(procedure, arguments tuple, site)``: what a call in tail position returns."""

    __slots__ = ()


def complete(result):
    """Run pending tail calls until a value comes back: the one trampoline loop of sxflow."""
    site = None
    while type(result) is TailCall:
        procedure, arguments, made_at = result
        if made_at is not None:
            site = made_at  # one made by a builtin (apply) keeps the site of the call that ran it
        try:
            count = len(arguments)
            # call_python written out (the trampoline is the path of every tail call); by
            # count because ``f(*args)`` would cost C stack for each nested level.
            if count == 1:
                result = procedure(arguments[0])
            elif count == 2:
                result = procedure(arguments[0], arguments[1])
            elif count == 0:
                result = procedure()
            elif count == 3:
                result = procedure(arguments[0], arguments[1], arguments[2])
            else:
                result = procedure(*arguments)
        except Exception as error:
            raise tail_failed(procedure, arguments, error, site)
    return result


# ---------------------------------------------------------------------------
# What each compiled procedure is, keyed by its code object


_renamed: dict = {}
_renamed_lock = threading.RLock()


def procedure_code(code, name: str, position, required: int, rest: bool, inner=None):
    """``code`` with its inner function ``procedure`` renamed after the Scheme procedure, and registered.

    ``inner`` maps the Python names of further nested defs that are Scheme procedures
    (lambdas written inside) to their ``(name, position, required, rest)``. The renamed
    code objects are what every closure of those procedures runs, so
    ``PROCEDURES[id(closure.__code__)]`` describes it; renamed once per code and names.
    """
    table = dict(inner or {})
    table["procedure"] = (name, position, required, rest)
    key = (code, tuple(sorted((python, info[0], format_position(info[1]), info[2], info[3])
                              for python, info in table.items())))
    found = _renamed.get(key)
    if found is not None:
        return found
    with _renamed_lock:
        found = _renamed.get(key)
        if found is None:
            found = _renamed[key] = _rename(code, table)
        return found


def _rename(code, table):
    constants = list(code.co_consts)
    changed = False
    for index, constant in enumerate(constants):
        if hasattr(constant, "co_name"):
            renamed = _rename(constant, table)
            info = table.get(constant.co_name)
            if info is not None:
                name, position, required, rest = info
                title = f"procedure {name} {format_position(position)}".rstrip()
                renamed = renamed.replace(co_name=title, co_qualname=title)
                PROCEDURES[id(renamed)] = ProcedureInfo(name, position, required, rest, renamed)
            if renamed is not constant:
                constants[index] = renamed
                changed = True
    return code.replace(co_consts=tuple(constants)) if changed else code


def procedure_info(value):
    """The ProcedureInfo of a compiled Scheme procedure, or None for anything else."""
    if type(value) is FunctionType:
        return PROCEDURES.get(id(value.__code__))
    return None


def is_scheme_procedure(value) -> bool:
    return type(value) is FunctionType and id(value.__code__) in PROCEDURES


# ---------------------------------------------------------------------------
# Global environments: a namespace dict per environment


_KEYS: dict = {}  # Symbol -> its key in every namespace
SYMBOLS: dict = {}  # key -> Symbol
_keys_lock = threading.Lock()

# Builtins whose module is imported on first use, not at start-up (sxflow.deferred fills
# both): Scheme name -> the loader that imports its module and installs its procedures
# in every standard environment, and those environments (each with its interpreter).
DEFERRED_BUILTINS: dict = {}
STANDARD_ENVIRONMENTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


# How characters of Scheme names read in Python identifiers (g_my_list_p for my-list?).
_SPELLED = {"-": "_", "?": "_p", "!": "_x", "*": "_star", ">": "_to_", "/": "_", "<": "_lt_", "=": "_eq_"}
_WORDS = {"+": "plus", "-": "minus", "*": "times", "/": "divide", "<": "lt", ">": "gt", "=": "eq", "!": "x",
          "?": "p", ".": "dot", "%": "percent", "&": "and", "^": "caret", "~": "tilde", ":": "colon", "$": "dollar"}


def global_key(name: Symbol) -> str:
    """The Python identifier a global ``name`` is stored under (``g_`` + its name made an identifier)."""
    key = _KEYS.get(name)
    if key is not None:
        return key
    loader = DEFERRED_BUILTINS.get(name.name)
    if loader is not None:
        # The first use of a deferred builtin as a global, anywhere: no environment can
        # have read or bound it yet (that takes its key), so installing its module's
        # procedures now leaves every environment as installing them at its creation would.
        loader()
    with _keys_lock:
        key = _KEYS.get(name)
        if key is None:
            text = name.name
            if any(c.isascii() and c.isalnum() for c in text):
                spelled = "".join(c if c.isascii() and c.isalnum() else _SPELLED.get(c, "_") for c in text)
            else:  # an operator such as + or <=: spelled out
                spelled = "_".join(_WORDS.get(c, "x") for c in text)
            base = "g_" + spelled[:40]
            key, number = base, 1
            while key in SYMBOLS:
                number += 1
                key = f"{base}_{number}"
            SYMBOLS[key] = name
            _KEYS[name] = key
    return key


# What generated code may name besides the globals (filled by specialize and procedures).
NAMESPACE_HELPERS: dict = {}
# key -> builtin function, for every builtin some generated code inlines (see INTACT).
INLINED_BUILTINS: dict = {}
# Alias name -> type, for the types inline guards test (``INTACT_int`` -> int; filled by procedures).
INTACT_TYPES: dict = {}


class BrokenType:
    """The type no value has: what every ``INTACT_<type>`` alias becomes once INTACT is false."""


# id(code of a generated procedure) -> the global key it is tail-free under (see NOTAIL_<key>).
TAIL_FREE: dict = {}
_notail_names: dict = {}  # key -> "NOTAIL_" + key


class Cell:
    """A view of one global of an environment (``.value`` is UNBOUND while it is unbound)."""

    __slots__ = ("environment", "key", "name")

    def __init__(self, environment, name: Symbol) -> None:
        self.environment = environment
        self.name = name
        self.key = global_key(name)

    @property
    def value(self):
        return self.environment.namespace.get(self.key, UNBOUND)

    @value.setter
    def value(self, value) -> None:
        self.environment.assign(self.key, value)


class Environment:
    """A global environment: first-class in Scheme, a namespace dict underneath.

    ``namespace`` is the globals dict of the Python functions compiled for this
    environment: each bound global under its ``global_key``, the helpers generated
    code names, ``INTACT`` and ``__environment__`` (this environment).
    """

    __slots__ = ("namespace", "name", "interpreter", "_cells", "__weakref__")

    def __init__(self, name: str = "global", interpreter: Any = None) -> None:
        self.namespace: dict = {"__builtins__": builtins, **NAMESPACE_HELPERS, **INTACT_TYPES, "INTACT": True,
                                "__environment__": self}
        self._cells: dict = {}
        self.name = name
        self.interpreter = interpreter  # whose lock, state and max_depth its procedures run under

    def cell(self, name: Symbol) -> Cell:
        """A view of the global ``name`` (globals resolve late: it may be unbound yet)."""
        cell = self._cells.get(name)
        if cell is None:
            cell = self._cells[name] = Cell(self, name)
        return cell

    def assign(self, key: str, value: Any) -> None:
        namespace = self.namespace
        if value is UNBOUND:
            namespace.pop(key, None)
        else:
            namespace[key] = value
        flag = _notail_names.get(key)
        if flag is None:
            flag = _notail_names[key] = "NOTAIL_" + key
        if flag in namespace:
            namespace[flag] = False  # assigned again: a call of it may have seen another value
        else:
            # (its own loop reads its global from its own namespace: this one)
            namespace[flag] = (type(value) is FunctionType and TAIL_FREE.get(id(value.__code__)) == key
                               and value.__globals__ is namespace and namespace["INTACT"])
        if key in INLINED_BUILTINS and value is not INLINED_BUILTINS[key]:
            namespace["INTACT"] = False  # inlined code takes the general path from now on
            for alias in INTACT_TYPES:
                namespace[alias] = BrokenType  # ``type(x) is INTACT_int`` is false from now on too
            for name in [name for name in namespace if name.startswith("NOTAIL_")]:
                namespace[name] = False  # tail-free only while the builtins are intact

    def define(self, name: Symbol, value: Any) -> None:
        self.assign(global_key(name), value)

    def get(self, name: Symbol, default: Any = UNBOUND) -> Any:
        return self.namespace.get(global_key(name), default)

    def lookup(self, name: Symbol) -> Any:
        value = self.namespace.get(global_key(name), UNBOUND)
        if value is UNBOUND:
            raise KeyError(name.name)
        return value

    def is_bound(self, name: Symbol) -> bool:
        return global_key(name) in self.namespace

    def items(self) -> list[tuple[Symbol, Any]]:
        """(Symbol, value) for every bound global."""
        return [(SYMBOLS[key], value) for key, value in list(self.namespace.items()) if key.startswith("g_")]

    def bound_names(self) -> list[str]:
        names = [SYMBOLS[key].name for key in list(self.namespace) if key.startswith("g_")]
        if DEFERRED_BUILTINS and self in STANDARD_ENVIRONMENTS:
            # Deferred builtins are bound from the start, although their module waits for a first use.
            listed = set(names)
            names.extend(name for name in list(DEFERRED_BUILTINS) if name not in listed)
        return names

    def sx_write(self) -> str:
        return f"#<environment {self.name}>"


class Closure:
    """A Scheme procedure as Python code sees it: calling it converts arguments and results.

    Made where a compiled procedure is handed to Python (``interp["f"]``, a value
    ``eval`` returns); ``procedure`` is the compiled function itself, which Scheme
    gets back through ``to_scheme``. It runs under its interpreter's lock and depth.
    """

    __slots__ = ("procedure", "interpreter", "__weakref__")

    def __init__(self, procedure, interpreter=None) -> None:
        self.procedure = procedure
        self.interpreter = interpreter if interpreter is not None else home_interpreter(procedure)

    @property
    def name(self) -> str:
        return procedure_name(self.procedure)

    @property
    def position(self):
        info = procedure_info(self.procedure)
        return info.position if info is not None else None

    def __call__(self, *args):
        return call_from_python(self.procedure, args, None, self.interpreter)

    def __eq__(self, other) -> bool:
        if type(other) is Closure:
            other = other.procedure
        return self.procedure is other

    def __hash__(self) -> int:
        return hash(self.procedure)

    def sx_write(self) -> str:
        return f"#<procedure {self.name}>"

    def __repr__(self) -> str:
        where = format_position(self.position)
        return f"<sxflow procedure {self.name}{' at ' + where if where else ''}>"


def home_interpreter(procedure):
    """The interpreter whose environment a compiled procedure was made in, or None."""
    if type(procedure) is FunctionType:
        environment = procedure.__globals__.get("__environment__")
        if type(environment) is Environment:
            return environment.interpreter
    return None


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
    return type(value) is FunctionType or (callable(value) and not isinstance(value, type))


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
    if type(procedure) is FunctionType:
        info = PROCEDURES.get(id(procedure.__code__))
        if info is not None:
            return info.name
        python = getattr(procedure, "python_callable", None)
        if python is not None:
            procedure = python
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
    error.__traceback__ = None
    return error


def call_failed(procedure, args, error: Exception, site) -> SchemeError:
    """The Scheme error to raise when the call of ``procedure`` at ``site`` failed with ``error``.

    ``error`` was caught in the frame that made the call: when its traceback goes no
    further, the call itself failed (not a procedure, wrong argument count).
    """
    if isinstance(error, SchemeError):
        if error.position is None:
            locate(error, site)
        else:
            # It failed deeper, in a procedure this one called.
            error.add_frame(site.position if site else None, procedure_name(procedure))
        error.__traceback__ = None  # keep memory flat while unwinding
        return error
    if isinstance(error, RecursionError):
        return recursion_error(procedure, site)
    if not callable(procedure) or isinstance(procedure, type):
        return not_a_procedure(procedure, site)
    info = procedure_info(procedure)
    if info is not None and isinstance(error, TypeError):
        traceback = error.__traceback__
        if traceback is None or traceback.tb_next is None:
            return arity_error(info, len(args), site)
    python = getattr(procedure, "python_callable", None) if type(procedure) is FunctionType else None
    return convert_exception(python if python is not None else procedure, args, error, site)


def tail_failed(procedure, args, error: Exception, site) -> SchemeError:
    """The error to raise when ``complete`` ran a tail call of ``procedure`` (made at ``site``) and it failed.

    A compiled procedure's own errors pass on unchanged: a tail call adds no line to the trace.
    """
    if isinstance(error, SchemeError) and type(procedure) is FunctionType and id(procedure.__code__) in PROCEDURES:
        if error.position is None:
            locate(error, site)
        error.__traceback__ = None
        return error
    return call_failed(procedure, args, error, site)


def procedure_failed(error: Exception, sites: dict) -> SchemeError:
    """The Scheme error for ``error``, caught by a generated procedure: ``sites`` maps its lines to what they do.

    Each entry is ``(site, operator, operands)``: the call written on that line (its
    operator and operands as ("global", key), ("local", name) or ("constant", value)),
    or ``(site, None, None)`` for a line that only reads a variable.
    """
    traceback = error.__traceback__
    frame = traceback.tb_frame
    entry = sites.get(traceback.tb_lineno)
    if entry is None:
        if isinstance(error, SchemeError):
            error.__traceback__ = None
            return error
        return convert_exception(None, (), error, None)
    site, operator, operands = entry
    if isinstance(error, SchemeError) and error.position is None:
        locate(error, site)  # raised by a builtin called here (raise, error...): it happened here
        error.__traceback__ = None
        return error
    if type(error) is NameError and traceback.tb_next is None:
        name = SYMBOLS.get(getattr(error, "name", None))
        if name is not None:
            return unbound_variable(name, frame.f_globals["__environment__"], site.position)
    if operator is None:
        if isinstance(error, SchemeError):
            error.__traceback__ = None
            return error
        return convert_exception(None, (), error, site)
    procedure = _site_value(operator, frame)
    if isinstance(error, SchemeError):
        return call_failed(procedure, (), error, site)  # its arguments are not needed
    return call_failed(procedure, tuple(_site_value(operand, frame) for operand in operands), error, site)


def guard_caught(error: Exception, marker, depth: int, sites: dict):
    """``(payload, (clause index, test value))`` for ``error`` caught by the generated guard ``marker``.

    A Python exception is first made the Scheme error it stands for (``procedure_failed``);
    an error no clause takes is raised again.
    """
    if type(error) is SchemeError:
        chosen = error.guard_choice
        if chosen is not None and chosen[0] is marker:
            return error.args[0], chosen[1]  # picked at the raise point
    # Located, and the failing call's trace line added, as if it had left the procedure.
    error = procedure_failed(error, sites)
    return error.args[0], guard_choice(error, marker, depth)


def guard_choice(caught: SchemeError, marker, depth: int):
    """The clause ``(index, test value)`` a guard running as ``marker`` takes for ``caught``; else raises it again.

    ``raise`` asked the guard already when it chose a clause at the raise point (or
    passed it over); a runtime fault unwound before anyone was asked, so the tests run now.
    """
    if caught.position is None:
        caught.__traceback__ = None
    chosen = caught.guard_choice
    if chosen is not None and chosen[0] is marker:
        return chosen[1]  # picked at the raise point: the tests do not run twice
    if caught.handlers_passed is not None and caught.handlers_passed <= depth:
        caught.__traceback__ = None
        raise caught
    choice = marker[1]([None, caught.payload])
    if choice is None:
        caught.__traceback__ = None
        raise caught
    return choice


def _site_value(reference, frame):
    kind, value = reference
    if kind == "local":
        return frame.f_locals.get(value, UNBOUND)
    if kind == "global":
        return frame.f_globals.get(value, UNBOUND)
    return value


def set_global(environment, key: str, value, position) -> None:
    """``(set! name value)`` of a global from generated code: an unbound name is an error."""
    if key not in environment.namespace:
        raise fault(f"set!: unbound variable: {SYMBOLS[key].name}", kind="unbound-variable", position=position)
    environment.assign(key, value)


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
    import difflib  # only for this hint: a cold start need not load it

    candidates = difflib.get_close_matches(name.name, environment.bound_names(), n=1)
    hint = f" (did you mean {candidates[0]}?)" if candidates else ""
    return fault(f"unbound variable: {name.name}{hint}", kind="unbound-variable", position=position)


def unassigned_variable(name: Symbol, position) -> SchemeError:
    return fault(f"variable {name.name} used before its definition", kind="unassigned", position=position)


def arity_error(info: ProcedureInfo, count: int, site) -> SchemeError:
    maximum = None if info.rest else info.required
    return fault(f"{info.name}: expected {describe_count(info.required, maximum)}, got {count}",
                 kind="arity", position=site.position if site else None)


# ---------------------------------------------------------------------------
# Calling


def call_python(procedure, args):
    """Call with a sequence of arguments without ``f(*args)`` for short lists (keeps the C stack flat)."""
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
    """A non-tail call of any procedure with a sequence of arguments; runs tail calls to completion."""
    try:
        result = call_python(procedure, args)
        if type(result) is TailCall:
            result = complete(result)
        elif (type(result) is list or type(result) is tuple) and _unwrapped_python(procedure):
            result = to_scheme(result)  # a Python callable that entered without to_scheme
        return result
    except Exception as error:
        raise call_failed(procedure, args, error, site)


def _unwrapped_python(procedure) -> bool:
    if type(procedure) is FunctionType:
        return (id(procedure.__code__) not in PROCEDURES and procedure not in BUILTIN_INFO
                and not hasattr(procedure, "python_callable"))
    return _hashable(procedure) and procedure not in BUILTIN_INFO


def call_other_tail(procedure, args, site):
    """A tail call of any procedure: what the caller returns to its trampoline."""
    return TailCall((procedure, tuple(args), site))


def apply_procedure(procedure, args):
    """Call any Scheme procedure with a Python sequence of arguments and return its value.

    Builtins that call back into Scheme (``map``, ``for-each``, ``sort``…) use this. A
    compiled procedure's own errors pass on unchanged (the builtin's call site adds the
    trace line).
    """
    if type(procedure) is not FunctionType or id(procedure.__code__) not in PROCEDURES:
        return call_other(procedure, args, None)
    try:
        # call_python written out: this is the path of every callback from map, for-each, sort…
        count = len(args)
        if count == 1:
            result = procedure(args[0])
        elif count == 2:
            result = procedure(args[0], args[1])
        elif count == 0:
            result = procedure()
        elif count == 3:
            result = procedure(args[0], args[1], args[2])
        else:
            result = procedure(*args)
    except TypeError as error:
        if error.__traceback__.tb_next is None:
            raise arity_error(PROCEDURES[id(procedure.__code__)], len(args), None) from None
        raise
    return complete(result) if type(result) is TailCall else result


def takes_one_argument(procedure) -> bool:
    """Whether ``procedure`` is a compiled Scheme procedure that one argument suits.

    Such a procedure may be called directly, ``procedure(x)`` (then ``complete`` if it
    returns a TailCall), by a builtin that calls it back many times: its arity is
    checked here once instead of after each call (see ``apply_procedure``).
    """
    if type(procedure) is not FunctionType:
        return False
    info = PROCEDURES.get(id(procedure.__code__))
    return info is not None and (info.required == 1 or (info.rest and info.required == 0))


def tail_apply(procedure, args):
    """What a builtin returns to tail-call ``procedure`` (``apply`` does, as R7RS requires)."""
    return TailCall((procedure, tuple(args), None))


# ---------------------------------------------------------------------------
# The Python boundary

DEFAULT_MAX_DEPTH = 1_000_000


def entered(interpreter, max_depth: int, function, *args, room: bool = False):
    """``function(*args)`` run as Scheme code entered from Python; the errors it raises are SxErrors.

    ``room``: a program run, given the frame room (see sxflow.dynamic).
    """
    try:
        return dynamic.run(interpreter, max_depth, function, *args, room=room)
    except dynamic.TooManyEntries as error:
        raise fault(f"recursion too deep: more than {error.args[0]} nested calls between "
                    "Python and Scheme in this thread", kind="recursion") from None


def _apply_from_python(procedure, converted, interpreter):
    try:
        return to_python_value(apply_procedure(procedure, converted), interpreter)
    except RecursionError:
        raise recursion_error(procedure, None) from None


def call_from_python(procedure, args, max_depth: int | None = None, interpreter=None):
    """Call a Scheme procedure from Python with Python arguments converted by ``to_scheme``.

    A compiled procedure runs under its own interpreter (its lock, state and
    ``max_depth``) unless one is given; a procedure it returns comes back wrapped.
    """
    procedure = to_scheme(procedure)
    if interpreter is None:
        interpreter = home_interpreter(procedure)
    if max_depth is None:
        max_depth = interpreter.max_depth if interpreter is not None else DEFAULT_MAX_DEPTH
    converted = [to_scheme(arg) for arg in args]
    return entered(interpreter, max_depth, _apply_from_python, procedure, converted, interpreter)


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


def to_python_value(value, interpreter=None):
    """A value handed from Scheme to Python: a compiled procedure comes wrapped (callable from Python)."""
    if type(value) is FunctionType:
        python = getattr(value, "python_callable", None)
        if python is not None:
            return python
        if id(value.__code__) in PROCEDURES:
            return Closure(value, interpreter)
    return value


_python_wrappers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def python_procedure(function):
    """A Python callable entering Scheme, as a procedure of the Scheme convention.

    Lists and tuples it returns become Scheme lists. The same callable always gets the
    same wrapper (``eq?`` holds), and ``to_python_value`` hands back the callable itself.
    """
    try:
        wrapper = _python_wrappers.get(function)
    except TypeError:
        wrapper = None
    if wrapper is not None:
        return wrapper

    def procedure(*args):
        # A Scheme procedure handed to Python is called from Python: it gets the wrapper
        # that enters Scheme properly (lock, depth, entry count).
        result = function(*[to_python_value(arg) if type(arg) is FunctionType else arg for arg in args])
        kind = type(result)
        if kind is list or kind is tuple:
            return to_scheme(result)
        return result

    procedure.python_callable = function
    procedure.__name__ = getattr(function, "__name__", None) or type(function).__name__
    try:
        _python_wrappers[function] = procedure
    except TypeError:
        pass  # not weakly referenceable: a fresh wrapper each time
    return procedure


def _scheme_atom(value, kind):
    # Python bytes become a bytevector (Scheme bytevectors are bytearray); a builtin or
    # procedure fetched from Python is itself again; another Python callable is wrapped.
    if kind is bytes:
        return bytearray(value)
    if kind is BuiltinProcedure or kind is Closure:
        return value.procedure
    if kind is FunctionType:
        if value in BUILTIN_INFO or id(value.__code__) in PROCEDURES or hasattr(value, "python_callable"):
            return value
        return python_procedure(value)
    if callable(value) and not isinstance(value, type) and not hasattr(value, "sx_write") \
            and kind.__module__.split(".")[0] != "sxflow":
        return python_procedure(value)
    return value


def to_scheme(value: object) -> object:
    """A Python value as a Scheme value: lists and tuples become Scheme lists (deeply); the rest is kept.

    Only an exact ``list`` or ``tuple`` is converted: a ``Vector`` (a list subclass) is a
    Scheme vector already and stays the same object, elements untouched, wherever it is.
    """
    kind = type(value)
    if kind is not list and kind is not tuple:
        return _scheme_atom(value, kind)
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
                else:
                    item = _scheme_atom(item, item_kind)
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
