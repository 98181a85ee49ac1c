"""The compiler: walks data once, checks each form's shape, resolves variables, and returns Python closures.

Every compiled node is a plain function ``node(frame)``. A frame is a Python list
``[enclosing_frame, slot1, slot2, ...]``; a local variable is resolved here to
(depth, index), a global to its environment cell. Special forms live in the
``SPECIAL_FORMS`` table, each handler written next to the syntax it accepts.
A name bound locally shadows a special form of the same name.
"""

from __future__ import annotations

import sys

from .data import Char, MultipleValues, NIL, Pair, SourcePair, Symbol, UNASSIGNED, Vector, is_eqv, list_to_python, make_list
from .dynamic import current
from .errors import SchemeError, SxSyntaxError
from .printer import display_string, write_string
from .promises import Promise
from .runtime import (
    UNBOUND,
    call_other,
    call_other_tail,
    Environment,
    Site,
    TailCall,
    call_python,
    complete,
    fault,
    unassigned_variable,
    unbound_variable,
)
from . import procedures, specialize
from .limits import check_form
from .macros import Macro, parse_syntax_rules, root_of, strip_syntax

SPECIAL_FORMS: dict[Symbol, object] = {}

S = Symbol
QUOTE, QUASIQUOTE, UNQUOTE, UNQUOTE_SPLICING = S("quote"), S("quasiquote"), S("unquote"), S("unquote-splicing")
DEFINE, BEGIN, ELSE, ARROW, DEFINE_VALUES, LAMBDA = S("define"), S("begin"), S("else"), S("=>"), S("define-values"), S("lambda")
UNLESS = S("unless")
MACRO_DEFINERS = frozenset((S("define-syntax"), S("let-syntax"), S("letrec-syntax")))


def special_form(*names: str, shape: str):
    """Register a special-form handler under each name; ``shape`` is shown when a use is malformed."""

    def register(handler):
        handler.shape = shape
        for name in names:
            SPECIAL_FORMS[Symbol(name)] = handler
        return handler

    return register


class Scope:
    """One runtime frame at compile time: the slot index of each name, and which slots may be unassigned.

    A name bound by ``define-syntax``, ``let-syntax`` or ``letrec-syntax`` maps to its
    Macro instead of a slot (it has no runtime value); ``size`` counts the slots.
    """

    __slots__ = ("names", "parent", "late", "size", "bound")

    def __init__(self, names, parent: "Scope | None", late=()) -> None:
        self.names: dict = {}
        self.size = 0
        # Every name bound by any scope of this top-level form (shared): a plain name not in
        # it is global without walking the chain, so deep nesting compiles in linear time.
        self.bound = parent.bound if parent is not None else set()
        for name in names:
            self.add(name)
        self.parent = parent
        self.late = set(late)  # letrec and internal-define names: read before set is an error

    def add(self, name) -> int:
        index = self.names.get(name)
        if type(index) is not int:
            self.size += 1
            index = self.names[name] = self.size
            self.bound.add(name)
        return index


def resolve(name, scope: Scope | None):
    """(depth, index, scope) of a local variable (index is a Macro for a local macro), or None for a global.

    An alias made by a macro expansion is looked up as itself first (the expansion may
    bind it), and from the scope of its macro's definition outward as the name it stands
    for (see sxflow.macros).
    """
    if scope is None or (name.alias is None and name not in scope.bound):
        return None
    depth = 0
    renaming = name.alias
    while scope is not None:
        index = scope.names.get(name)
        if index is not None:
            return depth, index, scope
        if renaming is not None and renaming.scope is scope:
            name = renaming.original
            renaming = name.alias
            continue
        scope = scope.parent
        depth += 1
    return None


def is_keyword(form, keyword: Symbol, scope) -> bool:
    """Whether ``form`` is the identifier ``keyword`` (plain or renamed by a macro) and not bound locally."""
    return type(form) is Symbol and root_of(form) is keyword and resolve(form, scope) is None


def position_of(form, fallback):
    return form.position if type(form) is SourcePair else fallback


def syntax_error(message: str, position) -> SxSyntaxError:
    return SxSyntaxError(message, position)


def cells_with_positions(form, fallback):
    """The elements of a proper list form with the position of each; a dotted list is a syntax error."""
    items = []
    position = position_of(form, fallback)
    cell = form
    tortoise, steps, power = form, 0, 1  # Brent's cycle check: a circular form cannot loop here
    while isinstance(cell, Pair):
        items.append((cell.car, position_of(cell, position) if cell is not form else position))
        cell = cell.cdr
        if cell is tortoise:
            raise syntax_error("not a proper list: a form's cdr chain comes back on itself (a circular list)",
                               position)
        steps += 1
        if steps == power:
            tortoise, steps, power = cell, 0, power * 2
    if cell is not NIL:
        raise syntax_error("a form must be a proper list, not a dotted one", position)
    return items


def write_head(form) -> str:
    head = form.car if isinstance(form, Pair) else form
    return head.name if type(head) is Symbol else "a macro"


def form_error(handler, form, position, detail: str = "") -> SxSyntaxError:
    text = write_string(form)
    if len(text) > 60:
        text = text[:57] + "..."
    extra = f": {detail}" if detail else ""
    return syntax_error(f"bad syntax{extra}; expected {handler.shape}, got {text}", position)


# ---------------------------------------------------------------------------
# Nodes for the basic expressions


def constant_node(value):
    def node(frame):
        return value

    node.kind = "constant"
    node.value = value
    return node


def local_node(name, depth: int, index: int, checked: bool, position):
    if checked:
        # A letrec/internal-define slot: reading it before its definition ran is an error.
        def node(frame):
            for _ in range(depth):
                frame = frame[0]
            value = frame[index]
            if value is UNASSIGNED:
                raise unassigned_variable(name, position)
            return value

        return node
    if depth == 0:
        def node(frame):
            return frame[index]

        node.kind = "local"
        node.index = index
    elif depth == 1:
        def node(frame):
            return frame[0][index]

        node.kind = "local1"
        node.index = index
    elif depth == 2:
        def node(frame):
            return frame[0][0][index]
    else:
        def node(frame):
            for _ in range(depth):
                frame = frame[0]
            return frame[index]
    return node


def global_node(name, cell, environment, position):
    namespace = environment.namespace
    key = cell.key

    def node(frame):
        try:
            return namespace[key]
        except KeyError:
            raise unbound_variable(name, environment, position) from None

    node.kind = "global"
    node.cell = cell
    return node


def sequence_node(nodes):
    if len(nodes) == 1:
        return nodes[0]
    if len(nodes) == 2:
        first, second = nodes

        def node(frame):
            first(frame)
            return second(frame)

        return node
    leading, last = tuple(nodes[:-1]), nodes[-1]

    def node(frame):
        for step in leading:
            step(frame)
        return last(frame)

    return node


# ---------------------------------------------------------------------------
# The compiler


