"""The atom syntax of sxflow, written once: numbers, strings, characters, symbols, #t/#f.

The reader decodes each atom token with ``decode_atom_text``; the printer asks
``symbol_reads_plain`` whether a symbol may be written without |bars| and uses the
written names of characters and string escapes kept here beside the read ones;
``string->number`` uses ``parse_number``. (The token shapes are in grammar.lark, which
keeps its own regular expressions for the lexer.)
"""

import cmath
import math
import re
from fractions import Fraction

from .data import Char, ExactComplex, Symbol

__all__ = ["AtomError", "CHARACTER_NAMES", "ABBREVIATIONS", "decode_atom_text", "parse_number", "make_complex",
           "symbol_reads_plain", "CHARACTER_NAMES_WRITTEN", "STRING_ESCAPES_WRITTEN"]

# -- token shapes -------------------------------------------------------------------------
# The lexer's terminals are in grammar.lark (Lark needs them there). The scans that look
# at text without the lexer (the reader's block-comment, directive and nesting scans,
# sxflow check's recovery scan, the printer's plain-symbol test) are built from these
# pieces, which spell the same shapes as the grammar's ATOM once, here.

# A character that may continue an atom (anything but blanks, brackets, quotes, `;` and `|`).
CONSTITUENT = r"[^\s()\[\]{}\";'`,|]"
# The first character of a plain atom (a symbol, number or `#` syntax: not a string,
# |symbol| or character literal).
ATOM_START = r"(?:[^\s()\[\]{}\";'`,|#]|#[^\s()\[\]{}\";'`,|#\\])"
# A string and a |symbol|, unterminated ones included (they run to the end of the text).
STRING_TOKEN = r'"[^"\\]*(?:\\.[^"\\]*)*"?'
BAR_SYMBOL_TOKEN = r"\|[^|\\]*(?:\\.[^|\\]*)*\|?"
# A line comment, and the first character of a character literal (#\( is a character).
LINE_COMMENT = r";[^\n]*"
CHARACTER_START = r"#\\."


# Names of characters, as in R7RS (plus `nul`, the R6RS spelling of `null`).
CHARACTER_NAMES = {
    "alarm": "\a",
    "backspace": "\b",
    "delete": "\x7f",
    "escape": "\x1b",
    "newline": "\n",
    "null": "\0",
    "nul": "\0",
    "return": "\r",
    "space": " ",
    "tab": "\t",
    "linefeed": "\n",
}

# What the four abbreviation marks stand for: 'x is (quote x) and so on.
ABBREVIATIONS = {
    "'": Symbol("quote"),
    "`": Symbol("quasiquote"),
    ",": Symbol("unquote"),
    ",@": Symbol("unquote-splicing"),
}

# Mnemonic escapes allowed in strings and |symbols| (R7RS 6.7, plus \0).
STRING_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "0": "\0",
    "\\": "\\",
    '"': '"',
    "|": "|",
}

# One escape sequence: \xHH; , a line continuation (backslash, spaces, line break,
# spaces), or a backslash and any one character (checked against STRING_ESCAPES).
ESCAPE_PATTERN = re.compile(r"\\(?:x([0-9a-fA-F]+);|[ \t]*\r?\n[ \t]*|(.))", re.S)

# Decimal numbers (ASCII digits only: Python's int() and float() would also take
# underscores, spaces and other scripts' digits, which Scheme does not).
INTEGER_OR_RATIONAL = re.compile(r"([+-]?[0-9]+)(?:/([0-9]+))?\Z")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
# The other exponent markers of R7RS 7.1.1 (s f d l: short, single, double, long, in any
# case) all mean a float here; tried only when DECIMAL fails, so 1e2 pays nothing for them.
OTHER_EXPONENT = re.compile(r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))[sSfFdDlL]([+-]?[0-9]+)\Z")
SPECIAL_FLOATS = {
    "+inf.0": math.inf,
    "-inf.0": -math.inf,
    "+nan.0": math.nan,
    "-nan.0": math.nan,
}
RADIX_DIGITS = {
    2: re.compile(r"([+-]?[01]+)(?:/([01]+))?\Z"),
    8: re.compile(r"([+-]?[0-7]+)(?:/([0-7]+))?\Z"),
    16: re.compile(r"([+-]?[0-9a-fA-F]+)(?:/([0-9a-fA-F]+))?\Z"),
}
RADIX_PREFIXES = {"x": 16, "b": 2, "o": 8, "d": 10}
# #e1e999999999 would need a 10**999999999 (memory and minutes): exact decimals
# stop at this exponent. Inexact ones just become inf or 0.0, as floats do.
DECIMAL_PARTS = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?\Z")
MAX_EXACT_EXPONENT = 100_000
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")

# Characters that may start a number (anything else starting an atom is a symbol).
NUMBER_START = frozenset("0123456789+-.")

