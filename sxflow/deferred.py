"""Deferred imports: the one place where sxflow imports its own modules on first use, not at start-up.

A cold start (``import sxflow``, ``Interpreter()``, a first ``eval``) imports only what
evaluation needs: every module imported costs its compilation when there is no bytecode
(a checkout under ``PYTHONDONTWRITEBYTECODE``), and its stdlib imports. What waits is
said here, each loader a function holding a plain ``import sxflow.x`` statement (so the
import rules of tests/test_imports.py see every edge; this is the only module whose
functions may import sxflow modules):

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
- ``FORM_MODULES``: modules of special forms, a placeholder standing in the compiler's
  table until the form is first compiled.
- Single loaders for what one code path needs: the syntax-rules engine
  (``macros.parse_syntax_rules``), the reader's rare paths, the HTTP server and client of
  the federation, the flow library's extensions (``flow.load_flow``), and the command
  line's subcommands (``cli``).
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from .data import Symbol
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


def _fed_server():
    import sxflow.fed.server
    return sxflow.fed.server


def _fed_client():
    import sxflow.fed.client
    return sxflow.fed.client


def _fed_command():
    import sxflow.fed.command
    return sxflow.fed.command


def _check():
    import sxflow.check
    return sxflow.check


def _repl():
    import sxflow.repl
    return sxflow.repl


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


def fed_server():
    """sxflow.fed.server (the HTTP server: uvicorn's app, sockets, logging), for sxflow.fed.serve."""
    return _fed_server()


def fed_client():
    """sxflow.fed.client (the HTTP transport), for the first connection to an HTTP peer."""
    return _fed_client()


def command_module(name: str):
    """A module only one subcommand of the command line needs: "check", "repl", "serve" (fed.command) or "ray"."""
    return {"check": _check, "repl": _repl, "serve": _fed_command, "ray": _ray}[name]()


def subsystem(name: str):
    """The submodule ``sxflow.<name>`` of SUBSYSTEMS, imported now if it was not; AttributeError otherwise."""
    load = SUBSYSTEMS.get(name)
    if load is None:
        raise AttributeError(f"module 'sxflow' has no attribute {name!r}")
    return load()


def syntax_rules():
    """sxflow.syntax_rules (the syntax-rules matcher and expander), imported on the first macro definition."""
    import sxflow.syntax_rules
    return sxflow.syntax_rules


def reader_passes():
    """sxflow.reader_passes (block comments, #!fold-case, deep nesting, syntax errors), imported when first needed."""
    import sxflow.reader_passes
    return sxflow.reader_passes


def flow_module():
    """sxflow.flow (the flow library's Python face and load_flow)."""
    return _flow()


def load_flow_extensions() -> None:
    """Import the fed and ray layers, which register their load_flow extensions and connectors."""
    _flow_extensions()


# -- library modules whose procedures wait for a first use -------------------------------


def _strings():
    import sxflow.library.strings  # noqa: F401


def _characters():
    import sxflow.library.characters  # noqa: F401


def _vectors():
    import sxflow.library.vectors  # noqa: F401


def _bytevectors():
    import sxflow.library.bytevectors  # noqa: F401


def _binary_ports():
    import sxflow.library.binary_ports  # noqa: F401


def _ports():
    import sxflow.library.ports  # noqa: F401


def _output():
    import sxflow.library.output  # noqa: F401


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


def _records():
    import sxflow.library.records  # noqa: F401


def _libraries():
    import sxflow.library.libraries  # noqa: F401


def _flow_load():
    import sxflow.flow  # noqa: F401  (flow-load!)


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())  # one string per module: cheaper to compile than a tuple of strings


