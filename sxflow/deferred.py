"""Deferred imports: the one place where sxflow imports its own modules on first use, not at start-up.

A cold start (``import sxflow``, ``Interpreter()``, a first ``eval``) imports only what
evaluation needs: every module imported costs its compilation when there is no bytecode
(a checkout under ``PYTHONDONTWRITEBYTECODE``), and its stdlib imports. Two tables say
what waits, each entry a function holding a plain import statement (so the import rules
of tests/test_imports.py see every edge, and this is the only module whose functions may
import sxflow modules):

- ``SUBSYSTEMS``: modules reached as attributes of the package (``sxflow.fed.serve(...)``,
  ``sxflow.flow.Flow``): ``sxflow.__getattr__`` (PEP 562) imports them when asked.
- ``BUILTIN_MODULES``: library modules whose Scheme procedures are installed when one of
  their names is first used as a global anywhere in the process. ``runtime.global_key``
  makes the key every reference, definition, ``interp[name]``, ``name in interp`` and
  ``import`` goes through; for a name in ``runtime.DEFERRED_BUILTINS`` it first calls the
  module's loader, which imports the module (registering its procedures, as every library
  module does) and defines them in every standard environment (those
  ``library.registry.install`` made). No environment can have bound or read the name
  before it has a key, so the result is what installing at creation would give; until
  then ``Environment.bound_names`` (hence ``keys()``, ``sxflow check``, "did you mean")
  lists the names. tests/test_deferred.py checks the names against what each module
  registers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .library import registry
from .runtime import DEFERRED_BUILTINS, STANDARD_ENVIRONMENTS

_lock = threading.RLock()
_started: set[str] = set()


# -- subsystems reached from the package ---------------------------------------------
# (``import sxflow.x``, not ``from . import x``: the latter asks the package for the
# attribute first, which is sxflow.__getattr__ again.)


def _flow():
    import sxflow.flow
    return sxflow.flow


def _flow_extensions():
    # The layers load_flow installs beside the library (fed-* and ray-connect!) and the
    # connectors Flow.connect uses: they import flow, so flow cannot import them.
    import sxflow.fed.procedures
    import sxflow.ray


def _fed():
    import sxflow.fed
    return sxflow.fed


def _ray():
    import sxflow.ray
    return sxflow.ray


def _storedb():
    import sxflow.storedb
    return sxflow.storedb


def _codec():
    import sxflow.codec
    return sxflow.codec


SUBSYSTEMS: dict[str, Callable[[], object]] = {
    "flow": _flow,
    "fed": _fed,
    "ray": _ray,
    "storedb": _storedb,
    "codec": _codec,
}


def subsystem(name: str):
    """The submodule ``sxflow.<name>`` of SUBSYSTEMS, imported now if it was not; AttributeError otherwise."""
    load = SUBSYSTEMS.get(name)
    if load is None:
        raise AttributeError(f"module 'sxflow' has no attribute {name!r}")
    return load()


def flow_module():
    """sxflow.flow (the flow library's Python face and load_flow)."""
    return _flow()


def load_flow_extensions() -> None:
    """Import the fed and ray layers, which register their load_flow extensions and connectors."""
    _flow_extensions()


# -- library modules whose procedures wait for a first use -------------------------------


def _hashtables():
    import sxflow.library.hashtables  # noqa: F401


def _plaindata():
    import sxflow.library.plaindata  # noqa: F401


def _storefile():
    import sxflow.library.storefile  # noqa: F401  (with sxflow.storedb, sxflow.codec, json)


def _storetable():
    import sxflow.library.storetable  # noqa: F401


def _complex_numbers():
    import sxflow.library.complex_numbers  # noqa: F401


def _files():
    import sxflow.library.files  # noqa: F401


def _flow_load():
    import sxflow.flow  # noqa: F401  (flow-load!)


# module -> (importer, the Scheme names it registers). Rarely used procedures of modules
# nothing else at start-up needs; a module imported by another one at start-up (ports by
# output, say), or defining special forms (records, parameters), cannot wait.
BUILTIN_MODULES: dict[str, tuple[Callable[[], None], tuple[str, ...]]] = {
    "sxflow.library.hashtables": (_hashtables, (
        "make-hash-table", "hash-table?", "hash-table-set!", "hash-table-ref", "hash-table-ref/default",
        "hash-table-delete!", "hash-table-contains?", "hash-table-exists?", "hash-table-count", "hash-table-size",
        "hash-table-keys", "hash-table-values", "hash-table->alist", "alist->hash-table", "hash-table-update!",
        "hash-table-update!/default", "hash-table-walk", "hash-table-fold", "hash-table-copy", "hash-table-clear!")),
    "sxflow.library.plaindata": (_plaindata, ("plain-data?", "plain-data-copy")),
    "sxflow.library.storefile": (_storefile, (
        "flow-store-file-open", "flow-store-file-table", "flow-store-file-put!", "flow-store-file-delete!",
        "flow-store-file-clear!", "flow-store-file-import!", "flow-store-file-close!", "flow-store-file-path")),
    "sxflow.library.storetable": (_storetable, ("flow-store-table-export", "flow-store-table-import")),
    "sxflow.library.complex_numbers": (_complex_numbers, (
        "make-rectangular", "make-polar", "real-part", "imag-part", "magnitude", "angle")),
    "sxflow.library.files": (_files, (
        "open-input-file", "open-output-file", "open-binary-input-file", "open-binary-output-file",
        "call-with-input-file", "call-with-output-file", "with-input-from-file", "with-output-to-file",
        "file-exists?", "delete-file", "load")),
    "sxflow.flow": (_flow_load, ("flow-load!",)),
}


def load_builtin_module(module: str) -> None:
    """Import ``module`` (of BUILTIN_MODULES) and define its procedures in every standard environment, once.

    Another thread asking meanwhile waits for the whole of it; a name of the module
    used while it is being imported (its own registration) does not start it again.
    """
    importer, names = BUILTIN_MODULES[module]
    with _lock:
        if module in _started:
            return
        _started.add(module)
        importer()
        for environment, interpreter in list(STANDARD_ENVIRONMENTS.items()):
            registry.install(environment, interpreter, names)
        for name in names:
            DEFERRED_BUILTINS.pop(name, None)


def _loader(module: str) -> Callable[[], None]:
    return lambda: load_builtin_module(module)


for _module, (_importer, _names) in BUILTIN_MODULES.items():
    _load = _loader(_module)
    for _name in _names:
        DEFERRED_BUILTINS.setdefault(_name, _load)
