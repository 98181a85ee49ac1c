"""sxflow: run SX flow programs (a Scheme subset) from Python."""

from .data import NIL, Char, ExactComplex, Pair, Symbol, Vector
from .errors import ErrorObject, SchemeError, SxError, SxSyntaxError
from .printer import display_string, write_shared_string, write_string
from .reader import read, read_all
from .runtime import Environment, to_python, to_scheme
from .interpreter import Interpreter
from .dynamic import runtime_state
from .library.system import SchemeExit
from . import deferred as _deferred

__version__ = "0.1.0"

__all__ = [
    "Char",
    "Environment",
    "ErrorObject",
    "ExactComplex",
    "Interpreter",
    "NIL",
    "Pair",
    "SchemeError",
    "SchemeExit",
    "SxError",
    "SxSyntaxError",
    "Symbol",
    "Vector",
    "display_string",
    "read",
    "read_all",
    "runtime_state",
    "to_python",
    "to_scheme",
    "write_shared_string",
    "write_string",
]


def __getattr__(name: str):
    """``sxflow.fed``, ``sxflow.flow``, ``sxflow.ray``...: subsystems a start-up does not load, imported when first reached (PEP 562)."""
    return _deferred.subsystem(name)