def run_forms(forms, environment: Environment, positions=None):
    """Compile and run each form in turn in ``environment`` (each compiled just before it
    runs, so it sees what the earlier ones defined); the value of the last one.

    ``positions``, when given, holds the source position of each form.
    """
    compiler = Compiler(environment)
    result = None
    for index, form in enumerate(forms):
        node = compiler.compile_toplevel(form, positions[index] if positions else None)
        result = complete(node(None))
    return result


class Compiler:
    """Compiles forms for one global environment."""

    # Scope analysis reporting (sxflow check): an object told of every global this compiler
    # resolves, as ``observer.global_name(name, position, scope, defining)``; None: nobody asks.
    observer = None

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.expansion_depth = 0

    def compile_toplevel(self, form, position=None):
        check_form(form, position, self.is_macro_use)  # cycles and runaway nesting fail here, before compiling
        return self.compile(form, None, False, position)

    def is_macro_use(self, head: Symbol) -> bool:
        """Whether a form starting with ``head`` is left to a macro (or defines one), unchecked."""
        if head in MACRO_DEFINERS:
            return True
        return isinstance(self.environment.get(root_of(head)), Macro)

    def compile(self, form, scope: Scope | None, tail: bool, position):
        if type(form) is Symbol:
            return self.compile_variable(form, scope, position)
        if isinstance(form, Pair):
            position = position_of(form, position)
            head = form.car
            if type(head) is Symbol:
                meaning = self.keyword_meaning(head, scope)
                if meaning is not None:
                    if isinstance(meaning, Macro):
                        return self.compile_macro_use(meaning, form, scope, tail, position)
                    if head.alias is not None:  # a renamed keyword: handlers look at the plain one
                        form = SourcePair(head.alias.root, form.cdr, position)
                    return meaning(self, form, scope, tail, position)
            return self.compile_application(form, scope, tail, position)
        if form is NIL:
            raise syntax_error("() is not an expression; quote it: '()", position)
        # R7RS: vectors are self-evaluating, like numbers, strings and characters.
        return constant_node(strip_syntax(form) if type(form) is Vector else form)

    def keyword_meaning(self, name: Symbol, scope):
        """The Macro or special-form handler ``name`` stands for at the head of a form, or None."""
        found = resolve(name, scope)
        if found is not None:
            return found[1] if isinstance(found[1], Macro) else None
        root = root_of(name)
        value = self.environment.get(root)
        if isinstance(value, Macro):
            return value
        return SPECIAL_FORMS.get(root)

    def binding_key(self, name: Symbol, scope):
        """What ``name`` refers to in ``scope``, comparable across scopes (free-identifier=?)."""
        found = resolve(name, scope)
        if found is None:
            return ("global", root_of(name))
        _, index, owner = found
        return ("local", id(owner), index if type(index) is int else id(index))

    # Nested expansions deeper than this are a macro that never stops expanding.
    MAX_EXPANSION_DEPTH = 10_000

    def expand_use(self, macro, form, scope, position):
        """A macro use's expansion; expansions nested too deep (the caller counts them) are a syntax error."""
        if self.expansion_depth >= self.MAX_EXPANSION_DEPTH:
            raise syntax_error(f"macro expansion too deep in {macro.name} "
                               "(a macro that keeps expanding into itself?)", position)
        return macro.expand(form, scope, self, position)

    def compile_macro_use(self, macro, form, scope, tail, position):
        """Expand a macro use (again while the result is a macro use) and compile the expansion."""
        expansion = self.expand_use(macro, form, scope, position)
        depth = self.expansion_depth
        self.expansion_depth = depth + 1
        try:
            return self.compile(expansion, scope, tail, position)
        finally:
            self.expansion_depth = depth

    def compile_variable(self, name, scope, position):
        found = resolve(name, scope)
        if found is None:
            root = root_of(name)
            if self.observer is not None:
                self.observer.global_name(root, position, scope, False)
            cell = self.environment.cell(root)
            if isinstance(cell.value, Macro):
                raise syntax_error(f"{root.name} is a macro keyword, not a variable", position)
            return global_node(root, cell, self.environment, position)
        depth, index, owner = found
        if type(index) is not int:
            raise syntax_error(f"{name.name} is a macro keyword, not a variable", position)
        return local_node(name, depth, index, name in owner.late, position)

    def compile_body(self, forms, scope, tail: bool, position):
        """A sequence of expressions (a lambda or let body); each item is ``(form, position)``."""
        if not forms:
            raise syntax_error("empty body: expected at least one expression", position)
        nodes = [self.compile(form, scope, False, where) for form, where in forms[:-1]]
        last_form, last_position = forms[-1]
        nodes.append(self.compile(last_form, scope, tail, last_position))
        return sequence_node(nodes)

    def compile_application(self, form, scope, tail, position):
        items = cells_with_positions(form, position)
        operator_form, operator_position = items[0]
        operand_nodes = [self.compile(item, scope, False, where) for item, where in items[1:]]
        site = Site(position, form, self.environment)
        if type(operator_form) is Symbol and resolve(operator_form, scope) is None:
            operator_form = root_of(operator_form)
            if self.observer is not None:
                self.observer.global_name(operator_form, operator_position, scope, False)
            cell = self.environment.cell(operator_form)
            inline = specialize.INLINE_PRIMITIVES.get((operator_form, len(operand_nodes)))
            if inline is not None and specialize.constants_fit(inline[1], operand_nodes):
                builtin, guard, expression = inline
                check = specialize.INLINE_CHECKS.get((operator_form, len(operand_nodes)))
                return specialize.primitive_node(operand_nodes, site, tail, cell, builtin, guard, expression, check)
            return specialize.call_node(None, operand_nodes, site, tail, operator_cell=cell)
        operator = self.compile(operator_form, scope, False, operator_position)
        return specialize.call_node(operator, operand_nodes, site, tail)

    # -- lambda ---------------------------------------------------------------

    def parse_parameters(self, parameters, position, handler, form):
        names = []
        rest = None
        cell = parameters
        while isinstance(cell, Pair):
            if type(cell.car) is not Symbol:
                raise form_error(handler, form, position, "parameters must be symbols")
            names.append(cell.car)
            cell = cell.cdr
        if cell is not NIL:
            if type(cell) is not Symbol:
                raise form_error(handler, form, position, "parameters must be symbols")
            rest = cell
        all_names = names + ([rest] if rest is not None else [])
        if len(set(all_names)) != len(all_names):
            raise form_error(handler, form, position, "a parameter name appears twice")
        return names, rest

    def make_lambda(self, parameters, body_items, scope, position, name, handler, form):
        """A node that makes a closure; ``body_items`` are (form, position) pairs.

        The node is ``make(frame)``, returning the procedure (a plain Python function).
        Each procedure is compiled once: written as one Python function by procedures.py,
        which checks every form it writes with the shape functions of this module, or,
        when it declines the body, compiled to nodes here. A lambda written into its
        enclosing procedure's source never comes here at all.
        """
        names, rest = self.parse_parameters(parameters, position, handler, form)
        if self.observer is None:
            # With an observer (sxflow check, which runs nothing) the nodes' scope analysis
            # is what it listens to, so only the nodes are compiled.
            make = procedures.compile_procedure(self, names, rest, body_items, scope, position, name)
            if make is not None:
                return make
        frame_names = names + ([rest] if rest is not None else [])
        body = self.compile_scope_body(frame_names, body_items, scope, position)
        return procedures.node_procedure(body, len(names), rest is not None, name, position, self.environment)

    def compile_scope_body(self, frame_names, body_items, scope, position, late=(), tail=True, prepare=None):
        """Compile a body in a new frame holding ``frame_names`` plus its internal definitions.

        The returned node expects a frame with the ``frame_names`` slots filled; it
        appends the slots of internal definitions itself. ``prepare(new_scope)``, when
        given, runs first (let-syntax binds its macros there).
        """
        new_scope = Scope(frame_names, scope, late=late)
        if prepare is not None:
            prepare(new_scope)
        body_items = self.expand_body(body_items, new_scope)
        body = self.compile_body(body_items, new_scope, tail, position)
        extra = new_scope.size - len(frame_names)
        if extra == 0:
            return body
        padding = [UNASSIGNED] * extra

        def padded(frame):
            frame += padding
            return body(frame)

        return padded

    def expand_body(self, body_items, scope) -> list:
        """The forms of a body ready to compile in ``scope``, its definitions added to ``scope``.

        Macro uses at the body's top level are expanded (a macro may expand into
        definitions), ``begin`` is spliced, ``define-syntax`` binds its macro in ``scope``
        and is dropped, and each name ``define``/``define-values`` defines becomes a slot.
        """
        result = []
        pending = list(reversed(body_items))
        while pending:
            form, where = pending.pop()
            handler = None
            expansions = 0
            while isinstance(form, Pair) and type(form.car) is Symbol:
                meaning = self.keyword_meaning(form.car, scope)
                rewrite = getattr(meaning, "rewrite", None)  # a definition form written in terms of others
                if not isinstance(meaning, Macro) and rewrite is None:
                    handler = meaning
                    break
                where = position_of(form, where)
                expansions += 1
                if expansions > self.MAX_EXPANSION_DEPTH:
                    raise syntax_error(f"macro expansion too deep in {write_head(form)} "
                                       "(a macro that keeps expanding into itself?)", where)
                form = meaning.expand(form, scope, self, where) if rewrite is None else rewrite(self, form, scope, where)
            if handler is compile_begin and form.cdr is not NIL:
                pending.extend(reversed(cells_with_positions(form, where)[1:]))
                continue
            if handler is compile_define_syntax:
                define_local_syntax(self, form, scope, position_of(form, where))
                continue
            if handler is compile_define and isinstance(form.cdr, Pair):
                target = form.cdr.car
                while isinstance(target, Pair):  # (define ((curried a) b) ...)
                    target = target.car
                if type(target) is Symbol:
                    scope.add(target)
                    scope.late.add(target)
            elif handler is compile_define_values and isinstance(form.cdr, Pair):
                formals = form.cdr.car
                while isinstance(formals, Pair):
                    if type(formals.car) is Symbol:
                        scope.add(formals.car)
                        scope.late.add(formals.car)
                    formals = formals.cdr
                if type(formals) is Symbol:
                    scope.add(formals)
                    scope.late.add(formals)
            result.append((form, where))
        return result

    def body_may_define(self, body_items, scope) -> bool:
        """Whether a body may hold definitions (a definition form, a begin or a macro use at its top)."""
        for form, _ in body_items:
            if isinstance(form, Pair) and type(form.car) is Symbol:
                meaning = self.keyword_meaning(form.car, scope)
                if (isinstance(meaning, Macro) or meaning in (compile_define, compile_define_values, compile_begin,
                                                               compile_define_syntax)
                        or getattr(meaning, "rewrite", None) is not None):
                    return True
        return False

    # -- assignment -----------------------------------------------------------

    def setter(self, name, scope, position, defining: bool):
        """A function ``set(frame, value)`` for a variable; a global cell when not local."""
        found = resolve(name, scope)
        if found is None:
            name = root_of(name)  # a top-level definition a macro introduces defines the plain name
            if self.observer is not None:
                self.observer.global_name(name, position, scope, defining)
            cell = self.environment.cell(name)
            if defining:
                def assign(frame, value):
                    cell.value = value
            else:
                if isinstance(cell.value, Macro):
                    raise syntax_error(f"set!: {name.name} is a macro keyword, not a variable", position)

                def assign(frame, value):
                    if cell.value is UNBOUND:
                        raise fault(f"set!: unbound variable: {name.name}", kind="unbound-variable",
                                    position=position)
                    cell.value = value
            return assign
        depth, index, _ = found
        if type(index) is not int:
            raise syntax_error(f"set!: {name.name} is a macro keyword, not a variable", position)
        if depth == 0:
            def assign(frame, value):
                frame[index] = value
        else:
            def assign(frame, value):
                for _ in range(depth):
                    frame = frame[0]
                frame[index] = value
        return assign


