"""Raising and handling Scheme conditions: the handler chain that ``raise``, ``error`` and ``with-exception-handler`` use.

The exception handlers installed by ``with-exception-handler`` and a ``(frame, select)``
tuple for each running ``guard`` form a chain ``(entry, outer, depth)`` in
``current.state.handlers`` (see sxflow.dynamic), per thread and interpreter. ``signal``
walks it at the raise point, as R7RS describes; the library's ``raise``,
``raise-continuable``, ``error`` and ``with-exception-handler`` and the federation's
proxies call in here, and the compiler's ``guard`` pushes its entry on the same chain.
"""

from __future__ import annotations

from .dynamic import current
from .errors import SchemeError
from .runtime import apply_procedure, fault


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


def raise_payload(payload):
    """(raise payload): never returns; the handlers are asked first, then the SchemeError is raised."""
    raise signal(payload, False)


def raise_continuable(payload):
    """(raise-continuable payload): the value of the handler that takes it, or the SchemeError raised."""
    result = signal(payload, True)
    if type(result) is SchemeError:
        raise result
    return result


def with_handler(handler, thunk):
    """(with-exception-handler handler thunk): run ``thunk`` with ``handler`` innermost on the chain."""
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
