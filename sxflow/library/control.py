"""Control: apply, values, continuations, dynamic-wind, exceptions, promises, eval and environments."""

from __future__ import annotations

from ..data import NIL, MultipleValues, Pair, Symbol, make_list
from ..compiler import run_forms
from ..dynamic import current
from ..errors import ErrorObject, SchemeError, SxSyntaxError
from ..runtime import (
    NAMESPACE_HELPERS,
    Environment,
    apply_procedure,
    complete,
    fault,
    is_procedure,
    tail_apply,
)
from ..source import TEXT_NAMES
from .lists import elements
from .registry import builtin

# The exception handlers installed by with-exception-handler and a (frame, select) tuple
# for each running guard are a chain ``(entry, outer, depth)`` in ``current.state.handlers``
# (see sxflow.dynamic), per thread and interpreter: ``signal`` walks it at the raise point.


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


def signal(payload, continuable: bool):
    """Raise ``payload`` at this point, as R7RS describes, from the innermost handler outward.

    A handler installed by with-exception-handler is called here, before anything
    unwinds, with the handlers outside it current. A running guard is on the stack
    as a tuple ``(frame, select)``: it is asked here which clause it would take; if
    one, the error to raise (unwinding to it) is returned; if none, the guard is
    passed over (as its re-raise would do) and the next handler out is asked.
    Returns the value of a continuable handler, or the SchemeError to raise.
    """
    state = current.state
    installed = state.handlers
    node = installed
    try:
        while node[2]:
            entry, outer, depth = node
            index = depth - 1  # the handler's position from the outside, 0 first
            # The handler runs with the handlers outside it current.
            state.handlers = outer
            try:
                if type(entry) is tuple:
                    choice = entry[1]([entry[0], payload])
                else:
                    result = apply_procedure(entry, (payload,))
            except SchemeError as error:
                pass_handlers(error, index)
                raise
            if type(entry) is tuple:
                if choice is not None:
                    error = SchemeError(payload)
                    if continuable:
                        error.continuable = True
                    error.guard_choice = (entry, choice)
                    error.handlers_passed = index
                    return error
                node = outer  # a guard with no clause for it: as if it raised again
                continue
            if continuable:
                return result
            secondary = fault("exception handler returned from a non-continuable raise", payload,
                              kind="handler-returned")
            pass_handlers(secondary, index)
            return secondary
    finally:
        state.handlers = installed
    error = SchemeError(payload)
    error.continuable = continuable
    error.handlers_passed = 0
    return error


def pass_handlers(error: SchemeError, index: int) -> None:
    """Record that the handlers from ``index`` inward have dealt with ``error`` already."""
    if error.handlers_passed is None or index < error.handlers_passed:
        error.handlers_passed = index


@builtin("raise", types=("any",))
def raise_(payload):
    raise signal(payload, False)


def guard_raise(payload, marker, outer, state):
    """The error ``(raise payload)`` raises when it is written inside the body of the running guard ``marker``.

    Generated code (sxflow/procedures.py) calls this instead of ``raise`` for a raise
    lexically inside a guard's body in the same procedure: that guard is the innermost
    handler, so its clause is chosen here, as ``signal`` would, without walking the chain.
    """
    depth = outer[2]
    installed = state.handlers
    state.handlers = outer  # the tests run with the handlers outside the guard current
    try:
        choice = marker[1]([None, payload])
        if choice is None:
            return signal(payload, False)  # no clause: as if the guard raised it again
    except SchemeError as error:
        pass_handlers(error, depth)
        raise
    finally:
        state.handlers = installed
    error = SchemeError(payload)
    error.guard_choice = (marker, choice)
    error.handlers_passed = depth
    return error


@builtin("raise-continuable", types=("any",))
def raise_continuable(payload):
    result = signal(payload, True)
    if type(result) is SchemeError:
        raise result
    return result


@builtin("with-exception-handler", types=("procedure", "procedure"))
def with_exception_handler(handler, thunk):
    if not is_procedure(handler) or not is_procedure(thunk):
        raise TypeError("expected procedures")  # explained from the declared types
    state = current.state
    outer = state.handlers
    depth = outer[2]
    try:
        state.handlers = (handler, outer, depth + 1)  # inside the try: an interrupt cannot leave it installed
        return apply_procedure(thunk, ())
    except SchemeError as error:
        if error.handlers_passed is not None and error.handlers_passed <= depth:
            raise  # raised by raise/error: this handler was already called at the raise point
        caught = error
    finally:
        state.handlers = outer
    # A runtime fault (raised by Python code, so the stack has unwound already): the
    # handler runs now, with the outer handlers current; if it returns, that is an error.
    apply_procedure(handler, (caught.payload,))
    secondary = fault("exception handler returned from a non-continuable raise", caught.payload,
                      kind="handler-returned")
    secondary.__cause__ = caught
    raise secondary


@builtin("error", types=("any",), rest="any")
def error(message, *irritants):
    from ..printer import display_string

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
def force(promise):
    from ..compiler import Promise

    if type(promise) is not Promise:
        return promise
    # R7RS iterative forcing: a chain of delay-force runs in constant stack.
    while True:
        box = promise.box
        if box[0]:
            return box[1]
        node, frame = box[1]
        inner = complete(node(frame))
        if type(inner) is not Promise:
            raise fault("force: delay-force must produce a promise", inner, kind="wrong-type")
        box = promise.box
        if not box[0]:  # forcing the body may have forced this promise already
            inner_box = inner.box
            box[0], box[1] = inner_box[0], inner_box[1]
            inner.box = box


@builtin("make-promise", types=("any",))
def make_promise(value):
    from ..compiler import Promise

    if type(value) is Promise:
        return value
    return Promise(True, value)


@builtin("promise?", types=("any",))
def is_promise(value):
    from ..compiler import Promise

    return type(value) is Promise


# -- evaluation and environments ----------------------------------------------


def _as_scheme_error(error: SxSyntaxError) -> SchemeError:
    scheme_error = SchemeError(ErrorObject(error.message, (), "syntax", error.position))
    scheme_error.position = error.position
    scheme_error.__cause__ = error
    return scheme_error


@builtin("scheme-parse-all", types=("string",))
def scheme_parse_all(text):
    from ..reader import read_all

    try:
        return make_list(read_all(text, TEXT_NAMES.get(text, "<scheme-parse-all>")))
    except SxSyntaxError as error:
        raise _as_scheme_error(error) from None


@builtin("scheme-eval-program", types=("list", "environment"))
def scheme_eval_program(forms, environment):
    try:
        return run_forms(elements(forms), environment)
    except SxSyntaxError as error:
        raise _as_scheme_error(error) from None


@builtin("eval", types=("any", "environment"))
def eval_(form, environment):
    try:
        return run_forms([form], environment)
    except SxSyntaxError as error:
        raise _as_scheme_error(error) from None


@builtin("environment?", types=("any",))
def is_environment(value):
    return type(value) is Environment


NAMESPACE_HELPERS["guard_raise"] = guard_raise
NAMESPACE_HELPERS["RAISE_BUILTIN"] = raise_  # a raise inside a guard is direct while raise is this builtin

del NIL, Pair