# ---------------------------------------------------------------------------
# Special forms. Each handler gets (compiler, form, scope, tail, position).


def arguments_of(form, position, handler, minimum: int, maximum: int | None = None):
    """The operands of a form as (item, position) pairs, checking their count."""
    items = cells_with_positions(form, position)[1:]
    if len(items) < minimum or (maximum is not None and len(items) > maximum):
        raise form_error(handler, form, position)
    return items


@special_form("quote", shape="(quote datum)")
def compile_quote(compiler, form, scope, tail, position):
    (datum, _), = arguments_of(form, position, compile_quote, 1, 1)
    return constant_node(strip_syntax(datum))


def if_shape(form, position):
    """The two or three operands of ``(if test consequent [alternative])``, checked."""
    return arguments_of(form, position, compile_if, 2, 3)


@special_form("if", shape="(if test consequent [alternative])")
def compile_if(compiler, form, scope, tail, position):
    items = if_shape(form, position)
    test = compiler.compile(items[0][0], scope, False, items[0][1])
    consequent = compiler.compile(items[1][0], scope, tail, items[1][1])
    if len(items) == 3:
        alternative = compiler.compile(items[2][0], scope, tail, items[2][1])
    else:
        alternative = constant_node(None)
    return specialize.if_node(test, consequent, alternative, tail, position)


