"""syntax-rules (R7RS 4.3.2): matching a macro use against the patterns, and instantiating the template.

Imported on the first macro definition (``macros.parse_syntax_rules`` asks
``sxflow.deferred``); the renaming that makes the expansions hygienic is ``sxflow.macros``.
"""

from __future__ import annotations

from .data import NIL, Pair, SourcePair, Symbol, Vector, is_equal
from .errors import SxSyntaxError
from .macros import ELLIPSIS, SYNTAX_RULES, UNDERSCORE, Macro, rename, root_of, spine
from .printer import write_string


class Repeated:
    """What a pattern variable under an ellipsis matched: one item per repetition, ``depth`` levels deep."""

    __slots__ = ("items", "depth")

    def __init__(self, items: list, depth: int) -> None:
        self.items = items
        self.depth = depth


class SyntaxRules(Macro):
    """A ``syntax-rules`` transformer (R7RS 4.3.2)."""

    __slots__ = ("name", "ellipsis", "custom_ellipsis", "literals", "rules", "scope", "depths")

    def __init__(self, name: str, ellipsis, custom_ellipsis: bool, literals, rules, scope) -> None:
        self.name = name
        self.ellipsis = ellipsis  # None when the ellipsis is one of the literals
        self.custom_ellipsis = custom_ellipsis
        self.literals = literals
        self.rules = rules  # [(pattern, template, {variable: ellipsis depth})]
        self.scope = scope

    # -- identifiers --

    def is_ellipsis(self, value) -> bool:
        if type(value) is not Symbol or self.ellipsis is None:
            return False
        if self.custom_ellipsis:
            return value is self.ellipsis
        return root_of(value) is ELLIPSIS

    def is_underscore(self, value) -> bool:
        return root_of(value) is UNDERSCORE and value not in self.literals

    # -- expansion --

    def expand(self, form, use_scope, compiler, position):
        for pattern, template, _ in self.rules:
            bindings: dict = {}
            if self.match(pattern.cdr, form.cdr, bindings, use_scope, compiler):
                return self.instantiate(template, bindings, {}, position, True)
        text = write_string(form)
        if len(text) > 60:
            text = text[:57] + "..."
        raise SxSyntaxError(f"no rule of the macro {self.name} matches {text}", position)

    def match(self, pattern, form, bindings: dict, use_scope, compiler) -> bool:
        if type(pattern) is Symbol:
            if pattern in self.literals:
                return type(form) is Symbol and (
                    compiler.binding_key(form, use_scope) == compiler.binding_key(pattern, self.scope))
            if not self.is_underscore(pattern):
                bindings[pattern] = form
            return True
        if isinstance(pattern, Pair):
            items, tail = spine(pattern)
            form_items, form_tail = spine(form)
        elif type(pattern) is Vector:
            if type(form) is not Vector:
                return False
            items, tail, form_items, form_tail = pattern, NIL, form, NIL
        else:
            return is_equal(pattern, form)
        index = next((i for i in range(len(items) - 1) if self.is_ellipsis(items[i + 1])), None)
        if index is None:
            if len(form_items) < len(items) or (tail is NIL and (form_tail is not NIL or len(form_items) != len(items))):
                return False
            for item, value in zip(items, form_items):
                if not self.match(item, value, bindings, use_scope, compiler):
                    return False
            if tail is NIL:
                return True
            rest = form
            for _ in items:
                rest = rest.cdr
            return self.match(tail, rest, bindings, use_scope, compiler)
        before, repeated, after = items[:index], items[index], items[index + 2:]
        if len(form_items) < len(before) + len(after) or (tail is NIL and form_tail is not NIL):
            return False
        end = len(form_items) - len(after)
        for item, value in zip(before, form_items):
            if not self.match(item, value, bindings, use_scope, compiler):
                return False
        for item, value in zip(after, form_items[end:]):
            if not self.match(item, value, bindings, use_scope, compiler):
                return False
        matches = []
        for value in form_items[len(before):end]:
            inner: dict = {}
            if not self.match(repeated, value, inner, use_scope, compiler):
                return False
            matches.append(inner)
        for variable, depth in self.pattern_variables(repeated).items():
            bindings[variable] = Repeated([inner[variable] for inner in matches], depth + 1)
        if tail is not NIL:
            return self.match(tail, form_tail, bindings, use_scope, compiler)
        return True

    def pattern_variables(self, pattern, depth: int = 0, found=None) -> dict:
        """Each pattern variable of ``pattern`` with the number of ellipses it sits under."""
        if found is None:
            found = {}
        if type(pattern) is Symbol:
            if pattern not in self.literals and not self.is_underscore(pattern) and not self.is_ellipsis(pattern):
                found[pattern] = depth
            return found
        if isinstance(pattern, Pair):
            items, tail = spine(pattern)
        elif type(pattern) is Vector:
            items, tail = pattern, NIL
        else:
            return found
        for index, item in enumerate(items):
            if self.is_ellipsis(item):
                continue
            repeated = index + 1 < len(items) and self.is_ellipsis(items[index + 1])
            self.pattern_variables(item, depth + 1 if repeated else depth, found)
        self.pattern_variables(tail, depth, found)
        return found

    def instantiate(self, template, bindings: dict, renames: dict, position, ellipsis_active: bool):
        if type(template) is Symbol:
            if template in bindings:
                value = bindings[template]
                if type(value) is Repeated:
                    raise SxSyntaxError(f"in the macro {self.name}: the pattern variable {template.name} "
                                        "is used without an ellipsis after it", position)
                return value
            alias = renames.get(template)
            if alias is None:
                alias = renames[template] = rename(template, self.scope)
            return alias
        if isinstance(template, Pair):
            if ellipsis_active and self.is_ellipsis(template.car):
                # (... template): the ellipsis stands for itself inside template
                if isinstance(template.cdr, Pair) and template.cdr.cdr is NIL:
                    return self.instantiate(template.cdr.car, bindings, renames, position, False)
                raise SxSyntaxError(f"in the macro {self.name}: an escape is (... template)", position)
            items, tail = spine(template)
            result = self.instantiate(tail, bindings, renames, position, ellipsis_active) if tail is not NIL else NIL
            for item in reversed(self.instantiate_items(items, bindings, renames, position, ellipsis_active)):
                result = SourcePair(item, result, position) if position is not None else Pair(item, result)
            return result
        if type(template) is Vector:
            return Vector(self.instantiate_items(template, bindings, renames, position, ellipsis_active))
        return template

    def instantiate_items(self, items, bindings, renames, position, ellipsis_active) -> list:
        result = []
        index = 0
        while index < len(items):
            element = items[index]
            depth = 0
            while (ellipsis_active and index + depth + 1 < len(items)
                   and self.is_ellipsis(items[index + depth + 1])):
                depth += 1
            if depth:
                result.extend(self.repeat(element, depth, bindings, renames, position))
            else:
                result.append(self.instantiate(element, bindings, renames, position, ellipsis_active))
            index += depth + 1
        return result

    def repeat(self, element, depth: int, bindings, renames, position) -> list:
        """The instances of ``element`` followed by ``depth`` ellipses, flattened."""
        occurrences = self.template_variables(element, bindings)
        # A variable drives this repetition when it has an ellipsis level to spend here.
        driving = [name for name, inner in occurrences.items()
                   if type(bindings[name]) is Repeated and bindings[name].depth > inner]
        if not driving:
            raise SxSyntaxError(f"in the macro {self.name}: nothing to repeat before an ellipsis "
                                "(no pattern variable matched under an ellipsis)", position)
        counts = {len(bindings[name].items) for name in driving}
        if len(counts) > 1:
            names = ", ".join(name.name for name in driving)
            raise SxSyntaxError(f"in the macro {self.name}: the pattern variables {names} "
                                "matched different numbers of items", position)
        result = []
        for number in range(counts.pop()):
            inner = dict(bindings)
            for name in driving:
                inner[name] = bindings[name].items[number]
            if depth > 1:
                result.extend(self.repeat(element, depth - 1, inner, renames, position))
            else:
                result.append(self.instantiate(element, inner, renames, position, True))
        return result

    def template_variables(self, template, bindings, depth: int = 0, found=None) -> dict:
        """The pattern variables in ``template``, each with the most ellipses it sits under there."""
        if found is None:
            found = {}
        if type(template) is Symbol:
            if template in bindings:
                found[template] = max(depth, found.get(template, 0))
            return found
        if isinstance(template, Pair):
            if self.is_ellipsis(template.car):
                return found  # an escape: its ellipses are not repetitions
            items, tail = spine(template)
        elif type(template) is Vector:
            items, tail = template, NIL
        else:
            return found
        index = 0
        while index < len(items):
            count = 0
            while index + count + 1 < len(items) and self.is_ellipsis(items[index + count + 1]):
                count += 1
            self.template_variables(items[index], bindings, depth + count, found)
            index += count + 1
        self.template_variables(tail, bindings, depth, found)
        return found


