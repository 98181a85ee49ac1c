"""The embedding API: an Interpreter owns a global environment and evaluates text, files and calls."""

from __future__ import annotations

import os
from pathlib import Path

from . import library
from .compiler import run_forms
from .data import Symbol
from .reader import read_forms
from .runtime import (
    DEFAULT_MAX_DEPTH,
    Environment,
    call_from_python,
    deep_recursion,
    recursion_error,
    to_scheme,
)


class Interpreter:
    """A Scheme interpreter with its own global environment.

    ``max_depth`` bounds the nesting of non-tail calls (approximately: it sets
    Python's recursion limit while Scheme runs); a deeper recursion raises a
    catchable "recursion too deep" error. ``output`` is where ``display`` and
    friends write by default (None: the current ``sys.stdout``). ``store_path``, when
    given, loads the flow library and backs its store with that SQLite file
    (``(flow-store-open! path)``): an existing store is loaded, a missing one created,
    and every store mutation is durable when it returns.
    """

    def __init__(self, *, max_depth: int = DEFAULT_MAX_DEPTH, output=None, store_path=None) -> None:
        self.max_depth = max_depth
        self.output = output
        self.command_line: list[str] = []
        self.environment = self.new_environment("interaction")
        self._flow_loaded = False
        self._flow = None
        if store_path is not None:
            self.load_flow()
            self.call("flow-store-open!", os.fspath(store_path))

    # -- environments -------------------------------------------------------------

    def new_environment(self, name: str = "fresh") -> Environment:
        """A fresh global environment holding the standard procedures (and nothing defined since)."""
        environment = Environment(name)
        library.registry.install(environment, self)
        return environment

    # -- evaluation ----------------------------------------------------------------

    def eval(self, text: str, filename: str = "<string>", environment: Environment | None = None):
        """Evaluate every form in ``text``; the value of the last one (None when there is none)."""
        forms = read_forms(text, filename)
        return self.eval_forms([form for form, _ in forms], environment, [where for _, where in forms])

    def eval_forms(self, forms, environment: Environment | None = None, positions=None):
        """Compile and run data forms in order, each compiled just before it runs.

        ``positions``, when given, holds the source position of each form (the reader
        knows it; data made at run time has none).
        """
        with deep_recursion(self.max_depth):
            try:
                return run_forms(forms, environment or self.environment, positions)
            except RecursionError:
                raise recursion_error(Symbol("top-level"), None) from None

    def load(self, path, environment: Environment | None = None):
        """Evaluate the file at ``path``; the value of its last form."""
        path = os.fspath(path)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        return self.eval(text, path, environment)

    def call(self, name: str, *args):
        """Call the global procedure ``name`` with Python arguments."""
        return call_from_python(self[name], args, self.max_depth)

    # -- globals as a mapping ------------------------------------------------------

    def __getitem__(self, name: str):
        return self.environment.lookup(Symbol(name))

    def __setitem__(self, name: str, value) -> None:
        self.environment.define(Symbol(name), to_scheme(value))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.environment.is_bound(Symbol(name))

    def __delitem__(self, name: str) -> None:
        from .runtime import UNBOUND

        if name not in self:
            raise KeyError(name)
        self.environment.cell(Symbol(name)).value = UNBOUND

    def keys(self) -> list[str]:
        return self.environment.bound_names()

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def get(self, name: str, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    # -- the flow library ----------------------------------------------------------

    def load_flow(self) -> "Interpreter":
        """Load lib/flow/store.sx, remote.sx and run.sx and install them in this interpreter's globals."""
        from .flow import load_flow

        load_flow(self)
        return self

    @property
    def flow(self):
        """A ``sxflow.flow.Flow`` for this interpreter (the flow library is loaded on first use)."""
        if self._flow is None:
            from .flow import Flow

            self._flow = Flow(self)
        return self._flow


def flow_library_directory() -> Path:
    """Where the .sx files of the flow library are: inside the installed package, or lib/flow in a checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "flowlib"  # the wheel maps lib/flow to sxflow/flowlib
    if (installed / "remote.sx").is_file():
        return installed
    return package.parent / "lib" / "flow"
