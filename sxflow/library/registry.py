"""The builtin tables: every standard procedure is registered here by name, with its argument types.

``@builtin`` registers a procedure shared by every interpreter; ``@interpreter_builtin``
registers a factory called once per interpreter, for procedures that need its state
(its output port, its environment). Argument types are only consulted to explain a
failure, so the procedures themselves stay unchecked and fast.
"""

from __future__ import annotations

from ..runtime import STANDARD_ENVIRONMENTS, register_builtin
from ..specialize import register_inline
from ..data import Symbol

# Scheme name -> function, shared by every interpreter.
BUILTINS: dict[str, object] = {}
# Scheme name -> (factory(interpreter) -> function, types, rest_type).
INTERPRETER_BUILTINS: dict[str, tuple] = {}

# The primitives lib/flow/store.sx is written with (storefile.py, storetable.py):
# builtins of every interpreter, flow library loaded or not, but not part of its
# face, so ``Interpreter.keys()`` leaves them out (sxflow.flow re-exports this).
INTERNAL_BUILTINS = frozenset({
    "flow-store-file-open", "flow-store-file-table", "flow-store-file-put!", "flow-store-file-delete!",
    "flow-store-file-clear!", "flow-store-file-import!", "flow-store-file-close!", "flow-store-file-path",
    "flow-store-table-export", "flow-store-table-import",
})


def builtin(*names: str, types=(), rest=None, inline=None):
    """Register a function under one or more Scheme names.

    ``types`` names the expected type of each positional argument (see
    ``runtime.TYPE_CHECKS``), ``rest`` that of any further ones. ``inline`` maps an
    argument count to ``(guard, expression)``, ``(guard, expression, alternative)`` or
    ``(guard, expression, alternative, check)``:
    ``expression`` is a Python format string over the operands ``{0}``, ``{1}``…, ``guard``
    the Python type name each operand must have (or None), ``alternative`` a second guard
    (all "float", or None) under which the expression is also this function's answer,
    ``check`` a further condition over the operands tested after the guard. The compiler inlines the call while the global still holds this
    function and the guard holds; the expression is checked here, when registered
    (``specialize.register_inline``).
    """

    def register(function):
        # Inline forms first: a bad one is refused before anything is registered.
        for name in names:
            for count, (guard, expression, *more) in (inline or {}).items():
                register_inline(Symbol(name), count, function, guard, expression, *more)
        register_builtin(function, names[0], types, rest)
        for name in names:
            BUILTINS[name] = function
        return function

    return register


def interpreter_builtin(*names: str, types=(), rest=None):
    """Register a factory ``make(interpreter) -> function`` for a procedure that needs its interpreter."""

    def register(factory):
        for name in names:
            INTERPRETER_BUILTINS[name] = (factory, names[0], types, rest)
        return factory

    return register


def install(environment, interpreter, names=None) -> None:
    """Define every builtin in ``environment``; per-interpreter ones are made for ``interpreter``.

    With ``names``, only those (a deferred module's, loaded after the environment was
    made: see ``sxflow.deferred``); without, ``environment`` becomes a standard one,
    which later loaded modules install their procedures into as well.
    """
    if names is None:
        STANDARD_ENVIRONMENTS[environment] = interpreter
    else:
        names = set(names)
    for name, function in BUILTINS.items():
        if names is None or name in names:
            environment.define(Symbol(name), function)
    made: dict = {}
    for name, (factory, primary, types, rest) in INTERPRETER_BUILTINS.items():
        if names is not None and name not in names:
            continue
        function = made.get(factory)
        if function is None:
            function = made[factory] = register_builtin(factory(interpreter), primary, types, rest)
        environment.define(Symbol(name), function)
