"""``case-lambda`` (R7RS 4.2.9): a procedure that picks the first clause whose parameters fit the arguments."""

from __future__ import annotations

from ..compiler import arguments_of, cells_with_positions, form_error, special_form
from ..data import Pair, list_to_python
from ..runtime import Closure, TailCall, bind_arguments, describe_count, fault


def case_lambda_body(frame):
    """The body of a case-lambda procedure: ``frame`` is [clauses, arguments as a list].

    It returns a tail call of the chosen clause, so a case-lambda procedure calling
    itself in tail position loops in constant space like any procedure.
    """
    clauses = frame[0]
    arguments = list_to_python(frame[1])
    count = len(arguments)
    for clause in clauses:
        if clause.arity == count or (clause.rest and count >= clause.required):
            return TailCall((clause.body, bind_arguments(clause, arguments, None)))
    accepted = ", ".join(describe_count(clause.required, None if clause.rest else clause.required)
                         for clause in clauses)
    raise fault(f"{clauses[0].name}: no clause takes {count} argument{'' if count == 1 else 's'} "
                f"(the clauses take {accepted})", kind="arity")


@special_form("case-lambda", shape="(case-lambda (parameters body...)...)")
def compile_case_lambda(compiler, form, scope, tail, position):
    return compile_named_case_lambda(compiler, form, scope, position, "case-lambda")


def compile_named_case_lambda(compiler, form, scope, position, name):
    """The node making a case-lambda procedure called ``name`` (the defined name, for messages)."""
    makers = []
    for clause, where in arguments_of(form, position, compile_case_lambda, 1):
        if not isinstance(clause, Pair):
            raise form_error(compile_case_lambda, form, where, "each clause is (parameters body...)")
        parts = cells_with_positions(clause, where)
        if len(parts) < 2:
            raise form_error(compile_case_lambda, form, where, "each clause needs a body")
        makers.append(compiler.make_lambda(parts[0][0], parts[1:], scope, where, name,
                                           compile_case_lambda, form))
    makers = tuple(makers)

    def node(frame):
        clauses = [make(frame) for make in makers]
        return Closure(case_lambda_body, clauses, 0, True, name, position)

    return node


compile_case_lambda.named = compile_named_case_lambda
