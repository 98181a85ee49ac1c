"""The printer: data to text as R7RS ``write`` and ``display`` do, iteratively, with datum labels for cycles."""


import math
from fractions import Fraction

from . import data
from .bigtext import integer_text
from .data import Char, EOF_OBJECT, ExactComplex, MultipleValues, NIL, Pair, SourcePair, Symbol, UNASSIGNED, Vector
from .lexical import CHARACTER_NAMES_WRITTEN, STRING_ESCAPES_WRITTEN, symbol_reads_plain
from .procedure_table import scheme_name

__all__ = ["write_string", "display_string", "write_shared_string"]

# Printing counts pairs and vectors; past this many, it checks once for a cycle.
# Data smaller than this never pays for the check (a walk with a table of every
# container, about as costly as printing); cyclic data loops this long, a few
# tens of milliseconds, before it is found and printed again with labels.
CYCLE_CHECK_AFTER = 100_000

# Python refuses str() of ints with more digits than sys.int_max_str_digits (4300 by
# default); beyond this many bits, print in halves.
SAFE_BITS = 13_000


def _escape_character(character: str, quote: str) -> str:
    if character == quote:
        return "\\" + quote
    escaped = STRING_ESCAPES_WRITTEN.get(character)
    if escaped is not None:
        return escaped
    if character.isprintable():
        return character
    return f"\\x{ord(character):x};"


def _string_written(text: str) -> str:
    # The common case, all in C: nothing to escape.
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return '"' + "".join([_escape_character(character, '"') for character in text]) + '"'


def _int_text(number: int) -> str:
    if number.bit_length() <= SAFE_BITS:
        return str(number)
    return integer_text(number)  # subquadratic: 1,000,000 digits in about a second


def _float_text(number: float) -> str:
    if number != number:
        return "+nan.0"
    if number == math.inf:
        return "+inf.0"
    if number == -math.inf:
        return "-inf.0"
    # repr gives the shortest text that reads back as the same float: 1.0, 1e+21, 5e-324.
    text = repr(number)
    if "e" in text:
        # Other Schemes (Guile, Gauche) write a '.' in the mantissa and no '+' in the
        # exponent: 5.0e-324, 1.0e21; both forms read back everywhere as this float.
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        text = f"{mantissa}e{int(exponent)}"
    return text


def _complex_text(number: complex) -> str:
    # Real and imaginary parts always written, each as a float: 1.0+2.0i, 0.0-1.0i, +inf.0+nan.0i.
    imaginary = _float_text(number.imag)
    if imaginary[0] not in "+-":
        imaginary = "+" + imaginary
    return f"{_float_text(number.real)}{imaginary}i"


def exact_complex_text(number: ExactComplex, part_text=None) -> str:
    """An exact complex number as R7RS writes it: 1+2i, 1/2-3/4i, +i, -2i (no real part when it is 0).

    ``part_text`` writes one exact rational part (in another radix, say); by default in decimal.
    """
    part_text = part_text or _fraction_text
    real = part_text(number.real) if number.real != 0 else ""
    imaginary = part_text(number.imag)
    if imaginary[0] != "-":
        imaginary = "+" + imaginary
    if imaginary in ("+1", "-1"):
        imaginary = imaginary[0]  # +i, 1-i
    return f"{real}{imaginary}i"


def _bytevector_text(value: bytearray) -> str:
    return "#u8(" + " ".join(map(str, value)) + ")"


def _fraction_text(number) -> str:
    if type(number) is int:
        return _int_text(number)
    if number.denominator == 1:
        return _int_text(number.numerator)
    return f"{_int_text(number.numerator)}/{_int_text(number.denominator)}"


def _character_written(character: Char) -> str:
    char = character.char
    name = CHARACTER_NAMES_WRITTEN.get(char)
    if name is not None:
        return "#\\" + name
    if char.isprintable():
        return "#\\" + char
    return f"#\\x{ord(char):x}"


_symbol_texts: dict = {}


