"""The reader: SX/Scheme source text to data (symbols, pairs, numbers, strings...) that knows its positions.

The syntax is sxflow/grammar.lark, parsed by Lark's LALR parser with an inline
transformer (the ``_Builder`` below). The parser is built once per process, with
lark-cython when it is installed. Environment variables, read when the parser is built:
``SXFLOW_PURE_READER=1`` uses pure-Python Lark even if lark-cython is there;
``SXFLOW_READER_CACHE=0`` turns off Lark's cache of the analysed grammar.
"""


import gc
import hashlib
import os
import re
import threading

import lark
from lark import Lark

from . import deferred
from .data import NIL, Pair, SourcePair, Vector
from .errors import SxSyntaxError
from .lexical import ABBREVIATIONS, AtomError, decode_atom_text
from .limits import MAX_NESTING
from .printer import write_string
from .source import Source

__all__ = ["read", "read_all", "read_forms"]

GRAMMAR_PATH = os.path.join(os.path.dirname(__file__), "grammar.lark")  # (os.path: pathlib would cost the start-up)

_MISSING = object()


def _position_in_token(source: Source, token, offset: int):
    """The (source, line, column) of character ``offset`` inside ``token``."""
    text = token.value
    line = token.line
    newlines = text.count("\n", 0, offset)
    if newlines:
        line += newlines
        column = offset - text.rindex("\n", 0, offset)
    else:
        column = token.column + offset
    return (source, line, column)