def define_shape(form, position):
    """``(define name [value])`` or ``(define (name . parameters) body...)``, checked.

    ``(name, parameters, body items)`` for a procedure (a curried define's inner
    procedures made lambdas of its body), ``(name, None, value items)`` for a variable
    (no value item, or one).
    """
    items = arguments_of(form, position, compile_define, 1)
    target, target_position = items[0]
    if isinstance(target, Pair):
        # (define (name . parameters) body...), and curried (define ((name a) b) ...)
        if len(items) < 2:
            raise form_error(compile_define, form, position, "a procedure needs a body")
        parameters = target.cdr
        name = target.car
        body_items = items[1:]
        while isinstance(name, Pair):
            body_items = [(Pair(LAMBDA, Pair(parameters, make_list([item for item, _ in body_items]))), position)]
            parameters = name.cdr
            name = name.car
        if type(name) is not Symbol:
            raise form_error(compile_define, form, position, "the name must be a symbol")
        return name, parameters, body_items
    if type(target) is not Symbol:
        raise form_error(compile_define, form, position, "the name must be a symbol")
    if len(items) > 2:
        raise form_error(compile_define, form, position)
    return target, None, items[1:]


@special_form("define", shape="(define name value) or (define (name . parameters) body...)")
def compile_define(compiler, form, scope, tail, position):
    name, parameters, items = define_shape(form, position)
    assign = definer(compiler, name, scope, position)
    if parameters is not None:
        value = compiler.make_lambda(parameters, items, scope, position, name.name, compile_define, form)
    elif not items:
        value = constant_node(None)
    else:
        value = compile_named(compiler, items[0][0], scope, items[0][1], name.name)

    def node(frame):
        assign(frame, value(frame))
        return None

    return node


def definer(compiler, name, scope, position):
    if scope is not None and name not in scope.names:
        raise syntax_error(f"define: {name.name} is defined where definitions are not allowed "
                           "(only at top level or at the start of a body)", position)
    return compiler.setter(name, scope, position, defining=True)


def compile_named(compiler, form, scope, position, name):
    """Compile a value expression, naming the closure when it is a lambda (for messages)."""
    if isinstance(form, Pair) and root_of(form.car) in (LAMBDA, FN) and resolve(form.car, scope) is None:
        parameters, body_items = lambda_shape(form, position_of(form, position))
        return compiler.make_lambda(parameters, body_items, scope, position_of(form, position),
                                    name, compile_lambda, form)
    if isinstance(form, Pair) and type(form.car) is Symbol:
        # Another form that makes a procedure (case-lambda) may take the name too.
        named = getattr(compiler.keyword_meaning(form.car, scope), "named", None)
        if named is not None:
            return named(compiler, form, scope, position_of(form, position), name)
    return compiler.compile(form, scope, False, position)


FN = Symbol("fn")


def lambda_shape(form, position):
    """``(lambda parameters body...)``: its parameters (checked by Compiler.parse_parameters) and body items."""
    items = arguments_of(form, position, compile_lambda, 2)
    return items[0][0], items[1:]


@special_form("lambda", "fn", shape="(lambda parameters body...)")
def compile_lambda(compiler, form, scope, tail, position):
    parameters, body_items = lambda_shape(form, position)
    return compiler.make_lambda(parameters, body_items, scope, position, "lambda", compile_lambda, form)


def set_shape(form, position):
    """``(set! name value)``, checked: the name, and the value's form and position."""
    (name, _), (value_form, value_position) = arguments_of(form, position, compile_set, 2, 2)
    if type(name) is not Symbol:
        raise form_error(compile_set, form, position, "the name must be a symbol")
    return name, value_form, value_position


@special_form("set!", shape="(set! name value)")
def compile_set(compiler, form, scope, tail, position):
    name, value_form, value_position = set_shape(form, position)
    assign = compiler.setter(name, scope, position, defining=False)
    value = compiler.compile(value_form, scope, False, value_position)

    def node(frame):
        assign(frame, value(frame))
        return None

    return node


def sequence_shape(form, position, handler):
    """The operands of ``(begin ...)``, ``(and ...)``, ``(or ...)`` or ``(cond ...)``: any number, a proper list."""
    return arguments_of(form, position, handler, 0)


@special_form("begin", shape="(begin expression...)")
def compile_begin(compiler, form, scope, tail, position):
    items = sequence_shape(form, position, compile_begin)
    if not items:
        return constant_node(None)
    return compiler.compile_body(items, scope, tail, position)


def binding_pairs(compiler, bindings, position, handler, form):
    """Parse ((name init) ...) into (name, init form, init position) triples."""
    result = []
    for binding, where in cells_with_positions(bindings, position) if bindings is not NIL else []:
        if not isinstance(binding, Pair) or type(binding.car) is not Symbol:
            raise form_error(handler, form, where, "each binding is (name value)")
        parts = cells_with_positions(binding, where)
        if len(parts) != 2:
            raise form_error(handler, form, where, "each binding is (name value)")
        result.append((binding.car, parts[1][0], parts[1][1]))
    names = [name for name, _, _ in result]
    if len(set(names)) != len(names):
        raise form_error(handler, form, position, "a name is bound twice")
    return result


def let_shape(form, position):
    """``(let [name] ((name value)...) body...)``, checked: (loop name or None, bindings, body items)."""
    items = arguments_of(form, position, compile_let, 2)
    if type(items[0][0]) is Symbol:
        if len(items) < 3:
            raise form_error(compile_let, form, position)
        return items[0][0], binding_pairs(None, items[1][0], position, compile_let, form), items[2:]
    return None, binding_pairs(None, items[0][0], position, compile_let, form), items[1:]


@special_form("let", shape="(let ((name value)...) body...) or (let loop ((name value)...) body...)")
def compile_let(compiler, form, scope, tail, position):
    loop_name, bindings, body_items = let_shape(form, position)
    if loop_name is not None:
        return compile_named_let(compiler, form, scope, tail, position, loop_name, bindings, body_items)
    inits = [compiler.compile(init, scope, False, where) for _, init, where in bindings]
    body = compiler.compile_scope_body([name for name, _, _ in bindings], body_items, scope, position, tail=tail)
    return frame_node(inits, body)


def frame_node(inits, body):
    """Evaluate ``inits`` in the current frame, then ``body`` in a new frame holding their values."""
    if len(inits) == 1:
        (init,) = inits

        def node(frame):
            return body([frame, init(frame)])
    elif len(inits) == 2:
        first, second = inits

        def node(frame):
            return body([frame, first(frame), second(frame)])
    else:
        inits = tuple(inits)

        def node(frame):
            new_frame = [frame]
            for init in inits:
                new_frame.append(init(frame))
            return body(new_frame)

    return node


def compile_named_let(compiler, form, scope, tail, position, name, bindings, body_items):
    inits = tuple(compiler.compile(init, scope, False, where) for _, init, where in bindings)
    loop_scope = Scope([name], scope)
    parameters = make_list([binding_name for binding_name, _, _ in bindings])
    make_closure = compiler.make_lambda(parameters, body_items, loop_scope, position, name.name, compile_let, form)

    def node(frame):
        loop_frame = [frame, None]
        closure = make_closure(loop_frame)
        loop_frame[1] = closure
        arguments = [init(frame) for init in inits]
        if tail:
            return TailCall((closure, tuple(arguments), None))
        return complete(call_python(closure, arguments))

    return node