def _symbol_written(symbol: Symbol) -> str:
    text = _symbol_texts.get(symbol)
    if text is None:
        text = _symbol_texts[symbol] = _symbol_text(symbol.name)
    return text


def _symbol_text(name: str) -> str:
    """The name itself when it is an R7RS identifier that reads back as this symbol, else the name in |bars|."""
    if symbol_reads_plain(name):
        return name
    return "|" + "".join([_escape_character(character, "|") for character in name]) + "|"


def _bool_text(value: bool) -> str:
    return "#t" if value else "#f"


def _other_text(value, writers) -> str:
    """Anything that is neither a pair, a vector nor one of the common atom types."""
    if writers is DISPLAY_ATOMS:
        # An object may show itself differently to display (an error object's bare message, say).
        sx_display = getattr(value, "sx_display", None)
        if sx_display is not None and callable(sx_display):
            return str(sx_display())
    sx_write = getattr(value, "sx_write", None)
    if sx_write is not None and callable(sx_write):
        return str(sx_write())
    if value is EOF_OBJECT:
        return "#<eof>"
    if value is UNASSIGNED:
        return "#<unassigned>"
    # Subclasses of the basic types (an IntEnum, a str subclass) print as their base type.
    for base in (bool, int, float, Fraction, str, Symbol, Char, complex, bytes):
        if isinstance(value, base):
            if base is bytes:  # bytes from Python: a bytevector (the reader makes a bytearray)
                return _bytevector_text(value)
            if base is int or base is float or base is str or base is complex:
                value = base(value)
            return writers[base](value)
    if callable(value):
        name = scheme_name(value) or getattr(value, "name", None)
        if not isinstance(name, (str, Symbol)):
            name = getattr(value, "__name__", None)
        if isinstance(name, (str, Symbol)) and str(name):
            return f"#<procedure {name}>"
        return "#<procedure>"
    return f"#<python {type(value).__name__}>"


WRITE_ATOMS = {
    Symbol: _symbol_written,
    int: _int_text,
    str: _string_written,
    bool: _bool_text,
    float: _float_text,
    Fraction: _fraction_text,
    Char: _character_written,
    complex: _complex_text,
    ExactComplex: exact_complex_text,
    bytearray: _bytevector_text,
    type(None): lambda value: "#<unspecified>",
    type(NIL): lambda value: "()",
}

DISPLAY_ATOMS = dict(WRITE_ATOMS)
DISPLAY_ATOMS[Symbol] = lambda symbol: symbol.name
DISPLAY_ATOMS[str] = lambda text: text
DISPLAY_ATOMS[Char] = lambda character: character.char

_LIST_ITERATOR = type(iter([]))
_TUPLE_ITERATOR = type(iter(()))
_CLOSE = object()  # a stack frame: the dotted tail is printed, close the list
_DONE = object()


class _CycleFound(Exception):
    """Printing without labels met a cycle: start again with these labels."""

    def __init__(self, labels: dict) -> None:
        super().__init__()
        self.labels = labels


def write_string(value: object) -> str:
    """R7RS ``write``: text that ``read`` turns back into an equal datum.

    Strings are quoted with backslash escapes (control characters as ``\\xHH;``),
    characters are ``#\\a``/``#\\space``/``#\\x7f``, symbols that would not read back
    as themselves are written in ``|bars|``. ``(quote x)`` is written as
    ``(quote x)``, never abbreviated to ``'x``. Cycles get datum labels
    (``#0=(1 . #0#)``); shared structure without a cycle is written out in full.
    Non-data print as ``#<unspecified>``, ``#<eof>``, ``#<procedure name>`` (a callable
    with a ``name`` or ``__name__``), ``#<python TypeName>``, or as the object's own
    ``sx_write()`` returns (the hook for closures, environments, error objects).
    MultipleValues print as their values separated by spaces.
    """
    writer = WRITE_ATOMS.get(type(value))
    if writer is not None:
        return writer(value)
    return _render(value, WRITE_ATOMS)


