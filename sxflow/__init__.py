"""sxflow: run SX flow programs (a Scheme subset) from Python."""

from .data import NIL, Char, ExactComplex, Pair, Symbol, Vector
from .errors import ErrorObject, SchemeError, SxError, SxSyntaxError
from .printer import display_string, write_shared_string, write_string
from .reader import read, read_all
from .runtime import Environment, to_python, to_scheme
from .interpreter import Interpreter
from .fed import procedures as _fed_procedures  # registers the fed-* procedures with the flow library
from . import ray as _ray  # registers ray-connect! with the flow library
from .dynamic import runtime_state
from .library.system import SchemeExit

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