def let_star_shape(form, position):
    """``(let* ((name value)...) body...)``, checked (a name may repeat): (bindings, body items)."""
    items = arguments_of(form, position, compile_let_star, 2)
    return binding_pairs_allow_repeats(items[0][0], position, compile_let_star, form), items[1:]


@special_form("let*", shape="(let* ((name value)...) body...)")
def compile_let_star(compiler, form, scope, tail, position):
    bindings, body_items = let_star_shape(form, position)
    if not bindings:
        body = compiler.compile_scope_body([], body_items, scope, position, tail=tail)
        return lambda frame: body([frame])
    # Nest one frame per binding: each init sees the names before it.
    return nested_let_star(compiler, bindings, body_items, scope, position, tail)


def binding_pairs_allow_repeats(bindings, position, handler, form):
    result = []
    for binding, where in cells_with_positions(bindings, position) if bindings is not NIL else []:
        if not isinstance(binding, Pair) or type(binding.car) is not Symbol:
            raise form_error(handler, form, where, "each binding is (name value)")
        parts = cells_with_positions(binding, where)
        if len(parts) != 2:
            raise form_error(handler, form, where, "each binding is (name value)")
        result.append((binding.car, parts[1][0], parts[1][1]))
    return result


def nested_let_star(compiler, bindings, body_items, scope, position, tail):
    (name, init_form, init_position), rest = bindings[0], bindings[1:]
    init = compiler.compile(init_form, scope, False, init_position)
    if rest:
        inner_scope = Scope([name], scope)
        inner = nested_let_star(compiler, rest, body_items, inner_scope, position, tail)
        return lambda frame: inner([frame, init(frame)])
    body = compiler.compile_scope_body([name], body_items, scope, position, tail=tail)
    return lambda frame: body([frame, init(frame)])


def letrec_shape(form, position):
    """The (name, init, position) bindings and the body items of a well-formed letrec (else SxSyntaxError)."""
    items = arguments_of(form, position, compile_letrec, 2)
    return binding_pairs(None, items[0][0], position, compile_letrec, form), items[1:]


@special_form("letrec", "letrec*", shape="(letrec ((name value)...) body...)")
def compile_letrec(compiler, form, scope, tail, position):
    bindings, body_items = letrec_shape(form, position)
    names = [name for name, _, _ in bindings]
    inner_scope = Scope(names, scope, late=names)
    inits = tuple(compile_named(compiler, init, inner_scope, where, name) for name, init, where in bindings)
    body_items = compiler.expand_body(body_items, inner_scope)
    body = compiler.compile_body(body_items, inner_scope, tail, position)
    size = inner_scope.size

    def node(frame):
        new_frame = [frame]
        new_frame += [UNASSIGNED] * size
        index = 1
        for init in inits:
            new_frame[index] = init(new_frame)
            index += 1
        return body(new_frame)

    return node


def arrow_receiver(parts, where, handler, form):
    """The receiver of a ``(test => receiver)`` clause, with its position (else SxSyntaxError)."""
    if len(parts) != 3:
        raise form_error(handler, form, where, "=> takes one receiver")
    return parts[2]


def clause_parts(clause, where, handler, form):
    if not isinstance(clause, Pair):
        raise form_error(handler, form, where, "each clause is a list")
    return cells_with_positions(clause, where)


def clause_shape(clause, where, last: bool, handler, form, is_else):
    """One cond-style clause (of cond or guard), checked: (its parts, whether it is the else clause).

    ``is_else(value)`` says whether a clause's first part is the keyword ``else`` where
    the clause is; an else clause must come ``last`` and have a body.
    """
    parts = clause_parts(clause, where, handler, form)
    if not is_else(parts[0][0]):
        return parts, False
    if not last or len(parts) < 2:
        raise form_error(handler, form, where, "else must be the last clause and have a body")
    return parts, True


def parse_clauses(compiler, clauses, scope, tail, handler, form) -> tuple:
    """cond-style clauses, compiled: (test body...), (test => receiver), (test), (else body...).

    Each becomes ``("body", test, body)``, ``("arrow", test, (receiver, site))``,
    ``("test", test, None)`` or ``("else", None, body)`` (see specialize.cond_node).
    """
    compiled = []
    is_else = lambda value: is_keyword(value, ELSE, scope)  # noqa: E731
    for index, (clause, where) in enumerate(clauses):
        parts, else_clause = clause_shape(clause, where, index == len(clauses) - 1, handler, form, is_else)
        test_form = parts[0][0]
        if else_clause:
            compiled.append(("else", None, compiler.compile_body(parts[1:], scope, tail, where)))
            continue
        test = compiler.compile(test_form, scope, False, parts[0][1])
        if len(parts) >= 2 and is_keyword(parts[1][0], ARROW, scope):
            receiver_form, receiver_where = arrow_receiver(parts, where, handler, form)
            receiver = compiler.compile(receiver_form, scope, False, receiver_where)
            site = Site(parts[2][1], clause, compiler.environment)
            compiled.append(("arrow", test, (receiver, site)))
        elif len(parts) == 1:
            compiled.append(("test", test, None))
        else:
            compiled.append(("body", test, compiler.compile_body(parts[1:], scope, tail, where)))
    return tuple(compiled)


def compile_clauses(compiler, clauses, scope, tail, position, handler, form, fallback):
    """cond-style clauses as one node; ``fallback``, a node, runs when no clause is taken."""
    return specialize.cond_node(parse_clauses(compiler, clauses, scope, tail, handler, form), fallback, tail,
                                position)


_unspecified = constant_node(None)


@special_form("cond", shape="(cond (test body...)... [(else body...)])")
def compile_cond(compiler, form, scope, tail, position):
    clauses = sequence_shape(form, position, compile_cond)
    return compile_clauses(compiler, clauses, scope, tail, position, compile_cond, form, _unspecified)


def case_shape(form, position):
    """``(case key clause...)``: its operands (the key's first), at least the key."""
    return arguments_of(form, position, compile_case, 1)


def case_clause_parts(clause, where, form):
    """A case clause's parts, checked to be a list with a body."""
    parts = clause_parts(clause, where, compile_case, form)
    if len(parts) < 2:
        raise form_error(compile_case, form, where, "each clause needs a body")
    return parts


def case_clause_data(data, where, last: bool, is_else: bool, form):
    """A case clause's data, checked (each a (datum, position)), or None for the else clause, which must come ``last``."""
    if is_else:
        if not last:
            raise form_error(compile_case, form, where, "else must be the last clause")
        return None
    if data is not NIL and not isinstance(data, Pair):
        raise form_error(compile_case, form, where, "each clause starts with a list of data")
    data = strip_syntax(data)
    return tuple(cells_with_positions(data, where)) if data is not NIL else ()