def parse_syntax_rules(spec, name: str, scope, position, keyword_is) -> SyntaxRules:
    """The transformer a ``(syntax-rules ...)`` spec describes, its shape checked.

    ``keyword_is(value, symbol)`` tells whether ``value`` means the keyword ``symbol``
    where the spec appears.
    """
    shape = "(syntax-rules [ellipsis] (literal...) ((keyword . pattern) template)...)"

    def bad(detail: str) -> SxSyntaxError:
        return SxSyntaxError(f"bad syntax: {detail}; expected {shape}", position)

    if not isinstance(spec, Pair) or not keyword_is(spec.car, SYNTAX_RULES):
        raise SxSyntaxError(f"{name}: a macro is defined by (syntax-rules ...)", position)
    if _is_circular(spec):
        raise SxSyntaxError(f"{name}: a macro definition cannot be circular data", position)
    parts, tail = spine(spec.cdr)
    if tail is not NIL:
        raise bad("a form must be a proper list")
    ellipsis, custom = ELLIPSIS, False
    if parts and type(parts[0]) is Symbol:
        ellipsis, custom = parts[0], True
        parts = parts[1:]
    if not parts:
        raise bad("the literals are missing")
    literal_items, literal_tail = spine(parts[0])
    if literal_tail is not NIL or any(type(item) is not Symbol for item in literal_items):
        raise bad("the literals must be a list of identifiers")
    literals = frozenset(literal_items)
    if ellipsis in literals or (not custom and any(root_of(item) is ELLIPSIS for item in literals)):
        ellipsis = None  # R7RS 4.3.2: a literal has priority over the ellipsis
    transformer = SyntaxRules(name, ellipsis, custom, literals, [], scope)
    for rule in parts[1:]:
        rule_items, rule_tail = spine(rule)
        if len(rule_items) != 2 or rule_tail is not NIL:
            raise bad("each rule is (pattern template)")
        pattern, template = rule_items
        if not isinstance(pattern, Pair):
            raise bad("a pattern is a list that starts with the keyword")
        check_pattern(transformer, pattern, position)
        transformer.rules.append((pattern, template, transformer.pattern_variables(pattern.cdr)))
    return transformer


