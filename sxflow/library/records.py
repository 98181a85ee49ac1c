"""Records: ``define-record-type`` (R7RS 5.5) and the record types and records it makes.

``define-record-type`` is written in terms of ``begin`` and ``define``: the compiler
rewrites it (``rewrite``) before compiling, so inside a body its names are internal
definitions like any other. The record type and its constructor, predicate, accessors
and modifiers are made when the form is compiled (each compiled form makes a distinct
type), as builtins: called as directly as ``car``, a type error names the record type
and the field.
"""

from __future__ import annotations

from ..compiler import SourcePair, arguments_of, form_error, position_of, special_form, syntax_error
from ..data import NIL, Pair, Symbol
from ..macros import rename, spine
from ..printer import write_string
from ..runtime import fault, register_builtin

DEFINE, BEGIN = Symbol("define"), Symbol("begin")


class RecordType:
    """A record type: its name (without the conventional angle brackets) and its field names."""

    __slots__ = ("name", "fields", "__weakref__")

    def __init__(self, name: str, fields: tuple) -> None:
        self.name = name
        self.fields = fields

    def sx_write(self) -> str:
        return f"#<record-type {self.name}>"


class Record:
    """One record: its type and the value of each field, in the type's field order."""

    __slots__ = ("type", "values", "__weakref__")

    def __init__(self, record_type: RecordType, values: list) -> None:
        self.type = record_type
        self.values = values

    def sx_write(self) -> str:
        return f"#<record {self.type.name}>"

    def __repr__(self) -> str:
        return f"<record {self.type.name}>"


def _written(value) -> str:
    text = write_string(value)
    return text if len(text) <= 60 else text[:57] + "..."


def make_constructor(record_type: RecordType, name: str, indices: tuple):
    count = len(indices)
    field_count = len(record_type.fields)
    in_order = indices == tuple(range(field_count))

    def constructor(*values):
        if len(values) != count:
            raise fault(f"{name}: expected {count} argument{'' if count == 1 else 's'}, got {len(values)}",
                        kind="arity")
        if in_order:
            return Record(record_type, list(values))
        fields = [False] * field_count  # R7RS leaves the fields a constructor omits unspecified
        for index, value in zip(indices, values):
            fields[index] = value
        return Record(record_type, fields)

    return register_builtin(constructor, name, rest_type="any")


def make_predicate(record_type: RecordType, name: str):
    def predicate(value):
        return type(value) is Record and value.type is record_type

    return register_builtin(predicate, name, ("any",))


def make_accessor(record_type: RecordType, name: str, index: int):
    field = record_type.fields[index]

    def accessor(record):
        if type(record) is not Record or record.type is not record_type:
            raise fault(f"{name}: expected a {record_type.name} record (to read its field {field}), "
                        f"got {_written(record)}", kind="wrong-type")
        return record.values[index]

    return register_builtin(accessor, name, ("any",))


def make_modifier(record_type: RecordType, name: str, index: int):
    field = record_type.fields[index]

    def modifier(record, value):
        if type(record) is not Record or record.type is not record_type:
            raise fault(f"{name}: expected a {record_type.name} record (to set its field {field}), "
                        f"got {_written(record)}", kind="wrong-type")
        record.values[index] = value

    return register_builtin(modifier, name, ("any", "any"))


SHAPE = ("(define-record-type <name> (constructor field...) predicate "
         "(field accessor [modifier])...)")


def rewrite_define_record_type(compiler, form, scope, position):
    """The ``begin`` of definitions a define-record-type form stands for."""
    items = arguments_of(form, position, compile_define_record_type, 2)
    type_name = items[0][0]
    if type(type_name) is not Symbol:
        raise form_error(compile_define_record_type, form, position, "the type name must be an identifier")
    constructor_spec, predicate_name = items[1][0], items[2][0] if len(items) > 2 else False
    fields: list[Symbol] = []
    accessors: list[tuple] = []  # (procedure name, field index, is modifier)
    for spec, where in items[3:]:
        parts, tail = spine(spec) if isinstance(spec, Pair) else ([spec], NIL)
        if tail is not NIL or not parts or len(parts) > 3 or any(type(part) is not Symbol for part in parts):
            raise form_error(compile_define_record_type, form, position_of(spec, where),
                             "each field is (field accessor [modifier])")
        if parts[0] in fields:
            raise form_error(compile_define_record_type, form, position_of(spec, where),
                             f"the field {parts[0].name} appears twice")
        fields.append(parts[0])
        for number, procedure in enumerate(parts[1:]):
            accessors.append((procedure, len(fields) - 1, number == 1))
    plain = type_name.name
    if plain.startswith("<") and plain.endswith(">") and len(plain) > 2:
        plain = plain[1:-1]
    field_names = tuple(field.name for field in fields)

    define, begin = rename(DEFINE, None), rename(BEGIN, None)  # the core forms, whatever the user binds

    def make(*items):
        result = NIL
        for item in reversed(items):
            result = SourcePair(item, result, position) if position is not None else Pair(item, result)
        return result

    record_type = RecordType(plain, field_names)
    definitions = [make(define, type_name, record_type)]
    if constructor_spec is not False:
        if type(constructor_spec) is Symbol:
            constructor_name, constructor_fields = constructor_spec, list(fields)
        else:
            parts, tail = spine(constructor_spec)
            if tail is not NIL or not parts or any(type(part) is not Symbol for part in parts):
                raise form_error(compile_define_record_type, form, position,
                                 "the constructor is (name field...), a name or #f")
            constructor_name, constructor_fields = parts[0], parts[1:]
        indices = []
        for field in constructor_fields:
            if field not in fields:
                raise syntax_error(f"define-record-type {plain}: the constructor's field {field.name} "
                                   "is not a field of the record", position)
            indices.append(fields.index(field))
        constructor = make_constructor(record_type, constructor_name.name, tuple(indices))
        definitions.append(make(define, constructor_name, constructor))
    if predicate_name is not False:
        if type(predicate_name) is not Symbol:
            raise form_error(compile_define_record_type, form, position, "the predicate must be an identifier")
        definitions.append(make(define, predicate_name, make_predicate(record_type, predicate_name.name)))
    for procedure, index, is_modifier in accessors:
        made = (make_modifier if is_modifier else make_accessor)(record_type, procedure.name, index)
        definitions.append(make(define, procedure, made))
    return make(begin, *definitions)


@special_form("define-record-type", shape=SHAPE)
def compile_define_record_type(compiler, form, scope, tail, position):
    return compiler.compile(rewrite_define_record_type(compiler, form, scope, position), scope, tail, position)


compile_define_record_type.rewrite = rewrite_define_record_type
