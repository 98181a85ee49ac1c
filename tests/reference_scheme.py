"""A small, obviously-correct Scheme evaluator over sxflow's data, used only by the differential tests.

It walks the forms directly (no compilation, no inlining, no cells): environments are
dicts chained to their parent, procedures are records of parameters, body and
environment, and a tail position loops instead of recursing (so tail loops run in
constant Python stack, as Scheme requires). It knows just the subset the random
programs of tests/test_procedures.py use: integers, booleans, symbols, lists,
``quote if define set! lambda let let* named-let cond case do and or when unless
begin guard letrec letrec* let-values let*-values quasiquote delay delay-force``
(``=>`` in cond, case and guard clauses), the macros ``my-or`` and ``swap!`` (by their
meaning: hygiene is sxflow's to get right), ``raise``, ``values``, ``force`` and a few
builtins. Builtins are ordinary global bindings, so a program can redefine them.
"""

from __future__ import annotations

from sxflow.data import NIL, Pair, Symbol

S = Symbol
QUOTE, IF, DEFINE, SET, LAMBDA, LET, LET_STAR = S("quote"), S("if"), S("define"), S("set!"), S("lambda"), S("let"), S("let*")
COND, AND, OR, WHEN, UNLESS, BEGIN, GUARD, ELSE = S("cond"), S("and"), S("or"), S("when"), S("unless"), S("begin"), S("guard"), S("else")
CASE, DO = S("case"), S("do")
LETREC, LETREC_STAR, LET_VALUES, LET_STAR_VALUES = S("letrec"), S("letrec*"), S("let-values"), S("let*-values")
QUASIQUOTE, UNQUOTE, UNQUOTE_SPLICING, ARROW = S("quasiquote"), S("unquote"), S("unquote-splicing"), S("=>")
DELAY, DELAY_FORCE = S("delay"), S("delay-force")
# Macros the random programs define with syntax-rules (test_procedures.MACROS), known here by their meaning.
MY_OR, SWAP, DEFINE_SYNTAX = S("my-or"), S("swap!"), S("define-syntax")
UNASSIGNED = object()


class Raised(Exception):
    """A Scheme ``raise`` travelling up the Python stack."""

    def __init__(self, payload) -> None:
        super().__init__(payload)
        self.payload = payload


class Fault:
    """A runtime fault (wrong type, arity, unbound name): raised like a payload, but no symbol or number."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


class Values:
    """What ``values`` returns for other than one value."""

    def __init__(self, items) -> None:
        self.items = list(items)


class Promise:
    """A promise: ``done`` and its value, or the expression and environment still to evaluate."""

    def __init__(self, done: bool, value, environment=None, is_delay_force: bool = False) -> None:
        self.done, self.value, self.environment, self.is_delay_force = done, value, environment, is_delay_force


def force(promise):
    """R7RS's iterative force: a delay-force chain runs in constant stack."""
    if type(promise) is not Promise:
        return promise
    while not promise.done:
        if not promise.is_delay_force:
            value = evaluate(promise.value, promise.environment)
            if not promise.done:
                promise.done, promise.value = True, value
            break
        inner = evaluate(promise.value, promise.environment)
        if type(inner) is not Promise:
            raise Raised(Fault("wrong-type"))
        if not promise.done:
            promise.done, promise.value = inner.done, inner.value
            promise.environment, promise.is_delay_force = inner.environment, inner.is_delay_force
    return promise.value


class Procedure:
    def __init__(self, parameters, body, environment, name="lambda") -> None:
        self.parameters = parameters  # a list of Symbols
        self.body = body  # a list of forms
        self.environment = environment
        self.name = name


class Environment:
    def __init__(self, names=(), values=(), parent=None) -> None:
        self.table = dict(zip(names, values))
        self.parent = parent

    def find(self, name):
        environment = self
        while environment is not None:
            if name in environment.table:
                return environment
            environment = environment.parent
        raise Raised(Fault("unbound-variable"))


def to_list(form) -> list:
    items = []
    while form is not NIL:
        items.append(form.car)
        form = form.cdr
    return items


def from_list(items, tail=NIL):
    result = tail
    for item in reversed(items):
        result = Pair(item, result)
    return result


