"""Promises: what ``delay``, ``delay-force`` and ``make-promise`` make, and ``force``."""

from __future__ import annotations

from .runtime import complete, fault


class Promise:
    """What ``delay``, ``delay-force`` and ``make-promise`` return.

    ``box`` is ``[done, value]`` or ``[False, (node, frame)]``; promises chained by
    ``delay-force`` come to share one box, as in R7RS's reference implementation.
    """

    __slots__ = ("box",)

    def __init__(self, done: bool, payload) -> None:
        self.box = [done, payload]

    def sx_write(self) -> str:
        return "#<promise>"


def force(promise):
    """The value of ``promise``, computed once; anything that is not a promise is its own value."""
    if type(promise) is not Promise:
        return promise
    # R7RS iterative forcing: a chain of delay-force runs in constant stack.
    while True:
        box = promise.box
        if box[0]:
            return box[1]
        node, frame = box[1]
        inner = complete(node(frame))
        if type(inner) is not Promise:
            raise fault("force: delay-force must produce a promise", inner, kind="wrong-type")
        box = promise.box
        if not box[0]:  # forcing the body may have forced this promise already
            inner_box = inner.box
            box[0], box[1] = inner_box[0], inner_box[1]
            inner.box = box


def make_promise(value):
    """A promise already forced to ``value`` (``value`` itself when it is a promise)."""
    if type(value) is Promise:
        return value
    return Promise(True, value)
