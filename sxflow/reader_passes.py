"""The reader's rare paths, imported when first needed: block comments, #!fold-case, deep nesting, syntax errors.

``sxflow.reader`` reads ordinary text without them; it asks ``sxflow.deferred`` for
this module when the text has a ``#|`` or a ``#!``, more ``(`` than ``MAX_NESTING``,
or does not parse (the explanation of a Lark error in plain words).
"""

from __future__ import annotations

import re
from itertools import accumulate

from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedToken

from .errors import SxSyntaxError
from .lexical import ATOM_START, BAR_SYMBOL_TOKEN, CHARACTER_START, CONSTITUENT, LINE_COMMENT, STRING_TOKEN
from .reader import _get_parser, _syntax_error, _where
from .source import Source


# -- block comments ---------------------------------------------------------------

# Tokens, as the lexer would find them, that can hide a `#|`: strings, |symbols|,
# characters, line comments, atoms; plus `#(` and `#;`, which are tokens of their
# own. Group 1 is a block comment opening. Anything else (spaces, parentheses,
# quote marks) is skipped by `search`.
_COMMENT_SCAN = re.compile(
    f"{STRING_TOKEN}|{BAR_SYMBOL_TOKEN}|{CHARACTER_START}{CONSTITUENT}*|#[(;]|(#\\|)|{LINE_COMMENT}"
    f"|{ATOM_START}{CONSTITUENT}*",
    re.S,
)
_COMMENT_MARK = re.compile(r"#\||\|#")


# -- #!fold-case and #!no-fold-case ------------------------------------------------

_DIRECTIVES = ("#!fold-case", "#!no-fold-case")
# What the lexer would see, for the directives' sake: strings and |symbols| (kept as they
# are), line comments, characters (group 1: `#\` and the first character, group 2 the
# rest of a name), and atoms (group 3), among them the directives.
_FOLD_SCAN = re.compile(
    f"{STRING_TOKEN}|{BAR_SYMBOL_TOKEN}|{LINE_COMMENT}|({CHARACTER_START})({CONSTITUENT}*)"
    f"|({ATOM_START}{CONSTITUENT}*)",
    re.S,
)


def apply_directives(text: str) -> str:
    """``text`` with ``#!fold-case`` / ``#!no-fold-case`` applied (R7RS 2.1) and blanked out.

    After ``#!fold-case``, symbols and character names are folded with string-foldcase
    (strings, |symbols| and the character of ``#\\A`` stay as written) until
    ``#!no-fold-case`` or the end of the text. Done on the text before lexing, as block
    comments are, so the grammar and the lexer's per-token work stay as they were.
    """
    pieces = []
    done = 0
    folding = False
    for match in _FOLD_SCAN.finditer(text):
        atom = match.group(3)
        if atom is not None:
            if atom in _DIRECTIVES:
                folding = atom == "#!fold-case"
                replacement = " " * len(atom)
            elif folding:
                replacement = atom.casefold()
            else:
                continue
        elif folding and match.group(2):
            replacement = "#\\" + (match.group(1)[2:] + match.group(2)).casefold()
        else:
            continue
        pieces.append(text[done:match.start()])
        pieces.append(replacement)
        done = match.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def blank_block_comments(text: str, source: Source) -> str:
    """``text`` with every nested block comment replaced by spaces (line breaks kept, so positions hold)."""
    pieces = []
    done = 0
    position = 0
    search = _COMMENT_SCAN.search
    while True:
        match = search(text, position)
        if match is None:
            break
        position = match.end()
        if match.group(1) is None:
            continue
        start = match.start()
        depth = 1
        while depth:
            mark = _COMMENT_MARK.search(text, position)
            if mark is None:
                line = text.count("\n", 0, start) + 1
                column = start - text.rfind("\n", 0, start)
                raise _syntax_error(f"unterminated block comment opened at {line}:{column}", source, line, column,
                                    True)
            depth += 1 if mark.group() == "#|" else -1
            position = mark.end()
        pieces.append(text[done:start])
        pieces.append(re.sub(r"[^\n]", " ", text[start:position]))
        done = position
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


# -- nesting ---------------------------------------------------------------------------

# Everything but a bracket that opens or closes a list or vector: strings, |symbols|,
# line comments, characters (#\( is no bracket) and atoms, or any other character.
_NOT_A_BRACKET = re.compile(
    f"{STRING_TOKEN}|{BAR_SYMBOL_TOKEN}|{LINE_COMMENT}|{CHARACTER_START}{CONSTITUENT}*"
    f"|{ATOM_START}{CONSTITUENT}*|[^()]",
    re.S,
)
_BRACKET_STEPS = {"(": 1, ")": -1}


def check_nesting(text: str, source: Source, limit: int) -> None:
    """Refuse text whose brackets nest deeper than ``limit`` (the reader's MAX_NESTING), before parsing it.

    The compiler refuses such code anyway, but only after the parser has spent time
    linear in the text on it (a million nested ``(+ 1 …`` took half a minute): the
    reader calls this only for text with more ``(`` than that (ordinary text costs it
    a count), and it takes about a second for absurd text.
    """
    brackets = _NOT_A_BRACKET.sub("", text)
    if max(accumulate(map(_BRACKET_STEPS.__getitem__, brackets)), default=0) <= limit:
        return
    # Find where the limit is passed: walk the text once, skipping what is not a bracket.
    depth = 0
    index = 0
    search = _NOT_A_BRACKET.match
    while index < len(text):
        character = text[index]
        if character == "(":
            depth += 1
            if depth > limit:
                break
            index += 1
        elif character == ")":
            depth -= 1
            index += 1
        else:
            index = search(text, index).end()
    # The position of the opening token: #( and #u8( start before their bracket.
    if text[index - 3:index].lower() == "#u8":
        index -= 3
    elif text[index - 1:index] == "#":
        index -= 1
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    raise _syntax_error(f"nested too deeply at {line}:{column}: text may nest at most {limit:,} levels of "
                        "brackets", source, line, column)