def check_int(*values):
    for value in values:
        if type(value) is not int:
            raise Raised(Fault("wrong-type"))


def builtin_car(pair):
    if not isinstance(pair, Pair):
        raise Raised(Fault("wrong-type"))
    return pair.car


def builtin_cdr(pair):
    if not isinstance(pair, Pair):
        raise Raised(Fault("wrong-type"))
    return pair.cdr


def builtin_add(*values):
    check_int(*values)
    return sum(values)


def builtin_subtract(first, *rest):
    check_int(first, *rest)
    return -first if not rest else first - sum(rest)


def builtin_multiply(*values):
    check_int(*values)
    product = 1
    for value in values:
        product *= value
    return product


def compare(test):
    def builtin(first, second):
        check_int(first, second)
        return test(first, second)
    return builtin


def builtin_length(items):
    count = 0
    while isinstance(items, Pair):
        count += 1
        items = items.cdr
    return count


def builtin_raise(payload):
    raise Raised(payload)


def is_eqv(left, right) -> bool:
    return left is right or (type(left) is type(right) and type(left) in (int, Symbol) and left == right)


def global_environment(output: list) -> Environment:
    def display(value):
        output.append(write(value))
        return None

    table = {
        "+": builtin_add, "-": builtin_subtract, "*": builtin_multiply,
        "<": compare(lambda a, b: a < b), ">": compare(lambda a, b: a > b), "=": compare(lambda a, b: a == b),
        "car": builtin_car, "cdr": builtin_cdr, "cons": lambda a, b: Pair(a, b),
        "list": lambda *items: from_list(list(items)), "length": builtin_length,
        "null?": lambda x: x is NIL, "pair?": lambda x: isinstance(x, Pair), "not": lambda x: x is False,
        "symbol?": lambda x: type(x) is Symbol, "number?": lambda x: type(x) is int,
        "eq?": is_eqv, "eqv?": is_eqv, "zero?": lambda x: check_int(x) or x == 0,
        "raise": builtin_raise, "display": display,
        "values": lambda *items: items[0] if len(items) == 1 else Values(items), "force": force,
        "make-promise": lambda value: value if type(value) is Promise else Promise(True, value),
    }
    return Environment([Symbol(name) for name in table], list(table.values()))


def write(value) -> str:
    """The text ``display`` shows for the values the programs use."""
    if value is True:
        return "#t"
    if value is False:
        return "#f"
    if value is NIL:
        return "()"
    if isinstance(value, Pair):
        parts = []
        while isinstance(value, Pair):
            parts.append(write(value.car))
            value = value.cdr
        tail = "" if value is NIL else " . " + write(value)
        return "(" + " ".join(parts) + tail + ")"
    if type(value) is Symbol:
        return value.name
    return str(value)


def apply(procedure, arguments):
    if type(procedure) is Procedure:
        if len(arguments) != len(procedure.parameters):
            raise Raised(Fault("arity"))
        environment = Environment(procedure.parameters, arguments, procedure.environment)
        return evaluate_body(procedure.body, environment)
    if callable(procedure):
        try:
            return procedure(*arguments)
        except TypeError:  # a builtin given the wrong number of arguments
            raise Raised(Fault("arity")) from None
    raise Raised(Fault("not-a-procedure"))


def values_list(value) -> list:
    return value.items if type(value) is Values else [value]


def bind_formals(formals, value, table) -> None:
    """Bind ``(a b . rest)`` (or a single name for all) to the values ``value`` stands for."""
    items = values_list(value)
    while isinstance(formals, Pair):
        if not items:
            raise Raised(Fault("arity"))
        table[formals.car] = items.pop(0)
        formals = formals.cdr
    if formals is NIL:
        if items:
            raise Raised(Fault("arity"))
    else:
        table[formals] = from_list(items)