@special_form("case", shape="(case key ((datum...) body...)... [(else body...)])")
def compile_case(compiler, form, scope, tail, position):
    items = case_shape(form, position)
    key_node = compiler.compile(items[0][0], scope, False, items[0][1])
    clauses = []
    else_action = None
    for index, (clause, where) in enumerate(items[1:]):
        parts = case_clause_parts(clause, where, form)
        data = parts[0][0]
        if is_keyword(parts[1][0], ARROW, scope):
            receiver_form, receiver_where = arrow_receiver(parts, where, compile_case, form)
            receiver = compiler.compile(receiver_form, scope, False, receiver_where)
            action = ("arrow", receiver, Site(parts[2][1], clause, compiler.environment))
        else:
            action = ("body", compiler.compile_body(parts[1:], scope, tail, where), None)
        data = case_clause_data(data, where, index == len(items) - 2, is_keyword(data, ELSE, scope), form)
        if data is None:
            else_action = action
            continue
        clauses.append((data, action))
    call = call_other_tail if tail else call_other
    # Symbols and characters are interned, so most case keys can be found by identity in a dict.
    table = {}
    linear = []
    for data, action in clauses:
        for datum, _ in data:
            if type(datum) is Symbol or type(datum) is Char:
                table.setdefault(id(datum), (datum, action))
            else:
                linear.append((datum, action))

    def run(action, key, frame):
        kind, target, site = action
        if kind == "body":
            return target(frame)
        return call(target(frame), (key,), site)

    def node(frame):
        key = key_node(frame)
        entry = table.get(id(key))
        if entry is not None and entry[0] is key:
            return run(entry[1], key, frame)
        for datum, action in linear:
            if is_eqv(datum, key):
                return run(action, key, frame)
        if else_action is not None:
            return run(else_action, key, frame)
        return None

    return node


@special_form("and", shape="(and expression...)")
def compile_and(compiler, form, scope, tail, position):
    items = sequence_shape(form, position, compile_and)
    if not items:
        return constant_node(True)
    nodes = [compiler.compile(item, scope, False, where) for item, where in items[:-1]]
    last = compiler.compile(items[-1][0], scope, tail, items[-1][1])
    nodes = tuple(nodes)

    def node(frame):
        for step in nodes:
            if step(frame) is False:
                return False
        return last(frame)

    return node


@special_form("or", shape="(or expression...)")
def compile_or(compiler, form, scope, tail, position):
    items = sequence_shape(form, position, compile_or)
    if not items:
        return constant_node(False)
    nodes = tuple(compiler.compile(item, scope, False, where) for item, where in items[:-1])
    last = compiler.compile(items[-1][0], scope, tail, items[-1][1])

    def node(frame):
        for step in nodes:
            value = step(frame)
            if value is not False:
                return value
        return last(frame)

    return node


def when_shape(form, position):
    """The operands of ``(when test body...)`` or ``(unless test body...)``, checked."""
    return arguments_of(form, position, compile_when, 2)


@special_form("when", "unless", shape="(when test body...) or (unless test body...)")
def compile_when(compiler, form, scope, tail, position):
    items = when_shape(form, position)
    test = compiler.compile(items[0][0], scope, False, items[0][1])
    body = compiler.compile_body(items[1:], scope, tail, position)
    if form.car is UNLESS:
        return specialize.if_node(test, _unspecified, body, tail, position)
    return specialize.if_node(test, body, _unspecified, tail, position)


def do_shape(form, position):
    """``(do ((name init [step])...) (test result...) body...)``: its operands and its variables' parts, checked.

    The exit clause is checked by ``clause_parts`` where it is compiled.
    """
    items = arguments_of(form, position, compile_do, 2)
    specs = []
    for spec, where in cells_with_positions(items[0][0], position) if items[0][0] is not NIL else []:
        parts = cells_with_positions(spec, where) if isinstance(spec, Pair) else []
        if not 2 <= len(parts) <= 3 or type(parts[0][0]) is not Symbol:
            raise form_error(compile_do, form, where, "each variable is (name init [step])")
        specs.append(parts)
    names = [parts[0][0] for parts in specs]
    if len(set(names)) != len(names):
        raise form_error(compile_do, form, position, "a name is bound twice")
    return items, specs


@special_form("do", shape="(do ((name init [step])...) (test result...) body...)")
def compile_do(compiler, form, scope, tail, position):
    items, specs = do_shape(form, position)
    names = [parts[0][0] for parts in specs]
    inits = tuple(compiler.compile(parts[1][0], scope, False, parts[1][1]) for parts in specs)
    loop_scope = Scope(names, scope)
    steps = tuple(
        compiler.compile(parts[2][0], loop_scope, False, parts[2][1]) if len(parts) == 3
        else local_node(parts[0][0], 0, index + 1, False, position)
        for index, parts in enumerate(specs)
    )
    exit_clause, exit_where = items[1]
    exit_parts = clause_parts(exit_clause, exit_where, compile_do, form)
    test = compiler.compile(exit_parts[0][0], loop_scope, False, exit_parts[0][1])
    result = compiler.compile_body(exit_parts[1:], loop_scope, tail, exit_where) if len(exit_parts) > 1 else _unspecified
    body = compiler.compile_body(items[2:], loop_scope, False, position) if len(items) > 2 else None

    def node(frame):
        loop_frame = [frame]
        for init in inits:
            loop_frame.append(init(frame))
        while test(loop_frame) is False:
            if body is not None:
                body(loop_frame)
            # A fresh frame each iteration: closures made in the body keep their own bindings.
            next_frame = [frame]
            for step in steps:
                next_frame.append(step(loop_frame))
            loop_frame = next_frame
        return result(loop_frame)

    return node


# -- quasiquote ---------------------------------------------------------------


def is_form(value, keyword) -> bool:
    return (isinstance(value, Pair) and root_of(value.car) is keyword and isinstance(value.cdr, Pair)
            and value.cdr.cdr is NIL)


@special_form("quasiquote", shape="(quasiquote template)")
def compile_quasiquote(compiler, form, scope, tail, position):
    (template, where), = arguments_of(form, position, compile_quasiquote, 1, 1)
    return quasi(compiler, template, 1, scope, position_of(template, where))


@special_form("unquote", "unquote-splicing", shape="an unquote inside a quasiquote")
def compile_unquote_outside(compiler, form, scope, tail, position):
    raise syntax_error(f"{form.car.name} outside of a quasiquote", position)