# -- errors ------------------------------------------------------------------------------

_OPENERS = {"OPEN": "(", "VECTOR_OPEN": "#(", "BYTEVECTOR_OPEN": "#u8("}
_MARK_NAMES = {"'": "quote mark '", "`": "quasiquote mark `", ",": "unquote mark ,", ",@": "unquote-splicing mark ,@"}


def _mark_name(mark: str) -> str:
    """How an error names an ABBREVIATION token: a quote mark, or a datum label #N=."""
    return _MARK_NAMES.get(mark) or f"datum label {mark}"


def _tokens_before(text: str, stop: int):
    """Re-lex ``text`` up to character ``stop``: the open brackets still unclosed there and the last token."""
    open_stack = []
    previous = None
    try:
        for token in _get_parser().lex(text):
            if token.start_pos >= stop:
                break
            kind = token.type
            if kind in _OPENERS:
                open_stack.append(token)
            elif kind == "CLOSE" and open_stack:
                open_stack.pop()
            previous = token
    except LarkError:
        pass
    return open_stack, previous


def explain(error: Exception, text: str, source: Source) -> SxSyntaxError:
    """Turn a Lark exception into an SxSyntaxError with a message in plain words."""
    if isinstance(error, UnexpectedCharacters):
        return _explain_character(error, text, source)
    if isinstance(error, UnexpectedToken):
        return _explain_token(error, text, source)
    # Not expected (a bug in the reader): keep the promise that only SxSyntaxError
    # escapes, but say what it was. The fuzz tests check this never happens.
    return _syntax_error(f"cannot read this text ({type(error).__name__}: {error})", source, 1, 1)


def _explain_character(error, text: str, source: Source) -> SxSyntaxError:
    position = error.pos_in_stream
    line, column = error.line, error.column
    character = text[position]
    following = text[position + 1:position + 2]
    if character == '"':
        return _syntax_error(f"unterminated string starting at {line}:{column}", source, line, column, True)
    if character == "|":
        if following == "#":
            return _syntax_error(f"'|#' outside a block comment at {line}:{column}", source, line, column)
        return _syntax_error(f"unterminated |symbol| starting at {line}:{column}", source, line, column, True)
    if character == "#":
        if following == "\\":
            return _syntax_error(f"bad character name: nothing after #\\ at {line}:{column}", source, line, column,
                                 True)
        if not following:
            return _syntax_error(f"bad # syntax: '#' at the end of the text at {line}:{column}", source, line,
                                 column, True)
        if following.isspace():
            return _syntax_error(f"bad # syntax: '#' followed by a space at {line}:{column}", source, line, column)
        shown = following if following.isprintable() else repr(following)[1:-1]
        return _syntax_error(f"bad # syntax #{shown} at {line}:{column}", source, line, column)
    if character in "[]{}":
        return _syntax_error(f"unexpected '{character}' at {line}:{column}: brackets and braces are not "
                             "Scheme syntax here, use parentheses", source, line, column)
    shown = character if character.isprintable() else repr(character)[1:-1]
    return _syntax_error(f"unexpected character '{shown}' at {line}:{column}", source, line, column)


def _explain_token(error, text: str, source: Source) -> SxSyntaxError:
    token = error.token
    kind = token.type
    if kind == "$END":
        open_stack, previous = _tokens_before(text, len(text))
        end_line = text.count("\n") + 1
        end_column = len(text) - (text.rfind("\n") + 1) + 1
        if previous is not None and previous.type == "ABBREVIATION":
            return _syntax_error(f"nothing follows the {_mark_name(previous.value.rstrip())} at "
                                 f"{_where(previous)}", source, previous.line, previous.column, True)
        if previous is not None and previous.type == "DATUM_COMMENT" and not open_stack:
            return _syntax_error(f"nothing follows the datum comment #; at {_where(previous)}",
                                 source, previous.line, previous.column, True)
        if open_stack:
            opener = open_stack[-1]
            return _syntax_error(f"unclosed '{opener.value.rstrip()}' opened at {_where(opener)}",
                                 source, opener.line, opener.column, True)
        return _syntax_error("unexpected end of text", source, end_line, end_column, True)

    line, column = token.line, token.column
    open_stack, previous = _tokens_before(text, token.start_pos)
    previous_kind = previous.type if previous is not None else None
    if kind == "DOT":
        return _syntax_error(f"'.' in a wrong place at {line}:{column}", source, line, column)
    if previous_kind == "ABBREVIATION":
        return _syntax_error(f"nothing follows the {_mark_name(previous.value.rstrip())} at {_where(previous)}",
                             source, previous.line, previous.column)
    if previous_kind == "DATUM_COMMENT":
        return _syntax_error(f"nothing follows the datum comment #; at {_where(previous)}",
                             source, previous.line, previous.column)
    if previous_kind == "DOT":
        return _syntax_error(f"'.' in a wrong place at {_where(previous)}: no datum after it",
                             source, previous.line, previous.column)
    if kind == "CLOSE" and not open_stack:
        return _syntax_error(f"unexpected ')' at {line}:{column}", source, line, column)
    if error.expected and set(error.expected) <= {"CLOSE", "DATUM_COMMENT"}:
        return _syntax_error(f"'.' in a wrong place: a second datum after '.' at {line}:{column}, "
                             "expected ')'", source, line, column)
    shown = token.value.rstrip() or kind
    return _syntax_error(f"unexpected {shown!r} at {line}:{column}", source, line, column)