class _Builder:
    """The inline transformer: Lark calls one method per grammar reduction, named by the rule's alias.

    ``items`` values are flat Python lists ``[value, position, value, position, ...]``:
    appending is O(1), and the cons cells are made once, back to front, when the
    list closes. Positions are ``(source, line, column)`` tuples taken from tokens.
    """

    def __init__(self) -> None:
        self.source: Source | None = None
        # Atom text -> value, for this read: symbols and numbers repeat a lot.
        self.atoms: dict = {}
        # Datum labels (R7RS 2.4) of this read: number -> [(label line, column, datum)...] in
        # reading order, and the #N# placeholders to patch.
        self.labels: dict = {}
        self.references: list = []

    def begin(self, source: Source) -> None:
        self.source = source
        self.atoms = {}
        self.labels = {}
        self.references = []

    def end(self) -> None:
        self.source = None
        self.atoms = {}
        self.labels = {}
        self.references = []

    # -- atoms ---------------------------------------------------------------

    def decode(self, token):
        raw = token.value
        text = raw.rstrip()
        if text == "#\\":
            # The character #\<space> (or another blank): rstrip took the character itself.
            text = raw[:3]
        if text[0] == "#" and _LABEL_REFERENCE.match(text):
            return self.reference(token)  # not cached: each #N# is its own placeholder
        try:
            value = decode_atom_text(text)
        except AtomError as error:
            position = _position_in_token(self.source, token, error.offset)
            # Faults inside a string name their own line and column (the caret shows them too).
            message = error.message.replace("{at}", f" at {position[1]}:{position[2]}")
            raise _syntax_error(message, *position) from None
        self.atoms[raw] = value
        return value

    # -- items: the elements of a list, a vector or the whole text -------------

    def start(self, children):
        return children[0]  # [datum, position, datum, position, ...]

    def items_empty(self, children):
        return []

    def items_atom(self, children):
        items, token = children
        value = self.atoms.get(token.value, _MISSING)
        if value is _MISSING:
            value = self.decode(token)
        items.append(value)
        items.append((self.source, token.line, token.column))
        return items

    def items_list(self, children):
        items, open_token, inner, _ = children
        position = (self.source, open_token.line, open_token.column)
        items.append(_build_list(inner, position, NIL))
        items.append(position)
        return items

    def items_dotted(self, children):
        items, open_token, inner, dot, tail, _, _ = children
        position = (self.source, open_token.line, open_token.column)
        items.append(self.dotted(inner, position, dot, tail[0]))
        items.append(position)
        return items

    def items_vector(self, children):
        items, open_token, inner, _ = children
        items.append(Vector(inner[0::2]) if open_token.value[1] == "(" else self.bytevector(inner))
        items.append((self.source, open_token.line, open_token.column))
        return items

    def items_abbreviation(self, children):
        items, mark, (value, value_position) = children
        position = (self.source, mark.line, mark.column)
        symbol = ABBREVIATIONS.get(mark.value.rstrip())
        if symbol is None:  # a datum label #N=
            items.append(self.labelled(mark, value))
        else:
            items.append(SourcePair(symbol, SourcePair(value, NIL, value_position), position))
        items.append(position)
        return items

    def items_skip(self, children):
        return children[0]

    def bytevector(self, inner) -> bytearray:
        for index in range(0, len(inner), 2):
            value = inner[index]
            if type(value) is not int or not 0 <= value <= 255:
                _, line, column = inner[index + 1]
                raise _syntax_error(f"bad bytevector element {write_string(value)} at {line}:{column}: "
                                    "a bytevector holds exact integers from 0 to 255", self.source, line, column)
        return bytearray(inner[0::2])

    def labelled(self, label, value):
        number = int(label.value.rstrip()[1:-1])
        if type(value) is _LabelReference and value.number == number:
            raise _syntax_error(f"datum label #{number}= at {_where(label)} labels only a reference to itself",
                                self.source, label.line, label.column)
        self.labels.setdefault(number, []).append(((label.line, label.column), value))
        return value

    def reference(self, token):
        placeholder = _LabelReference(int(token.value.rstrip()[1:-1]), token)
        self.references.append(placeholder)
        return placeholder

    def resolve_references(self, items: list) -> None:
        """Put the labelled data in place of every #N# placeholder in ``items`` (data, positions...)."""
        for placeholder in self.references:
            target = self._labelled_before(placeholder)
            seen = set()
            while type(target) is _LabelReference and id(target) not in seen:  # #1=#0#: follow the chain
                seen.add(id(target))
                target = self._labelled_before(target)
            if target is _MISSING or type(target) is _LabelReference:
                token = placeholder.token
                raise _syntax_error(f"datum label #{placeholder.number}# at {_where(token)} refers to no "
                                    f"#{placeholder.number}= before it", self.source, token.line, token.column)
            placeholder.target = target
        _patch_references(items[0::2])

    def _labelled_before(self, placeholder):
        """The datum of the last #N= written before the reference ``placeholder`` (its scope), or _MISSING."""
        where = (placeholder.token.line, placeholder.token.column)
        found = _MISSING
        for position, value in self.labels.get(placeholder.number, ()):
            if position < where:
                found = value
        return found

    # -- datum: exactly one datum, as (value, position) -------------------------

    def datum_atom(self, children):
        token = children[0]
        value = self.atoms.get(token.value, _MISSING)
        if value is _MISSING:
            value = self.decode(token)
        return (value, (self.source, token.line, token.column))

    def datum_list(self, children):
        open_token, inner, _ = children
        position = (self.source, open_token.line, open_token.column)
        return (_build_list(inner, position, NIL), position)

    def datum_dotted(self, children):
        open_token, inner, dot, tail, _, _ = children
        position = (self.source, open_token.line, open_token.column)
        return (self.dotted(inner, position, dot, tail[0]), position)

    def datum_vector(self, children):
        open_token, inner, _ = children
        value = Vector(inner[0::2]) if open_token.value[1] == "(" else self.bytevector(inner)
        return (value, (self.source, open_token.line, open_token.column))

    def datum_abbreviation(self, children):
        mark, (value, value_position) = children
        position = (self.source, mark.line, mark.column)
        symbol = ABBREVIATIONS.get(mark.value.rstrip())
        if symbol is None:  # a datum label #N=
            return (self.labelled(mark, value), position)
        return (SourcePair(symbol, SourcePair(value, NIL, value_position), position), position)

    def datum_after_skip(self, children):
        return children[2]

    def comments_empty(self, children):
        return None

    def comments_skip(self, children):
        return None

    def dotted(self, inner, position, dot, tail):
        if not inner:
            raise _syntax_error(f"'.' in a wrong place at {dot.line}:{dot.column}: no datum before it",
                                self.source, dot.line, dot.column)
        return _build_list(inner, position, tail)