def display_string(value: object) -> str:
    """R7RS ``display``: like ``write_string`` but strings, characters and symbols appear raw, at any depth.

    An object with an ``sx_display()`` method is shown as it returns; else as ``write_string`` shows it.
    """
    kind = type(value)
    if kind is str:
        return value
    writer = DISPLAY_ATOMS.get(kind)
    if writer is not None:
        return writer(value)
    return _render(value, DISPLAY_ATOMS)


def write_shared_string(value: object) -> str:
    """R7RS ``write-shared``: like ``write_string``, but every pair or vector met more than once
    (shared, not only cyclic) gets a datum label: ``(#0=(x) #0#)``."""
    writer = WRITE_ATOMS.get(type(value))
    if writer is not None:
        return writer(value)
    labels = _shared_labels(value)
    return _render_labelled(value, WRITE_ATOMS, labels) if labels else _render(value, WRITE_ATOMS)


def _shared_labels(root) -> dict:
    """The ids of the pairs and vectors reachable more than once from ``root`` (each mapped to None)."""
    seen: set = set()
    targets: dict = {}
    stack = list(root.values) if isinstance(root, MultipleValues) else [root]
    while stack:
        value = stack.pop()
        while isinstance(value, Pair) or type(value) is Vector:
            key = id(value)
            if key in seen:
                targets[key] = None
                break
            seen.add(key)
            if isinstance(value, Pair):
                stack.append(value.car)
                value = value.cdr
            else:
                stack.extend(value)
                break
    return targets


def _render(value, writers) -> str:
    try:
        return _render_labelled(value, writers, None)
    except _CycleFound as cycle:
        return _render_labelled(value, writers, cycle.labels)


def _render_labelled(root, writers, labels):
    """Print ``root`` with an explicit stack (any depth, any length).

    ``labels`` is None for the first attempt, which raises _CycleFound once it has
    printed enough to suspect a cycle and a check finds one; otherwise it maps the
    id of each pair or vector that needs a datum label to its number (None until
    it is first printed).

    Stack frames: a pair whose car was just printed (its cdr comes next), a vector
    or multiple-values iterator, or _CLOSE after a dotted tail.
    """
    parts = []
    append = parts.append
    stack = []
    push = stack.append
    pop = stack.pop
    get_writer = writers.get
    check_after = CYCLE_CHECK_AFTER if labels is None else math.inf
    containers = 0
    next_label = 0
    value = root
    while True:
        # Print `value`; a container pushes a frame and goes on with its first element.
        kind = type(value)
        writer = get_writer(kind)
        if writer is not None:
            append(writer(value))
        elif kind is SourcePair or kind is Pair or kind is Vector or isinstance(value, Pair):
            containers += 1
            if containers > check_after:
                check_after = _check_for_cycle(root)
            if labels is not None and id(value) in labels:
                number = labels[id(value)]
                if number is not None:
                    # Met again: a reference to the label, nothing more to print here.
                    append(f"#{number}#")
                    kind = None
                else:
                    labels[id(value)] = next_label
                    append(f"#{next_label}=")
                    next_label += 1
            if kind is None:
                pass
            elif isinstance(value, Pair):
                append("(")
                push(value)
                value = value.car
                continue
            elif value:
                append("#(")
                items = iter(value)
                push(items)
                value = next(items)
                continue
            else:
                append("#()")
        elif kind is MultipleValues:
            items = iter(tuple(value.values))
            first = next(items, _DONE)
            if first is not _DONE:
                push(items)
                value = first
                continue
        else:
            append(_other_text(value, writers))

        # Unwind: close finished frames until one has a next element to print.
        while stack:
            frame = stack[-1]
            frame_kind = type(frame)
            if frame_kind is SourcePair or frame_kind is Pair or (
                    frame_kind is not _LIST_ITERATOR and frame is not _CLOSE and isinstance(frame, Pair)):
                # Go on along the list; atoms are printed right here (the common case).
                rest = frame.cdr
                while True:
                    if rest is NIL:
                        pop()
                        append(")")
                        value = _DONE
                        break
                    if not isinstance(rest, Pair) or (labels is not None and id(rest) in labels):
                        # A dotted tail (or a labelled pair, which must start its own list).
                        stack[-1] = _CLOSE
                        append(" . ")
                        value = rest
                        break
                    containers += 1
                    if containers > check_after:
                        check_after = _check_for_cycle(root)
                    value = rest.car
                    writer = get_writer(type(value))
                    if writer is None:
                        stack[-1] = rest
                        append(" ")
                        break
                    append(" ")
                    append(writer(value))
                    rest = rest.cdr
                if value is _DONE:
                    continue
                break
            if frame_kind is _LIST_ITERATOR:
                value = next(frame, _DONE)
                if value is _DONE:
                    pop()
                    append(")")
                    continue
                append(" ")
                break
            if frame is _CLOSE:
                pop()
                append(")")
                continue
            # A multiple-values iterator.
            value = next(frame, _DONE)
            if value is _DONE:
                pop()
                continue
            append(" ")
            break
        else:
            return "".join(parts)


