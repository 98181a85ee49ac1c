"""First-class environments: the interpreter's own global environment and fresh ones."""

from __future__ import annotations

from .registry import interpreter_builtin


@interpreter_builtin("interaction-environment")
def make_interaction_environment(interpreter):
    """(interaction-environment): the global environment the interpreter's programs run in."""

    def interaction_environment():
        return interpreter.environment

    return interaction_environment


@interpreter_builtin("new-environment")
def make_new_environment(interpreter):
    """(new-environment): a fresh global environment with the standard procedures and nothing else.

    Definitions made in the fresh environment (``eval``, ``scheme-eval-program``) stay there.
    ``scheme-report-environment`` (libraries.py) is the R5RS way to the same.
    """

    def new_environment():
        return interpreter.new_environment()

    return new_environment