class _LabelReference:
    """A ``#N#`` read before its datum was complete; replaced by ``target`` once the read ends."""

    __slots__ = ("number", "token", "target")

    def __init__(self, number: int, token) -> None:
        self.number = number
        self.token = token
        self.target = None


def _patch_references(data: list) -> None:
    """Replace every _LabelReference inside ``data`` (pairs and vectors, any depth) by its target."""
    seen: set = set()
    stack = list(data)
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        if isinstance(value, Pair):
            seen.add(id(value))
            while isinstance(value, Pair):
                car = value.car
                if type(car) is _LabelReference:
                    value.car = car.target
                elif isinstance(car, Pair) or type(car) is Vector:
                    stack.append(car)
                following = value.cdr
                if type(following) is _LabelReference:
                    value.cdr = following.target
                    break
                if id(following) in seen:
                    break
                if type(following) is Vector:
                    stack.append(following)
                    break
                seen.add(id(following))
                value = following
        elif type(value) is Vector:
            seen.add(id(value))
            for index, element in enumerate(value):
                if type(element) is _LabelReference:
                    value[index] = element.target
                elif isinstance(element, Pair) or type(element) is Vector:
                    stack.append(element)


def _build_list(items: list, position, tail):
    """Cons up ``items`` (flat value, position pairs) back to front onto ``tail``.

    Every cell gets its element's position, then the first cell is given the
    position of the opening parenthesis.
    """
    if not items:
        return tail
    result = tail
    backwards = reversed(items)
    for element_position, value in zip(backwards, backwards):
        result = SourcePair(value, result, element_position)
    result.position = position
    return result


_LABEL_REFERENCE = re.compile(r"#[0-9]+#\Z")


def _syntax_error(message: str, source: Source, line: int, column: int, incomplete: bool = False) -> SxSyntaxError:
    error = SxSyntaxError(message, (source, line, column))
    # True when more text could complete the input (a REPL reads another line then).
    error.incomplete = incomplete
    return error


def _where(token) -> str:
    return f"{token.line}:{token.column}"


# -- the parser, built once ----------------------------------------------------------

# Reads share one parser and its transformer; reads on other threads wait their turn.
_lock = threading.RLock()
_parser = None
_builder = _Builder()
# Which parser was built: "lark-cython" or "python" (the benchmark prints it).
parser_kind = None


