"""The embedding API: an Interpreter owns a global environment and evaluates text, files and calls."""


import os
import threading
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, Self

from . import deferred, library
from .compiler import run_forms
from .data import Symbol
from .reader import read_forms
from .runtime import (
    DEFAULT_MAX_DEPTH,
    UNBOUND,
    Environment,
    BUILTIN_INFO,
    BuiltinProcedure,
    call_from_python,
    entered,
    recursion_error,
    to_python_value,
    to_scheme,
)

if TYPE_CHECKING:
    from .flow import Flow


class Interpreter(MutableMapping):
    """A Scheme interpreter with its own global environment.

    It is a ``collections.abc.MutableMapping`` of global names (``str``) to values:
    ``interp["x"]``, ``interp["x"] = 1``, ``del interp["x"]``, ``"x" in interp``,
    ``interp.keys()``. The keys are the standard procedures and the user's globals;
    the flow library's internals (``flow-store-table``, ``flow-store-src``, ...) are
    left out of ``keys()`` (and of REPL completion) although ``interp[name]`` still
    reaches them.

    ``max_depth`` bounds the nesting of non-tail calls (approximately: it sets
    Python's recursion limit while Scheme runs); a deeper recursion raises a
    catchable "recursion too deep" error. ``output`` is where ``display`` and
    friends write by default (None: the current ``sys.stdout``). ``store_path``, when
    given, loads the flow library and backs its store with that SQLite file
    (``(flow-store-open! path)``): an existing store is loaded, a missing one created,
    and every store mutation is durable when it returns. ``allow_files`` (on by default)
    lets Scheme code open, load and delete files and read environment variables; off,
    those procedures raise "file access is disabled" (for code that comes from
    elsewhere). ``Interpreter.load`` from Python is not affected.

    Several threads may use one interpreter: each entry from Python (``eval``,
    ``call``, a procedure called from Python) holds the interpreter's re-entrant
    ``lock``, so they take turns. Two interpreters run in parallel threads
    independently (their dynamic state is per thread and per interpreter).
    """

    max_depth: int
    lock: threading.RLock
    output: Any  # a text stream, or None for the current sys.stdout
    allow_files: bool
    allow_process_exit: bool  # (exit) may end the process: set by the command line only
    command_line: list[str]  # what (command-line) answers
    environment: Environment  # the global (interaction) environment
    flow_loaded: bool  # the flow library is loaded (load_flow sets it)
    hidden_names: set[str]  # globals left out of keys(): the flow library's internals
    _flow: Any  # the Flow wrapper, made on first use
    _fed_state: Any  # the federation state (sxflow.fed.state), made on first use

    def __init__(
        self,
        *,
        max_depth: int = DEFAULT_MAX_DEPTH,
        output: Any = None,
        store_path: str | os.PathLike[str] | None = None,
        allow_files: bool = True,
    ) -> None:
        self.max_depth = max_depth
        self.lock = threading.RLock()
        self.output = output
        self.allow_files = allow_files
        self.allow_process_exit = False
        self.command_line = []
        self.environment = self.new_environment("interaction")
        self.flow_loaded = False
        self.hidden_names = set(library.registry.INTERNAL_BUILTINS)
        self._flow = None
        self._fed_state = None
        if store_path is not None:
            self.load_flow()
            self.call("flow-store-open!", os.fspath(store_path))

    # -- environments -------------------------------------------------------------

    def new_environment(self, name: str = "fresh") -> Environment:
        """A fresh global environment holding the standard procedures (and nothing defined since)."""
        environment = Environment(name, self)
        library.registry.install(environment, self)
        return environment

    # -- evaluation ----------------------------------------------------------------

    def eval(self, text: str, filename: str = "<string>", environment: Environment | None = None) -> Any:
        """Evaluate every form in ``text``; the value of the last one (None when there is none)."""
        forms = read_forms(text, filename)
        return self.eval_forms([form for form, _ in forms], environment, [where for _, where in forms])

    def eval_forms(self, forms: list[Any], environment: Environment | None = None, positions: list[Any] | None = None) -> Any:
        """Compile and run data forms in order, each compiled just before it runs.

        ``positions``, when given, holds the source position of each form (the reader
        knows it; data made at run time has none).
        """
        return to_python_value(entered(self, self.max_depth, _run_forms, forms, environment or self.environment,
                                       positions, room=True), self)

    def load(self, path: str | os.PathLike[str], environment: Environment | None = None) -> Any:
        """Evaluate the file at ``path``; the value of its last form."""
        path = os.fspath(path)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        return self.eval(text, path, environment)

    def call(self, name: str, *args: Any) -> Any:
        """Call the global procedure ``name`` with Python arguments."""
        return call_from_python(self.environment.lookup(Symbol(name)), args, self.max_depth, self)

    # -- globals as a mapping ------------------------------------------------------

    def __getitem__(self, name: str) -> Any:
        """The value of a global; a procedure comes wrapped so that calling it from Python
        converts arguments and raises SchemeError like every Scheme procedure."""
        value = self.environment.lookup(Symbol(name))
        if _is_builtin(value):
            return BuiltinProcedure(value, self)
        return to_python_value(value, self)

    def __setitem__(self, name: str, value: Any) -> None:
        self.environment.define(Symbol(name), to_scheme(value))  # a fetched builtin is unwrapped

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.environment.is_bound(Symbol(name))

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self.environment.cell(Symbol(name)).value = UNBOUND

    def keys(self) -> list[str]:  # type: ignore[override]  # a list, as before MutableMapping
        """The bound global names, without the flow library's internals."""
        hidden = self.hidden_names
        return [name for name in self.environment.bound_names() if name not in hidden]

    # An interpreter is itself, not equal to another with the same globals (the
    # Mapping default), and hashable (weak tables key per-interpreter state by it).
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    # -- the flow library ----------------------------------------------------------

    def load_flow(self) -> Self:
        """Load lib/flow/store.sx, remote.sx and run.sx and install them in this interpreter's globals."""
        deferred.flow_module().load_flow(self)
        return self

    @property
    def flow(self) -> "Flow":
        """A ``sxflow.flow.Flow`` for this interpreter (the flow library is loaded on first use)."""
        if self._flow is None:
            self._flow = deferred.flow_module().Flow(self)
        return self._flow


def _run_forms(forms, environment, positions):
    try:
        return run_forms(forms, environment, positions)
    except RecursionError:
        raise recursion_error(Symbol("top-level"), None) from None


def _is_builtin(value) -> bool:
    try:
        return value in BUILTIN_INFO
    except TypeError:  # unhashable: not a builtin
        return False