def quasi(template, depth, environment):
    """A quasiquote template built at nesting ``depth`` (sxflow builds a list's tail first, then its items from the last)."""
    if isinstance(template, Pair):
        if template.car is UNQUOTE:
            if depth == 1:
                return evaluate(template.cdr.car, environment)
            return from_list([UNQUOTE, quasi(template.cdr.car, depth - 1, environment)])
        if template.car is QUASIQUOTE:
            return from_list([QUASIQUOTE, quasi(template.cdr.car, depth + 1, environment)])
        items = []
        while isinstance(template, Pair) and template.car is not UNQUOTE:
            items.append(template.car)
            template = template.cdr
        result = quasi(template, depth, environment)
        for item in reversed(items):
            if isinstance(item, Pair) and item.car is UNQUOTE_SPLICING and depth == 1:
                result = from_list(to_list(evaluate(item.cdr.car, environment)), result)
            elif isinstance(item, Pair) and item.car is UNQUOTE_SPLICING:
                result = Pair(from_list([UNQUOTE_SPLICING, quasi(item.cdr.car, depth - 1, environment)]), result)
            else:
                result = Pair(quasi(item, depth, environment), result)
        return result
    return template


def lookup(name, environment):
    value = environment.find(name).table[name]
    if value is UNASSIGNED:
        raise Raised(Fault("unassigned"))
    return value


def evaluate_body(forms, environment):
    for form in forms[:-1]:
        evaluate(form, environment)
    return evaluate(forms[-1], environment)