def _cache_path(grammar: str) -> str | bool:
    """Where Lark keeps its analysed grammar (saves ~30 ms of start-up): a private directory, or no cache.

    Lark's own default (``cache=True``) is a predictable file name in the shared
    temporary directory, a pickle another local user could plant; a directory only
    this user can write avoids that. The package directory is never written, so a
    read-only installation is fine; without a usable directory there is no cache.
    The file name carries a hash of the grammar and Lark's version, so versions of
    sxflow with different grammars do not overwrite each other's cache.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "sxflow")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        status = os.stat(directory)
        if hasattr(os, "getuid") and (status.st_uid != os.getuid() or status.st_mode & 0o022):
            return False
        if not os.access(directory, os.W_OK):
            return False
    except OSError:
        return False
    digest = hashlib.sha256(f"{lark.__version__}\n{grammar}".encode("utf-8")).hexdigest()[:16]
    return os.path.join(directory, f"grammar-{digest}.lark-cache")


def _build_parser(builder=None):
    """A Lark parser for grammar.lark; with no ``builder``, the shared one (kept in ``_parser``)."""
    global _parser, parser_kind
    with open(GRAMMAR_PATH, encoding="utf-8") as handle:
        grammar = handle.read()
    options = dict(parser="lalr", lexer="basic", transformer=builder or _builder, maybe_placeholders=False)
    if os.environ.get("SXFLOW_READER_CACHE", "1") != "0":
        cache = _cache_path(grammar)
        if cache:
            options["cache"] = cache
    kind = "python"
    if os.environ.get("SXFLOW_PURE_READER", "") in ("", "0"):
        try:
            import lark_cython
        except ImportError:
            pass
        else:
            options["_plugins"] = lark_cython.plugins
            kind = "lark-cython"
    parser = Lark(grammar, **options)
    if builder is None:
        _parser, parser_kind = parser, kind
    return parser


def _get_parser():
    return _parser or _build_parser()


# -- reading ---------------------------------------------------------------------------


def read_all(text: str, filename: str = "<string>") -> list[object]:
    """Every datum in ``text``, as a Python list. Bad syntax raises SxSyntaxError and nothing else.

    Lists are made of SourcePair cells: the first cell of a list has the position of
    its ``(``, every other cell the position of its own element; ``'x`` reads as
    ``(quote x)`` with the first cell at the quote mark.
    """
    return _read_items(text, filename)[0::2]


def read_forms(text: str, filename: str = "<string>") -> list[tuple[object, object]]:
    """Every datum in ``text`` with its position, as ``(datum, (source, line, column))`` pairs.

    The position of a top-level atom (a lone symbol, say) is known only here.
    """
    items = _read_items(text, filename)
    return list(zip(items[0::2], items[1::2]))


def _read_items(text: str, filename: str) -> list:
    """The flat ``[datum, position, ...]`` list of everything in ``text``."""
    if not isinstance(text, str):
        raise TypeError(f"read_all needs a str, not {type(text).__name__}")
    if text.startswith("\ufeff"):
        text = text[1:]  # a UTF-8 byte-order mark (editors on Windows write one) is not text
    source = Source(filename, text)
    lexed = deferred.reader_passes().blank_block_comments(text, source) if "#|" in text else text
    if "#!" in lexed:
        lexed = deferred.reader_passes().apply_directives(lexed)
    if lexed.count("(") > MAX_NESTING:  # else it cannot nest deeper than it has brackets
        deferred.reader_passes().check_nesting(lexed, source, MAX_NESTING)
    with _lock:
        if _builder.source is None:
            parser, builder = _get_parser(), _builder
        else:
            # A read inside a read on this thread (from a signal handler, say): the shared
            # parser's transformer is busy, so this one gets a parser of its own.
            builder = _Builder()
            parser = _build_parser(builder)
        builder.begin(source)
        # Reading allocates many objects that all live on (tokens die young, cells
        # stay): the cyclic garbage collector would walk the growing heap again and
        # again for nothing. Reading creates no cycles, so it is paused meanwhile.
        collecting = gc.isenabled()
        try:
            if collecting:  # inside the try: an interrupt right after it still re-enables
                gc.disable()
            items = parser.parse(lexed)
            if builder.references:
                builder.resolve_references(items)
            return items
        except SxSyntaxError:
            raise
        except Exception as error:  # a Lark error: explained below, outside the lock
            failure = error
        finally:
            if collecting:
                gc.enable()
            builder.end()
    raise deferred.reader_passes().explain(failure, lexed, source) from None


def read(text: str, filename: str = "<string>") -> object:
    """The one datum in ``text``; SxSyntaxError if there is none, or if a second datum follows.

    Trailing blanks and comments are fine; trailing data is an error (it would
    otherwise be dropped silently): use ``read_all`` for several data.
    """
    forms = read_forms(text, filename)
    if not forms:
        source = Source(filename, text)
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
        raise _syntax_error("no datum to read: the text is empty or only comments", source, line, column, True)
    if len(forms) > 1:
        source, line, column = forms[1][1]
        raise _syntax_error("read: more than one datum (read_all reads several); the second starts here",
                            source, line, column)
    return forms[0][0]