def quasi(compiler, template, depth, scope, position):
    """A node building ``template`` at quasiquote nesting ``depth``."""
    if not has_unquote(template, depth):
        return constant_node(strip_syntax(template))
    if type(template) is Vector:
        inner = quasi(compiler, make_list(template), depth, scope, position)
        return lambda frame: Vector(list_to_python(inner(frame)))
    if is_form(template, UNQUOTE):
        if depth == 1:
            return compiler.compile(template.cdr.car, scope, False, position_of(template.cdr, position))
        return wrap(UNQUOTE, quasi(compiler, template.cdr.car, depth - 1, scope, position))
    if is_form(template, QUASIQUOTE):
        return wrap(QUASIQUOTE, quasi(compiler, template.cdr.car, depth + 1, scope, position))
    # A list: items, some spliced, then a tail (which may itself be an unquote).
    parts = []
    cell = template
    while isinstance(cell, Pair) and not is_form(cell, UNQUOTE):
        item = cell.car
        where = position_of(cell, position)
        if is_form(item, UNQUOTE_SPLICING) and depth == 1:
            parts.append((True, compiler.compile(item.cdr.car, scope, False, position_of(item.cdr, where))))
        elif is_form(item, UNQUOTE_SPLICING):
            parts.append((False, wrap(UNQUOTE_SPLICING, quasi(compiler, item.cdr.car, depth - 1, scope, where))))
        else:
            parts.append((False, quasi(compiler, item, depth, scope, where)))
        cell = cell.cdr
    tail_node = quasi(compiler, cell, depth, scope, position)
    parts = tuple(reversed(parts))

    def node(frame):
        result = tail_node(frame)
        for splice, part in parts:
            value = part(frame)
            if splice:
                result = splice_onto(value, result)
            else:
                result = Pair(value, result)
        return result

    return node


def splice_onto(value, result):
    """The items of the list ``value`` (an unquote-splicing's) put in front of ``result``."""
    items = []
    while isinstance(value, Pair):
        items.append(value.car)
        value = value.cdr
    if value is not NIL:
        raise fault("unquote-splicing: expected a list", value, kind="wrong-type")
    for item in reversed(items):
        result = Pair(item, result)
    return result


def wrap(keyword, inner):
    return lambda frame: Pair(keyword, Pair(inner(frame), NIL))


def has_unquote(template, depth) -> bool:
    """Whether a template holds an unquote at the current level (iterative over list spines)."""
    stack = [(template, depth)]
    while stack:
        value, level = stack.pop()
        if type(value) is Vector:
            stack.extend((item, level) for item in value)
            continue
        while isinstance(value, Pair):
            head = root_of(value.car)
            if head is UNQUOTE or head is UNQUOTE_SPLICING:
                if is_form(value, head):
                    if level == 1:
                        return True
                    stack.append((value.cdr.car, level - 1))
                    break
            if head is QUASIQUOTE and is_form(value, head):
                stack.append((value.cdr.car, level + 1))
                break
            stack.append((head, level))
            value = value.cdr
    return False


# -- multiple values, promises, guard ---------------------------------------------


def define_values_shape(compiler, form, position):
    """(names, rest name or None, expression, its position) of a well-formed define-values (else SxSyntaxError)."""
    (formals, _), (expression, where) = arguments_of(form, position, compile_define_values, 2, 2)
    names, rest = compiler.parse_parameters(formals, position, compile_define_values, form)
    return names, rest, expression, where


@special_form("define-values", shape="(define-values formals expression)")
def compile_define_values(compiler, form, scope, tail, position):
    names, rest, expression, where = define_values_shape(compiler, form, position)
    assigners = [definer(compiler, name, scope, position) for name in names]
    rest_assign = definer(compiler, rest, scope, position) if rest is not None else None
    value_node = compiler.compile(expression, scope, False, where)
    count = len(names)

    def node(frame):
        values = value_node(frame)
        values = values.values if type(values) is MultipleValues else (values,)
        check_values(values, count, rest_assign is not None, "define-values", position)
        for assign, value in zip(assigners, values):
            assign(frame, value)
        if rest_assign is not None:
            rest_assign(frame, make_list(values[count:]))
        return None

    return node


def check_values(values, count: int, rest: bool, who: str, position) -> None:
    """``values`` (a tuple) fits formals of ``count`` names (and a rest name): else the arity fault of ``who``."""
    if len(values) < count or (not rest and len(values) != count):
        raise fault(f"{who}: expected {count} values, got {len(values)}", kind="arity", position=position)


def receive_values(value, count: int, rest: bool, who: str, position) -> tuple:
    """The values ``value`` stands for, checked against formals of ``count`` names (and a rest name, given a list)."""
    values = value.values if type(value) is MultipleValues else (value,)
    check_values(values, count, rest, who, position)
    if rest:
        return (*values[:count], make_list(values[count:]))
    return values


def let_values_shape(compiler, form, position):
    """Whether it is let*-values, its bindings as (names, rest, expression, expression position, binding
    position), and its body items, for a well-formed let-values or let*-values (else SxSyntaxError)."""
    items = arguments_of(form, position, compile_let_values, 2)
    sequential = root_of(form.car) is Symbol("let*-values")
    bindings = []
    all_names = []
    for binding, where in cells_with_positions(items[0][0], position) if items[0][0] is not NIL else []:
        parts = cells_with_positions(binding, where) if isinstance(binding, Pair) else []
        if len(parts) != 2:
            raise form_error(compile_let_values, form, where, "each binding is (formals expression)")
        names, rest = compiler.parse_parameters(parts[0][0], where, compile_let_values, form)
        bindings.append((names, rest, parts[1][0], parts[1][1], where))
        all_names.extend(names + ([rest] if rest else []))
    if not sequential and len(set(all_names)) != len(all_names):
        raise form_error(compile_let_values, form, position, "a name is bound twice")
    return sequential, bindings, items[1:]


@special_form("let-values", "let*-values", shape="(let-values ((formals expression)...) body...)")
def compile_let_values(compiler, form, scope, tail, position):
    sequential, bindings, body_items = let_values_shape(compiler, form, position)
    specs = []
    inner_scope = Scope([], scope)
    for names, rest, expression_form, expression_where, where in bindings:
        expression = compiler.compile(expression_form, inner_scope if sequential else scope, False,
                                      expression_where)
        slots = [inner_scope.add(name) for name in names]
        rest_slot = inner_scope.add(rest) if rest is not None else None
        specs.append((expression, slots, rest_slot, where))
    body_items = compiler.expand_body(body_items, inner_scope)
    body = compiler.compile_body(body_items, inner_scope, tail, position)
    size = inner_scope.size
    specs = tuple(specs)

    def node(frame):
        new_frame = [frame]
        new_frame += [UNASSIGNED] * size
        for expression, slots, rest_slot, where in specs:
            values = expression(new_frame if sequential else frame)
            values = values.values if type(values) is MultipleValues else (values,)
            check_values(values, len(slots), rest_slot is not None, "let-values", where)
            for slot, value in zip(slots, values):
                new_frame[slot] = value
            if rest_slot is not None:
                new_frame[rest_slot] = make_list(values[len(slots):])
        return body(new_frame)

    return node


