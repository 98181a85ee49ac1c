"""The R7RS syntax sxflow does not have: each name is a special form whose every use says so.

Without these, ``(define-library (point) ...)`` would compile as a procedure call and
fail as "unbound variable: point", which sends the reader looking for a typo.
"""

from __future__ import annotations

from ..compiler import position_of, special_form, syntax_error

# R7RS-small syntactic keywords sxflow does not implement (see README, deviations).
UNSUPPORTED_FORMS = ("define-library", "include", "include-ci", "include-library-declarations", "cond-expand")


def _unsupported(name: str):
    @special_form(name, shape=f"({name} ...): not supported by sxflow")
    def compile_unsupported(compiler, form, scope, tail, position):
        raise syntax_error(f"{name} is not supported by sxflow", position_of(form, position))

    return compile_unsupported


for _name in UNSUPPORTED_FORMS:
    _unsupported(_name)