def _check_for_cycle(root) -> float:
    """Called once printing has met many containers: raise _CycleFound if ``root`` has a cycle."""
    found = _cycle_labels(root)
    if found:
        raise _CycleFound(found)
    return math.inf


def _cycle_labels(root) -> dict:
    """The ids of the pairs and vectors that close a cycle in ``root`` (empty if there is none).

    A depth-first walk in printing order (car before cdr, vector elements in order);
    a container met again while it is still being walked is the target of a cycle.
    Shared structure without a cycle is met again only after it is done, and gets
    no label. One frame per list (its cells are walked in a loop, atoms without
    leaving it) and one per vector; ``owner`` maps each container's id to the frame
    that walks it, so finishing a frame finishes all its cells at once.
    """
    owner: dict = {}
    targets: dict = {}
    # Frames: [done?, first cell or vector, current cell or next index, tail walked?].
    stack: list = []

    def enter(item) -> None:
        if isinstance(item, Pair) or type(item) is Vector:
            frame = owner.get(id(item))
            if frame is None:
                frame = [False, item, item if isinstance(item, Pair) else 0, False]
                owner[id(item)] = frame
                stack.append(frame)
            elif not frame[0]:
                targets[id(item)] = None

    if isinstance(root, MultipleValues):
        # Its values in order, as if they were the elements of a vector (never labelled).
        stack.append([False, list(root.values), 0, False])
    else:
        enter(root)
    while stack:
        frame = stack[-1]
        head = frame[1]
        if isinstance(head, Pair):
            cell = frame[2]
            if cell is not None:
                # Walk cells while their cars are atoms; stop at a car to walk first.
                while True:
                    car = cell.car
                    if isinstance(car, Pair) or type(car) is Vector:
                        frame[2] = None
                        frame[3] = cell
                        enter(car)
                        break
                    following = cell.cdr
                    if not isinstance(following, Pair):
                        frame[2] = None
                        frame[3] = cell
                        break
                    seen = owner.get(id(following))
                    if seen is not None:
                        if not seen[0]:
                            targets[id(following)] = None
                        frame[2] = None
                        frame[3] = None
                        break
                    owner[id(following)] = frame
                    cell = following
                continue
            last = frame[3]
            if last is not None:
                # The car of `last` is walked: step along its cdr.
                frame[3] = None
                following = last.cdr
                if isinstance(following, Pair):
                    seen = owner.get(id(following))
                    if seen is None:
                        owner[id(following)] = frame
                        frame[2] = following
                    elif not seen[0]:
                        targets[id(following)] = None
                    continue
                if type(following) is Vector:
                    enter(following)
                    continue
            frame[0] = True
            stack.pop()
        else:
            index = frame[2]
            if index < len(head):
                frame[2] = index + 1
                enter(head[index])
                continue
            frame[0] = True
            stack.pop()
    return targets


data.REPR_WRITER[0] = write_string