@special_form("delay", shape="(delay expression)")
def compile_delay(compiler, form, scope, tail, position):
    (expression, where), = arguments_of(form, position, compile_delay, 1, 1)
    body = compiler.compile(expression, scope, False, where)

    def boxed(frame):
        return Promise(True, body(frame))

    return lambda frame: Promise(False, (boxed, frame))


@special_form("delay-force", "make-lazy", shape="(delay-force promise-expression)")
def compile_delay_force(compiler, form, scope, tail, position):
    (expression, where), = arguments_of(form, position, compile_delay_force, 1, 1)
    body = compiler.compile(expression, scope, False, where)
    return lambda frame: Promise(False, (body, frame))


def guard_shape(form, position):
    """The operands of ``(guard (variable clause...) body...)``, checked up to its clauses (see clause_shape)."""
    items = arguments_of(form, position, compile_guard, 2)
    spec, spec_where = items[0]
    if not isinstance(spec, Pair) or type(spec.car) is not Symbol:
        raise form_error(compile_guard, form, spec_where, "the first part is (variable clause...)")
    return items


@special_form("guard", shape="(guard (variable clause...) body...)")
def compile_guard(compiler, form, scope, tail, position):
    items = guard_shape(form, position)
    spec, spec_where = items[0]
    # The body is not in tail position: the guard's handler is installed while it runs.
    if compiler.body_may_define(items[1:], scope):
        # A body that defines gets a frame of its own for those definitions.
        inner = compiler.compile_scope_body([], items[1:], scope, position, tail=False)
        body = lambda frame: inner([frame])  # noqa: E731
    else:
        body = compiler.compile_body(items[1:], scope, False, position)
    clause_scope = Scope([spec.car], scope)
    clauses = parse_clauses(compiler, cells_with_positions(spec, spec_where)[1:], clause_scope, tail,
                            compile_guard, form)
    call = call_other_tail if tail else call_other

    # The clause a condition takes, as (index, test value), or None: tests only, no bodies.
    select = specialize.select_node(clauses)

    def node(frame):
        marker = (frame, select)  # see handlers.signal
        state = current.state
        outer = state.handlers
        depth = outer[2]
        try:
            state.handlers = (marker, outer, depth + 1)  # inside the try: see sxflow.dynamic
            return body(frame)
        except SchemeError as error:
            caught = error
        finally:
            state.handlers = outer
        clause_frame = [frame, caught.payload]
        chosen = caught.guard_choice
        if chosen is not None and chosen[0] is marker:
            choice = chosen[1]  # picked at the raise point: the tests do not run twice
        elif caught.handlers_passed is not None and caught.handlers_passed <= depth:
            raise caught  # raise already asked this guard, which had no clause for it
        else:
            choice = select(clause_frame)  # a runtime fault: the stack unwound before anyone was asked
            if choice is None:
                raise caught
        # The clause runs after the body's extent has ended, in the guard's own continuation.
        index, value = choice
        kind, _, action = clauses[index]
        if kind == "test":
            return value
        if kind == "arrow":
            receiver, site = action
            return call(receiver(clause_frame), (value,), site)
        return action(clause_frame)

    return node


# -- macros -----------------------------------------------------------------------


def make_transformer(compiler, spec, name, definition_scope, lookup_scope, position):
    """The Macro a transformer spec describes; ``definition_scope`` is where its free identifiers resolve."""
    return parse_syntax_rules(spec, name.name, definition_scope, position_of(spec, position),
                              lambda value, keyword: is_keyword(value, keyword, lookup_scope))


@special_form("define-syntax", shape="(define-syntax keyword (syntax-rules ...))")
def compile_define_syntax(compiler, form, scope, tail, position):
    if scope is not None:
        # Inside a body, expand_body binds the macro before anything compiles.
        raise syntax_error("define-syntax is allowed only at top level or at the start of a body", position)
    (name, _), (spec, where) = arguments_of(form, position, compile_define_syntax, 2, 2)
    if type(name) is not Symbol:
        raise form_error(compile_define_syntax, form, position, "the keyword must be an identifier")
    # Bound now, at compile time: the forms compiled after this one use it.
    compiler.environment.define(root_of(name), make_transformer(compiler, spec, name, None, None, where))
    return _unspecified


def define_local_syntax(compiler, form, scope, position):
    """An internal define-syntax: bind the macro in the body's scope."""
    (name, _), (spec, where) = arguments_of(form, position, compile_define_syntax, 2, 2)
    if type(name) is not Symbol:
        raise form_error(compile_define_syntax, form, position, "the keyword must be an identifier")
    scope.names[name] = make_transformer(compiler, spec, name, scope, scope, where)
    scope.bound.add(name)


def let_syntax_shape(form, position):
    """Whether it is letrec-syntax, its (keyword, spec, position) bindings and its body items, for a
    well-formed let-syntax or letrec-syntax (else SxSyntaxError)."""
    items = arguments_of(form, position, compile_let_syntax, 2)
    recursive = root_of(form.car) is Symbol("letrec-syntax")
    return recursive, binding_pairs(None, items[0][0], position, compile_let_syntax, form), items[1:]


def bind_syntax(compiler, bindings, new_scope, definition_scope) -> None:
    """Bind each keyword of a let-syntax in ``new_scope`` to its macro, whose templates see ``definition_scope``."""
    for name, spec, where in bindings:
        new_scope.names[name] = make_transformer(compiler, spec, name, definition_scope, definition_scope, where)
        new_scope.bound.add(name)


@special_form("let-syntax", "letrec-syntax", shape="(let-syntax ((keyword (syntax-rules ...))...) body...)")
def compile_let_syntax(compiler, form, scope, tail, position):
    recursive, bindings, body_items = let_syntax_shape(form, position)

    def prepare(new_scope):
        # let-syntax: the templates see the bindings outside; letrec-syntax: also these keywords.
        bind_syntax(compiler, bindings, new_scope, new_scope if recursive else scope)

    # The body is a body with a frame of its own (R7RS: like let), so its definitions stay local.
    body = compiler.compile_scope_body([], body_items, scope, position, tail=tail, prepare=prepare)
    return lambda frame: body([frame])


@special_form("syntax-rules", shape="(syntax-rules ...) as the transformer of define-syntax or let-syntax")
def compile_syntax_rules_outside(compiler, form, scope, tail, position):
    raise syntax_error("syntax-rules is only valid as a macro's transformer (in define-syntax or let-syntax)",
                       position)


@special_form("syntax-error", shape='(syntax-error "message" form...)')
def compile_syntax_error(compiler, form, scope, tail, position):
    """R7RS 4.3.3: a macro reports a bad use at expansion time, at the position of the use."""
    items = arguments_of(form, position, compile_syntax_error, 1)
    message = display_string(strip_syntax(items[0][0]))
    details = " ".join(write_string(strip_syntax(item)) for item, _ in items[1:])
    raise syntax_error(f"{message} {details}" if details else message, position)


procedures.install(sys.modules[__name__])