# Python refuses to convert decimal strings longer than this (sys.int_max_str_digits,
# 4300 by default) in one go; longer ones are converted in halves instead.
SAFE_DIGITS = 4000


def decimal_to_int(digits: str) -> int:
    """int(digits) for a decimal digit string of any length (with an optional sign)."""
    if len(digits) <= SAFE_DIGITS:
        return int(digits)
    if digits[0] in "+-":
        magnitude = decimal_to_int(digits[1:])
        return -magnitude if digits[0] == "-" else magnitude
    # Halves, converted separately: the recursion is only log2(len / SAFE_DIGITS) deep.
    half = len(digits) // 2
    return decimal_to_int(digits[:-half]) * 10 ** half + decimal_to_int(digits[-half:])


def parse_number(text: str, radix: int = 10):
    """The number ``text`` spells (int, Fraction or float), or None if it is not number syntax.

    A rational with a zero denominator raises ZeroDivisionError.
    """
    if radix == 10:
        match = INTEGER_OR_RATIONAL.match(text)
        if match is None:
            if DECIMAL.match(text):
                return float(text)
            return _parse_other_number(text, radix)
        numerator = decimal_to_int(match.group(1))
        denominator_text = match.group(2)
        if denominator_text is None:
            return numerator
        denominator = decimal_to_int(denominator_text)
    else:
        match = RADIX_DIGITS[radix].match(text)
        if match is None:
            return _parse_other_number(text, radix)
        numerator = int(match.group(1), radix)
        if match.group(2) is None:
            return numerator
        denominator = int(match.group(2), radix)
    if denominator == 0:
        raise ZeroDivisionError(text)
    value = Fraction(numerator, denominator)
    # 4/2 is the integer 2: exact rationals with denominator 1 are ints.
    return value.numerator if value.denominator == 1 else value


def _parse_other_number(text: str, radix: int, exact_parts: bool = False):
    """The rarer number syntaxes: +inf.0 -inf.0 +nan.0 in any case, 1s2 1f2 1d2 1l2, and complex numbers; else None.

    A complex number with exact parts is an ExactComplex (1+2i, +i, 1/2-3/4i); with an
    inexact part, a Python complex (1.0+2i, -2.5i, 1-inf.0i, polar 1@2). An exact zero
    imaginary part or angle leaves the real number itself (1+0i is 1); an inexact zero
    imaginary part stays complex (-2.5+0.0i is not a real number, R7RS 6.2.6).
    ``exact_parts`` (for #e) reads each decimal part exactly: #e0.1+1i is 1/10+i.
    """
    lowered = text.lower()
    special = SPECIAL_FLOATS.get(lowered)
    if special is not None:
        return special
    if radix == 10:
        exponent = OTHER_EXPONENT.match(text)
        if exponent is not None:
            return float(f"{exponent.group(1)}e{exponent.group(2)}")
    if "@" in lowered:
        magnitude_text, _, angle_text = lowered.partition("@")
        magnitude, angle = _real_part(magnitude_text, radix), _real_part(angle_text, radix)
        if magnitude is None or angle is None:
            return None
        if type(angle) is not float and angle == 0:
            return magnitude
        return cmath.rect(float(magnitude), float(angle))
    if len(lowered) < 2 or lowered[-1] != "i":
        return None
    body = lowered[:-1]
    # The imaginary part starts at the last sign that is not an exponent's (hex has no exponent).
    split = 0
    for index in range(len(body) - 1, 0, -1):
        if body[index] in "+-" and (radix == 16 or body[index - 1] not in "esfdl"):
            split = index
            break
    real_text, imaginary_text = body[:split], body[split:]
    if imaginary_text[:1] not in ("+", "-"):
        return None
    if imaginary_text in ("+", "-"):
        imaginary = 1 if imaginary_text == "+" else -1
    else:
        imaginary = _real_part(imaginary_text, radix, exact_parts)
    real = _real_part(real_text, radix, exact_parts) if real_text else 0
    if real is None or imaginary is None:
        return None
    return make_complex(real, imaginary)


def make_complex(real, imaginary):
    """real + imaginary*i from two real numbers: exact parts make an ExactComplex (or the real
    part alone when the imaginary one is exact zero); an inexact part makes a Python complex."""
    if type(real) is not float and type(imaginary) is not float:
        return ExactComplex.make(real, imaginary)
    if type(imaginary) is not float and imaginary == 0:
        return real
    try:
        return complex(float(real), float(imaginary))
    except OverflowError:  # a huge exact part beside an inexact one: its float is an infinity
        return complex(_inexact(real), _inexact(imaginary))


