"""``case-lambda`` (R7RS 4.2.9): a procedure that picks the first clause whose parameters fit the arguments."""

from __future__ import annotations

from .. import procedures
from ..compiler import arguments_of, cells_with_positions, form_error, special_form
from ..data import Pair
from types import FunctionType

from ..runtime import PROCEDURES, TailCall, describe_count, fault, procedure_code


def _case_lambda_factory(clauses):
    def procedure(*arguments):
        """A case-lambda procedure: a tail call of the first clause that takes this many arguments.

        So a case-lambda procedure calling itself in tail position loops in constant
        space like any procedure.
        """
        count = len(arguments)
        for clause in clauses:
            info = PROCEDURES[id(clause.__code__)]
            if info.required == count or (info.rest and count >= info.required):
                return TailCall((clause, arguments, None))
        first = PROCEDURES[id(clauses[0].__code__)]
        accepted = ", ".join(describe_count(info.required, None if info.rest else info.required)
                             for info in (PROCEDURES[id(clause.__code__)] for clause in clauses))
        raise fault(f"{first.name}: no clause takes {count} argument{'' if count == 1 else 's'} "
                    f"(the clauses take {accepted})", kind="arity")

    return procedure


@special_form("case-lambda", shape="(case-lambda (parameters body...)...)")
def compile_case_lambda(compiler, form, scope, tail, position):
    return compile_named_case_lambda(compiler, form, scope, position, "case-lambda")


def case_lambda_shape(form, position) -> list:
    """The clauses of a well-formed case-lambda as (parameters, body items, position) (else SxSyntaxError)."""
    clauses = []
    for clause, where in arguments_of(form, position, compile_case_lambda, 1):
        if not isinstance(clause, Pair):
            raise form_error(compile_case_lambda, form, where, "each clause is (parameters body...)")
        parts = cells_with_positions(clause, where)
        if len(parts) < 2:
            raise form_error(compile_case_lambda, form, where, "each clause needs a body")
        clauses.append((parts[0][0], parts[1:], where))
    return clauses


def case_lambda_maker(name, position):
    """``make(clauses)``: the case-lambda procedure called ``name`` choosing among the procedures ``clauses``."""
    return FunctionType(procedure_code(_case_lambda_factory.__code__, name, position, 0, True), globals())


def compile_named_case_lambda(compiler, form, scope, position, name):
    """The node making a case-lambda procedure called ``name`` (the defined name, for messages)."""
    makers = tuple(compiler.make_lambda(parameters, body_items, scope, where, name, compile_case_lambda, form)
                   for parameters, body_items, where in case_lambda_shape(form, position))
    make = case_lambda_maker(name, position)

    def node(frame):
        return make([make_clause(frame) for make_clause in makers])

    return node


compile_case_lambda.named = compile_named_case_lambda


def write_named_case_lambda(writer, form, scopes, indent, where, name) -> str:
    """The case-lambda written into a generated procedure (sxflow.procedures): its clauses are nested defs."""
    return writer.case_lambda(form, scopes, indent, where, name, case_lambda_shape, case_lambda_maker)


def write_case_lambda(writer, form, scopes, sink, indent, loops, where) -> None:
    writer.deliver(write_named_case_lambda(writer, form, scopes, indent, where, "case-lambda"), sink, indent)


procedures.add_writer(compile_case_lambda, write_case_lambda, named=write_named_case_lambda)
