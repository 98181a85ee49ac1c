"""Control: apply, values, continuations, dynamic-wind, exceptions, promises, eval and environments."""

from __future__ import annotations

from ..compiler import run_forms
from ..data import NIL, MultipleValues, Pair, Symbol, make_list
from ..dynamic import current
from ..errors import ErrorObject, SxSyntaxError, as_scheme_error
from ..handlers import guard_raise, raise_continuable, signal, with_handler
from ..printer import display_string
from ..promises import Promise, force, make_promise
from ..reader import read_all
from ..runtime import (
    NAMESPACE_HELPERS,
    Environment,
    apply_procedure,
    fault,
    is_procedure,
    tail_apply,
)
from ..source import TEXT_NAMES
from .lists import elements
from .registry import builtin

# Raising and handlers are sxflow.handlers (the chain the compiler's guard uses too);
# promises are sxflow.promises: the builtins here are their Scheme names.


@builtin("procedure?", types=("any",))
def is_procedure_(value):
    return is_procedure(value)


@builtin("apply", types=("procedure", "any"), rest="any")
def apply_(procedure, last, *arguments):
    # R7RS: (apply proc arg1 ... args) needs the list of arguments; (apply +) is an arity error.
    arguments = (last, *arguments)
    spread = elements(arguments[-1])
    return tail_apply(procedure, (*arguments[:-1], *spread))


@builtin("values", rest="any")
def values(*items):
    if len(items) == 1:
        return items[0]
    return MultipleValues(items)


@builtin("call-with-values", types=("procedure", "procedure"))
def call_with_values(producer, consumer):
    result = apply_procedure(producer, ())
    items = result.values if type(result) is MultipleValues else (result,)
    return tail_apply(consumer, items)


class ContinuationInvoked(BaseException):
    """Unwinds the Python stack to the call/cc that made ``continuation`` (escaping continuations)."""

    def __init__(self, continuation, value) -> None:
        super().__init__()
        self.continuation = continuation
        self.value = value


class Continuation:
    """An escape-only continuation: callable while the call/cc that made it has not returned."""

    __slots__ = ("active",)

    def __init__(self) -> None:
        self.active = True

    def __call__(self, *items):
        if not self.active:
            raise fault("continuation called after its extent ended: sxflow supports escaping "
                        "continuations only (call them while their call/cc is still running)",
                        kind="continuation")
        raise ContinuationInvoked(self, items[0] if len(items) == 1 else MultipleValues(items))

    def sx_write(self) -> str:
        return "#<continuation>"


@builtin("call-with-current-continuation", "call/cc", types=("procedure",))
def call_cc(procedure):
    continuation = Continuation()
    state = current.state
    handlers = state.handlers
    try:
        return apply_procedure(procedure, (continuation,))
    except ContinuationInvoked as jump:
        if jump.continuation is not continuation:
            raise
        state.handlers = handlers
        return jump.value
    finally:
        continuation.active = False


@builtin("call-with-escape-continuation", "call/ec", types=("procedure",))
def call_ec(procedure):
    return call_cc(procedure)


@builtin("dynamic-wind", types=("procedure", "procedure", "procedure"))
def dynamic_wind(before, thunk, after):
    apply_procedure(before, ())
    try:
        return apply_procedure(thunk, ())
    finally:
        apply_procedure(after, ())


# -- exceptions ----------------------------------------------------------------


@builtin("raise", types=("any",))
def raise_(payload):
    raise signal(payload, False)


@builtin("raise-continuable", types=("any",))
def raise_continuable_(payload):
    return raise_continuable(payload)


@builtin("with-exception-handler", types=("procedure", "procedure"))
def with_exception_handler(handler, thunk):
    if not is_procedure(handler) or not is_procedure(thunk):
        raise TypeError("expected procedures")  # explained from the declared types
    return with_handler(handler, thunk)


@builtin("error", types=("any",), rest="any")
def error(message, *irritants):
    text = message if type(message) is str else display_string(message)
    raise signal(ErrorObject(text, irritants), False)


@builtin("error-object?", types=("any",), inline={1: ((None,), "type({0}) is ErrorObject")})
def is_error_object(value):
    return type(value) is ErrorObject


@builtin("error-object-message", types=("any",))
def error_object_message(value):
    if type(value) is not ErrorObject:
        raise TypeError("expected an error object")
    return value.message


@builtin("error-object-irritants", types=("any",))
def error_object_irritants(value):
    if type(value) is not ErrorObject:
        raise TypeError("expected an error object")
    return make_list(value.irritants)


@builtin("error-object-kind", types=("any",))
def error_object_kind(value):
    """sxflow extension: the kind of fault as a symbol (error, unbound-variable, wrong-type, arity…)."""
    if type(value) is not ErrorObject:
        raise TypeError("expected an error object")
    return Symbol(value.kind)


@builtin("read-error?", types=("any",))
def is_read_error(value):
    return type(value) is ErrorObject and value.kind == "syntax"


@builtin("file-error?", types=("any",))
def is_file_error(value):
    return type(value) is ErrorObject and value.kind == "file"


# -- promises --------------------------------------------------------------------


@builtin("force", types=("any",))
def force_(promise):
    return force(promise)


@builtin("make-promise", types=("any",))
def make_promise_(value):
    return make_promise(value)


@builtin("promise?", types=("any",))
def is_promise(value):
    return type(value) is Promise


# -- evaluation and environments ----------------------------------------------


@builtin("scheme-parse-all", types=("string",))
def scheme_parse_all(text):
    try:
        return make_list(read_all(text, TEXT_NAMES.get(text, "<scheme-parse-all>")))
    except SxSyntaxError as error:
        raise as_scheme_error(error) from None


@builtin("scheme-eval-program", types=("list", "environment"))
def scheme_eval_program(forms, environment):
    try:
        return run_forms(elements(forms), environment)
    except SxSyntaxError as error:
        raise as_scheme_error(error) from None


@builtin("eval", types=("any", "environment"))
def eval_(form, environment):
    try:
        return run_forms([form], environment)
    except SxSyntaxError as error:
        raise as_scheme_error(error) from None


@builtin("environment?", types=("any",))
def is_environment(value):
    return type(value) is Environment


NAMESPACE_HELPERS["guard_raise"] = guard_raise
NAMESPACE_HELPERS["RAISE_BUILTIN"] = raise_  # a raise inside a guard is direct while raise is this builtin

del NIL, Pair
