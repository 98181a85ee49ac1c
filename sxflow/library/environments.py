"""First-class environments: the interpreter's own global environment and fresh ones."""

from __future__ import annotations

from .registry import interpreter_builtin


@interpreter_builtin("interaction-environment")
def make_interaction_environment(interpreter):
    """(interaction-environment): the global environment the interpreter's programs run in."""

    def interaction_environment():
        return interpreter.environment

    return interaction_environment


@interpreter_builtin("new-environment", "scheme-report-environment")
def make_new_environment(interpreter):
    """(new-environment): a fresh global environment with the standard procedures and nothing else.

    ``scheme-report-environment`` is the R5RS name; its version argument is accepted and ignored.
    Definitions made in the fresh environment (``eval``, ``scheme-eval-program``) stay there.
    """

    def new_environment(version=None):
        return interpreter.new_environment()

    return new_environment


@interpreter_builtin("flow-load!")
def make_flow_load(interpreter):
    """(flow-load!): load the flow library (store.sx, remote.sx, run.sx) into the interaction environment.

    What ``Interpreter.load_flow()`` and ``sxflow run`` do; a no-op once loaded, so it is
    safe at the top of any program that needs the flow procedures.
    """

    def flow_load():
        interpreter.load_flow()

    return flow_load