# module -> (importer, the Scheme names it registers): the modules of builtins that neither
# the compiler nor the core library imports. One defining special forms (records,
# parameters...) cannot wait: the compiler looks forms up in its table, not by global.
# Importing a module imports the modules it needs (ports: binary_ports, bytevectors);
# their names are installed on their own first use.
BUILTIN_MODULES: dict[str, tuple[Callable[[], None], tuple[str, ...]]] = {
    "sxflow.library.strings": (_strings, _names(
        "string? make-string string string-length string-ref substring string-copy string-append "
        "string-null? string-set! string-fill! string-copy! string=? string-ci=? string<? string-ci<? "
        "string>? string-ci>? string<=? string-ci<=? string>=? string-ci>=? string-upcase string-downcase "
        "string-foldcase string->list list->string string->vector vector->string string->symbol "
        "symbol->string symbol? symbol=? string-for-each string-map string-index string-contains "
        "string-prefix? string-suffix? string-join string-split")),
    "sxflow.library.characters": (_characters, _names(
        "char? char->integer integer->char char=? char-ci=? char<? char-ci<? char>? char-ci>? char<=? "
        "char-ci<=? char>=? char-ci>=? char-alphabetic? char-numeric? char-whitespace? char-upper-case? "
        "char-lower-case? digit-value char-upcase char-downcase char-foldcase")),
    "sxflow.library.vectors": (_vectors, _names(
        "vector? make-vector vector vector-length vector-ref vector-set! vector->list list->vector "
        "vector-fill! vector-copy vector-copy! vector-append vector-map vector-for-each")),
    "sxflow.library.bytevectors": (_bytevectors, _names(
        "bytevector? make-bytevector bytevector bytevector-length bytevector-u8-ref bytevector-u8-set! "
        "bytevector-copy bytevector-copy! bytevector-append utf8->string string->utf8")),
    "sxflow.library.binary_ports": (_binary_ports, _names(
        "open-input-bytevector open-output-bytevector get-output-bytevector read-u8 peek-u8 u8-ready? "
        "read-bytevector read-bytevector! write-u8 write-bytevector")),
    "sxflow.library.ports": (_ports, _names(
        "open-input-string read-char peek-char read-line read-string read char-ready? current-input-port "
        "eof-object eof-object? input-port? output-port? port? textual-port? binary-port? input-port-open? "
        "output-port-open? close-port close-input-port close-output-port call-with-port")),
    "sxflow.library.output": (_output, _names(
        "current-error-port open-output-string get-output-string call-with-output-string display write "
        "write-simple write-shared newline write-string write-char flush-output-port current-output-port "
        "with-output-to-string")),
    "sxflow.library.hashtables": (_hashtables, _names(
        "make-hash-table hash-table? hash-table-set! hash-table-ref hash-table-ref/default "
        "hash-table-delete! hash-table-contains? hash-table-exists? hash-table-count hash-table-size "
        "hash-table-keys hash-table-values hash-table->alist alist->hash-table hash-table-update! "
        "hash-table-update!/default hash-table-walk hash-table-fold hash-table-copy hash-table-clear!")),
    "sxflow.library.plaindata": (_plaindata, _names(
        "plain-data? plain-data-copy")),
    "sxflow.library.storefile": (_storefile, _names(
        "flow-store-file-open flow-store-file-table flow-store-file-put! flow-store-file-delete! "
        "flow-store-file-clear! flow-store-file-import! flow-store-file-close! flow-store-file-path")),
    "sxflow.library.storetable": (_storetable, _names(
        "flow-store-table-export flow-store-table-import")),
    "sxflow.library.complex_numbers": (_complex_numbers, _names(
        "make-rectangular make-polar real-part imag-part magnitude angle")),
    "sxflow.library.files": (_files, _names(
        "open-input-file open-output-file open-binary-input-file open-binary-output-file "
        "call-with-input-file call-with-output-file with-input-from-file with-output-to-file file-exists? "
        "delete-file load")),
    "sxflow.library.libraries": (_libraries, _names(
        "environment scheme-report-environment null-environment features")),
    "sxflow.flow": (_flow_load, _names(
        "flow-load!")),
}


def load_builtin_module(module: str) -> None:
    """Import ``module`` (of BUILTIN_MODULES) and define its procedures in every standard environment, once.

    Another thread asking meanwhile waits for the whole of it; a name of the module
    used while it is being imported (its own registration) does not start it again.
    Interrupted or failed part way (a KeyboardInterrupt, a MemoryError), it is not
    marked done: the next use starts it again (importing and installing twice is
    harmless; a module half loaded and marked done would leave its names unbound).
    """
    importer, names = BUILTIN_MODULES[module]
    with _lock:
        if module in _started:
            return
        _started.add(module)
        try:
            importer()
            from sxflow.library import registry  # imported by then: the library imports it first

            for environment, interpreter in list(STANDARD_ENVIRONMENTS.items()):
                registry.install(environment, interpreter, names)
        except BaseException:
            _started.discard(module)
            raise
        for name in names:
            DEFERRED_BUILTINS.pop(name, None)


def _loader(module: str) -> Callable[[], None]:
    return lambda: load_builtin_module(module)


for _module, (_importer, _module_names) in BUILTIN_MODULES.items():
    _load = _loader(_module)
    for _name in _module_names:
        DEFERRED_BUILTINS.setdefault(_name, _load)


# -- special forms whose module waits for a first use -------------------------------------
# module -> (importer, {form name: whether its handler has a ``rewrite``}). The compiler
# looks a form up in its SPECIAL_FORMS table, not as a global, so the table holds a
# placeholder until the module's own ``@special_form`` replaces it. The compiler asks a
# definition form for ``rewrite`` while scanning a body, before calling it: the
# placeholder has one exactly when the real handler does (tests/test_deferred.py checks).
FORM_MODULES: dict[str, tuple[Callable[[], None], dict[str, bool]]] = {
    "sxflow.library.records": (_records, {"define-record-type": True}),
    "sxflow.library.libraries": (_libraries, {"import": False}),
}


def install_form_placeholders(special_forms: dict) -> None:
    """Put a placeholder in the compiler's ``special_forms`` for each form of FORM_MODULES (sxflow.library does)."""
    for module, (importer, forms) in FORM_MODULES.items():
        for name, rewrites in forms.items():
            special_forms.setdefault(Symbol(name), _placeholder(special_forms, importer, name, rewrites))


def _placeholder(special_forms: dict, importer: Callable[[], None], name: str, rewrites: bool):
    symbol = Symbol(name)

    def real():
        importer()  # its @special_form puts the real handler in the table, in place of this one
        return special_forms[symbol]

    def handler(compiler, form, scope, tail, position):
        return real()(compiler, form, scope, tail, position)

    handler.shape = f"({name} ...)"  # never shown: the real handler checks the form
    if rewrites:
        handler.rewrite = lambda compiler, form, scope, position: real().rewrite(compiler, form, scope, position)
    return handler