def _inexact(value) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _real_part(text: str, radix: int, exact: bool = False):
    """A real number spelled by ``text`` (a part of a complex number), or None; ``exact`` reads a decimal exactly."""
    if not text or "@" in text or text[-1] in "iI":
        return None
    value = parse_number(text, radix)
    if exact and type(value) is float:
        other = OTHER_EXPONENT.match(text)
        decimal = f"{other.group(1)}e{other.group(2)}" if other is not None else text
        if not DECIMAL.match(decimal):
            return None  # an infinity or NaN has no exact value
        return _exact_decimal(decimal, text)
    return value if type(value) in (int, float, Fraction) else None


class AtomError(ValueError):
    """An atom that does not decode; ``offset`` is where in the atom's text the fault is.

    The reader turns it into an SxSyntaxError with a position; a message may hold
    ``{at}``, where the reader puts " at LINE:COLUMN". A ValueError, so a caller
    decoding text itself (string->number) can take it as "not a number".
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _decode_escapes(body: str, offset: int, kind: str) -> str:
    """The characters a string or |symbol| body stands for; ``offset`` is the body's place in the atom."""

    def replace(match: re.Match) -> str:
        hex_digits = match.group(1)
        if hex_digits is not None:
            code = int(hex_digits, 16)
            if code > 0x10FFFF:
                raise AtomError(f"bad escape \\x{hex_digits}; in {kind}{{at}}: no such character",
                                 offset + match.start())
            return chr(code)
        letter = match.group(2)
        if letter is None:
            return ""  # a line continuation
        replacement = STRING_ESCAPES.get(letter)
        if replacement is None:
            if letter == "x":
                raise AtomError(f"bad \\x escape in {kind}{{at}}: it needs hex digits and a ';', as in \\x41;",
                                 offset + match.start())
            shown = letter if letter.isprintable() else repr(letter)[1:-1]
            raise AtomError(f"unknown escape \\{shown} in {kind}{{at}}", offset + match.start())
        return replacement

    return ESCAPE_PATTERN.sub(replace, body)


def _decode_character(text: str) -> Char:
    name = text[2:]
    if len(name) == 1:
        return Char(name)
    character = CHARACTER_NAMES.get(name)
    if character is not None:
        return Char(character)
    if name[0] == "x" and HEX_DIGITS.issuperset(name[1:]):
        code = int(name[1:], 16)
        if code <= 0x10FFFF:
            return Char(chr(code))
    raise AtomError(f"bad character name {text}")


def _decode_prefixed_number(text: str):
    """A number with #x #b #o #d #e #i prefixes (at most one radix and one exactness)."""
    radix = None
    exactness = None
    rest = text
    while rest[:1] == "#" and len(rest) >= 2:
        letter = rest[1].lower()
        if letter in RADIX_PREFIXES and radix is None:
            radix = RADIX_PREFIXES[letter]
        elif letter in "ei" and exactness is None:
            exactness = letter
        else:
            raise AtomError(f"bad number {text}")
        rest = rest[2:]
    try:
        value = parse_number(rest, radix or 10)
    except ZeroDivisionError:
        raise AtomError(f"bad number {text}: division by zero") from None
    if value is None:
        raise AtomError(f"bad number {text}")
    if type(value) is complex:
        if exactness == "e":
            if "@" not in rest:
                exact_value = _parse_other_number(rest, radix or 10, exact_parts=True)
                if exact_value is None:
                    raise AtomError(f"bad number {text}: infinities and NaN have no exact value")
                return exact_value
            parts = (value.real, value.imag)
            if not all(math.isfinite(part) for part in parts):
                raise AtomError(f"bad number {text}: infinities and NaN have no exact value")
            return ExactComplex.make(*(_exact_of_float(part) for part in parts))
        return value
    if type(value) is ExactComplex:
        return complex(value) if exactness == "i" else value
    if exactness == "e" and isinstance(value, float):
        other = OTHER_EXPONENT.match(rest) if radix in (None, 10) else None
        if other is not None:
            rest = f"{other.group(1)}e{other.group(2)}"
        if not DECIMAL.match(rest):
            raise AtomError(f"bad number {text}: infinities and NaN have no exact value")
        value = _exact_decimal(rest, text)
    elif exactness == "i" and not isinstance(value, float):
        try:
            value = float(value)
        except OverflowError:  # beyond the largest float, as 1e400 reads
            value = math.inf if value > 0 else -math.inf
    return value


def _exact_of_float(value: float):
    """The exact value of a finite float (an int or a Fraction)."""
    exact = Fraction(value)
    return exact.numerator if exact.denominator == 1 else exact