def evaluate(form, environment):
    """The value of ``form``; forms in tail position loop here instead of recursing."""
    while True:
        if type(form) is Symbol:
            return lookup(form, environment)
        if not isinstance(form, Pair):
            return form
        head, items = form.car, to_list(form.cdr)
        if head is QUOTE:
            return items[0]
        if head is QUASIQUOTE:
            return quasi(items[0], 1, environment)
        if head is DEFINE_SYNTAX:
            return None  # the macros are known by their meaning (MY_OR, SWAP)
        if head is MY_OR:
            form = Pair(OR, form.cdr)
            continue
        if head is SWAP:
            first, second = environment.find(items[0]).table, environment.find(items[1]).table
            first[items[0]], second[items[1]] = lookup(items[1], environment), lookup(items[0], environment)
            return None
        if head is DELAY or head is DELAY_FORCE:
            return Promise(False, items[0], environment, head is DELAY_FORCE)
        if head is LETREC or head is LETREC_STAR:  # inits in order, each name unassigned until its init ran
            bindings = to_list(items[0])
            environment = Environment([b.car for b in bindings], [UNASSIGNED] * len(bindings), environment)
            for binding in bindings:
                environment.table[binding.car] = evaluate(binding.cdr.car, environment)
            form = Pair(BEGIN, from_list(items[1:]))
            continue
        if head is LET_VALUES or head is LET_STAR_VALUES:
            inner = Environment([], [], environment)
            for binding in to_list(items[0]):
                value = evaluate(binding.cdr.car, inner if head is LET_STAR_VALUES else environment)
                if head is LET_STAR_VALUES:
                    inner = Environment([], [], inner)
                bind_formals(binding.car, value, inner.table)
            environment = inner
            form = Pair(BEGIN, from_list(items[1:]))
            continue
        if head is IF:
            if evaluate(items[0], environment) is not False:
                form = items[1]
            elif len(items) == 3:
                form = items[2]
            else:
                return None
            continue
        if head is DEFINE:
            if isinstance(items[0], Pair):  # (define (name parameter...) body...)
                name = items[0].car
                value = Procedure(to_list(items[0].cdr), items[1:], environment, name.name)
            else:
                name, value = items[0], evaluate(items[1], environment)
            environment.table[name] = value
            return None
        if head is SET:
            environment.find(items[0]).table[items[0]] = evaluate(items[1], environment)
            return None
        if head is LAMBDA:
            return Procedure(to_list(items[0]), items[1:], environment)
        if head is LET and type(items[0]) is Symbol:  # named let
            name, bindings, body = items[0], to_list(items[1]), items[2:]
            loop_environment = Environment([name], [None], environment)
            procedure = Procedure([b.car for b in bindings], body, loop_environment, name.name)
            loop_environment.table[name] = procedure
            arguments = [evaluate(b.cdr.car, environment) for b in bindings]
            environment = Environment(procedure.parameters, arguments, loop_environment)
            form = from_list(body, NIL)
            form = Pair(BEGIN, form)
            continue
        if head is LET:
            bindings = to_list(items[0])
            values = [evaluate(b.cdr.car, environment) for b in bindings]
            environment = Environment([b.car for b in bindings], values, environment)
            form = Pair(BEGIN, from_list(items[1:]))
            continue
        if head is LET_STAR:
            for binding in to_list(items[0]):
                environment = Environment([binding.car], [evaluate(binding.cdr.car, environment)], environment)
            form = Pair(BEGIN, from_list(items[1:]))
            continue
        if head is BEGIN:
            if not items:
                return None
            for item in items[:-1]:
                evaluate(item, environment)
            form = items[-1]
            continue
        if head is WHEN or head is UNLESS:
            test = evaluate(items[0], environment) is not False
            if test != (head is WHEN):
                return None
            form = Pair(BEGIN, from_list(items[1:]))
            continue
        if head is AND or head is OR:
            if not items:
                return head is AND
            for item in items[:-1]:
                value = evaluate(item, environment)
                if (value is False) == (head is AND):
                    return value
            form = items[-1]
            continue
        if head is COND:
            for clause in items:
                parts = to_list(clause)
                if parts[0] is ELSE:
                    break
                value = evaluate(parts[0], environment)
                if value is not False:
                    if len(parts) == 1:
                        return value
                    if parts[1] is ARROW:
                        return apply(evaluate(parts[2], environment), [value])
                    break
            else:
                return None
            form = Pair(BEGIN, from_list(parts[1:]))
            continue
        if head is CASE:  # (case key ((datum...) body...)... [(else body...)]), data compared by eqv
            key = evaluate(items[0], environment)
            for clause in items[1:]:
                parts = to_list(clause)
                if parts[0] is ELSE or any(is_eqv(datum, key) for datum in to_list(parts[0])):
                    break
            else:
                return None
            if parts[1] is ARROW:
                return apply(evaluate(parts[2], environment), [key])
            form = Pair(BEGIN, from_list(parts[1:]))
            continue
        if head is DO:  # (do ((variable init [step])...) (test result...) body...): fresh bindings each turn
            specs = [to_list(spec) for spec in to_list(items[0])]
            exit_parts = to_list(items[1])
            names = [spec[0] for spec in specs]
            loop_environment = Environment(names, [evaluate(spec[1], environment) for spec in specs], environment)
            while evaluate(exit_parts[0], loop_environment) is False:
                for body_form in items[2:]:
                    evaluate(body_form, loop_environment)
                values = [evaluate(spec[2], loop_environment) if len(spec) == 3 else loop_environment.table[spec[0]]
                          for spec in specs]
                loop_environment = Environment(names, values, environment)
            if len(exit_parts) == 1:
                return None
            environment = loop_environment
            form = Pair(BEGIN, from_list(exit_parts[1:]))
            continue
        if head is GUARD:  # (guard (variable clause...) body...), clauses like cond, re-raise when none fits
            variable, clauses = items[0].car, to_list(items[0].cdr)
            try:
                return evaluate_body(items[1:], environment)
            except Raised as raised:
                handler_environment = Environment([variable], [raised.payload], environment)
                for clause in clauses:
                    parts = to_list(clause)
                    if parts[0] is ELSE:
                        return evaluate_body(parts[1:], handler_environment)
                    value = evaluate(parts[0], handler_environment)
                    if value is not False:
                        if len(parts) == 1:
                            return value
                        if parts[1] is ARROW:
                            return apply(evaluate(parts[2], handler_environment), [value])
                        return evaluate_body(parts[1:], handler_environment)
                raise
        procedure = evaluate(head, environment)
        arguments = [evaluate(item, environment) for item in items]
        if type(procedure) is Procedure:
            if len(arguments) != len(procedure.parameters):
                raise Raised(Fault("arity"))
            environment = Environment(procedure.parameters, arguments, procedure.environment)
            form = Pair(BEGIN, from_list(procedure.body))
            continue
        return apply(procedure, arguments)


def run_program(forms) -> tuple:
    """``("value", last value, output)`` or ``("raised", payload, output)`` for a list of forms."""
    output: list = []
    environment = global_environment(output)
    value = None
    try:
        for form in forms:
            value = evaluate(form, environment)
    except Raised as raised:
        return ("raised", raised.payload, "".join(output))
    return ("value", value, "".join(output))