def check_pattern(transformer: SyntaxRules, pattern, position) -> None:
    """At most one ellipsis per list, never first, no escapes, and no variable twice."""
    seen: set = set()
    stack = [pattern.cdr]
    while stack:
        value = stack.pop()
        if type(value) is Symbol:
            if transformer.is_ellipsis(value):
                raise SxSyntaxError(f"in the macro {transformer.name}: misplaced ellipsis in a pattern", position)
            if value not in transformer.literals and not transformer.is_underscore(value):
                if value in seen:
                    raise SxSyntaxError(f"in the macro {transformer.name}: the pattern variable "
                                        f"{value.name} appears twice", position)
                seen.add(value)
            continue
        if isinstance(value, Pair):
            items, tail = spine(value)
        elif type(value) is Vector:
            items, tail = value, NIL
        else:
            continue
        ellipses = [index for index, item in enumerate(items) if transformer.is_ellipsis(item)]
        if len(ellipses) > 1 or (ellipses and ellipses[0] == 0):
            raise SxSyntaxError(f"in the macro {transformer.name}: a pattern list may hold one ellipsis, "
                                "after a subpattern", position)
        stack.extend(item for index, item in enumerate(items) if index not in ellipses)
        stack.append(tail)


def _is_circular(value) -> bool:
    """Whether pairs or vectors inside ``value`` lead back to themselves (iterative)."""
    on_path: set[int] = set()
    done: set[int] = set()  # explored already: shared (not circular) structure is walked once
    stack = [(value, False)]
    while stack:
        current, leaving = stack.pop()
        if leaving:
            on_path.discard(id(current))
            done.add(id(current))
            continue
        if isinstance(current, Pair):
            children = (current.car, current.cdr)
        elif type(current) is Vector:
            children = current
        else:
            continue
        if id(current) in on_path:
            return True
        if id(current) in done:
            continue
        on_path.add(id(current))
        stack.append((current, True))
        stack.extend((child, False) for child in children)
    return False
