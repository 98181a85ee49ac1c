"""The current output port of each interpreter: its output, or the innermost port ``with-output-to-string`` made current."""

from __future__ import annotations

import sys
import weakref


class OutputState:
    """Per interpreter: the ports ``with-output-to-string`` has made current, innermost last."""

    __slots__ = ("redirections",)

    def __init__(self) -> None:
        self.redirections: list = []


_states: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def output_state(interpreter) -> OutputState:
    state = _states.get(interpreter)
    if state is None:
        state = _states[interpreter] = OutputState()
    return state


def current_output(interpreter):
    """A function returning the interpreter's current output port at the time it is called."""
    redirections = output_state(interpreter).redirections

    def current():
        if redirections:
            return redirections[-1]
        port = interpreter.output
        return sys.stdout if port is None else port

    return current