def _exact_decimal(digits: str, text: str):
    """The exact value of a decimal such as 1.5e3 (an int or a Fraction), for #e."""
    sign, whole, fraction, exponent = DECIMAL_PARTS.match(digits).groups()
    fraction = fraction or ""
    scale = int(exponent or 0) - len(fraction)
    if abs(scale) > MAX_EXACT_EXPONENT:
        raise AtomError(f"bad number {text}: exponent too large for an exact number")
    # decimal_to_int, not Fraction(text): Python's int() refuses over 4300 digits.
    numerator = decimal_to_int(sign + (whole + fraction or "0"))
    if scale >= 0:
        return numerator * 10 ** scale
    value = Fraction(numerator, 10 ** -scale)
    return value.numerator if value.denominator == 1 else value


def decode_atom_text(text: str):
    """The value one ATOM token (without its trailing blanks) stands for; AtomError if it is malformed."""
    first = text[0]
    if first == '"':
        body = text[1:-1]
        return _decode_escapes(body, 1, "string") if "\\" in body else body
    if first == "|":
        body = text[1:-1]
        return Symbol(_decode_escapes(body, 1, "|symbol|") if "\\" in body else body)
    if first == "#":
        second = text[1]
        if second == "\\":
            return _decode_character(text)
        lowered = text.lower()
        if lowered == "#t" or lowered == "#true":
            return True
        if lowered == "#f" or lowered == "#false":
            return False
        if second.lower() in "xbodei":
            return _decode_prefixed_number(text)
        raise AtomError(f"bad # syntax {text}")
    if first in NUMBER_START:
        try:
            number = parse_number(text)
        except ZeroDivisionError:
            raise AtomError(f"bad number {text}: division by zero") from None
        if number is not None:
            return number
    # Anything else is a symbol: R7RS identifiers plus whatever else is not a number
    # (`1+`, `a.b`, `->x`), as most Schemes read them.
    return Symbol(text)


# -- the written side: what the printer writes reads back as the same datum --------------

# Names written for characters (the reader accepts all of them).
CHARACTER_NAMES_WRITTEN = {
    "\a": "alarm",
    "\b": "backspace",
    "\x7f": "delete",
    "\x1b": "escape",
    "\n": "newline",
    "\0": "null",
    "\r": "return",
    " ": "space",
    "\t": "tab",
}

# Escapes written inside strings and |symbols|; other unprintable characters become \xHH;.
STRING_ESCAPES_WRITTEN = {
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\a": "\\a",
    "\b": "\\b",
}

# A symbol name that the reader takes as a plain atom (the last alternative of the
# grammar's ATOM terminal); whether it then reads as that symbol is checked by decoding it.
# This pattern and the next are texts, compiled by ``re`` on their first use (the printer
# writes each symbol's text once): a start-up that writes no symbol does not pay for them.
PLAIN_ATOM = ATOM_START + CONSTITUENT + r"*\Z"

# An identifier as R7RS 7.1.1 spells it (non-ASCII characters count as letters), so a
# symbol written without bars reads back as itself in other Schemes too: `1+`, `a#b` and
# `\123` are sxflow symbols but not R7RS identifiers, and are written |1+| |a#b| |\\123|.
# Non-ASCII is written as the complement of ASCII: the range \u0080-\U0010ffff inside a
# class costs the regex compiler about 14 ms at import, the complement nothing.
_NON_ASCII = r"[^\x00-\x7f]"
_INITIAL = rf"(?:[A-Za-z!$%&*/:<=>?^_~]|{_NON_ASCII})"
_SUBSEQUENT = rf"(?:[A-Za-z!$%&*/:<=>?^_~0-9+\-.@]|{_NON_ASCII})"
_SIGN_SUBSEQUENT = rf"(?:[A-Za-z!$%&*/:<=>?^_~+\-@]|{_NON_ASCII})"
_DOT_SUBSEQUENT = rf"(?:[A-Za-z!$%&*/:<=>?^_~+\-@.]|{_NON_ASCII})"
R7RS_IDENTIFIER = (
    rf"(?:{_INITIAL}{_SUBSEQUENT}*|[+-]|[+-]{_SIGN_SUBSEQUENT}{_SUBSEQUENT}*"
    rf"|[+-]?\.{_DOT_SUBSEQUENT}{_SUBSEQUENT}*)\Z")
# Peculiar identifiers that begin like an infinity or NaN (+nan.0abc) are written in bars,
# as chibi does: a reader with more number syntax may take them as numbers.
_NUMBER_LIKE_START = ("+inf.", "-inf.", "+nan.", "-nan.")


def symbol_reads_plain(name: str) -> bool:
    """Whether ``name`` is an R7RS identifier that reads back as the symbol of that name (else write it in |bars|)."""
    if not (name.isprintable() and re.match(PLAIN_ATOM, name) and re.match(R7RS_IDENTIFIER, name)
            and not name.lower().startswith(_NUMBER_LIKE_START)):
        return False
    try:
        return decode_atom_text(name) is Symbol(name)
    except AtomError:  # bad syntax such as #foo
        return False
