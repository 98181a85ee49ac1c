"""Dynamic state of running Scheme code: handler stacks per thread and interpreter, entry counts, the recursion limit.

Everything here is restored on every exit path, KeyboardInterrupt included. The rule
that makes that hold: a change is recorded before it is made (or made inside the
``try`` whose ``finally`` undoes it), and every undo sets a recorded value back, so
undoing twice is harmless.

- **Handler stacks.** The handlers installed by ``with-exception-handler`` and the
  running guards form a persistent chain of tuples ``(entry, outer, depth)`` ending in
  ``NO_HANDLERS``: installing one is one tuple, removing it is putting the outer chain
  back, and asking each handler in turn never copies anything (one raise through N
  guards is linear). The chain lives in a ``DynamicState``, one per thread and per
  interpreter: each thread has a "current" slot (a ``threading.local``) that an entry
  into an interpreter points at that interpreter's state and restores on the way out.
- **Entries.** Every call from Python into Scheme (``Interpreter.eval``, ``call``, a
  closure called from Python) goes through ``run``: it holds the interpreter's
  re-entrant lock (one interpreter used by several threads serialises them), counts the
  thread's nested Python/Scheme entries (each costs C stack), and raises the recursion
  limit.
- **Recursion limit.** Python's recursion limit is process-wide. It is raised to the
  largest limit any active entry needs and put back to its resting value only when the
  last active entry in the process leaves, all under one lock.
- **Garbage collector.** Scheme code allocates many small objects (pairs), each counted
  towards Python's youngest-generation threshold (700 by default): a list-building
  program spent about a quarter of its time in collections. While any entry is active
  the threshold of generation 0 is raised to ``SCHEME_GC_THRESHOLD`` (never lowered),
  with the same bookkeeping as the recursion limit; the last entry to leave puts the
  host's thresholds back, unless the host changed them meanwhile (then its change stays).
- **Frame room.** CPython 3.11+ keeps Python frames in 16 KB chunks and frees a chunk
  as soon as the frame at its base returns, so a recursion going up and down across a
  chunk boundary pays an allocation and a release (mmap/munmap) each time it crosses:
  measured about 13 microseconds, a third of the time of a 100-deep list recursion, and
  going 100,000 deep and back paid it for every 16 KB. The outermost entry of a thread
  running a program (``Interpreter.eval``, ``eval_forms``, ``load``) runs its code under
  one frame sized so that CPython gives it a chunk with ``FRAME_ROOM`` bytes free
  (reserved address space: only the pages frames touch are ever used; where the system
  refuses to reserve it, the code runs as it would have). Reserving and releasing it
  costs about 10 microseconds, a fraction of compiling the program; a procedure called
  from Python (3 to 4 microseconds a call) does without it.
"""

import gc
import sys
import threading

from .errors import SchemeError

# The empty handler chain: (entry, outer chain, number of handlers).
NO_HANDLERS = (None, None, 0)

# Each Python -> Scheme entry (a Python callable calling a Scheme procedure back) costs
# C stack: measured 1 to 2 KB on CPython 3.11 (2,000 entries crash a 2 MB thread, 1,000
# do not). A thread allows one entry per BYTES_PER_ENTRY of its stack, at most
# MAX_PYTHON_ENTRIES (the 8 MB main thread gets all 2,000; a 512 KB thread 128).
# Nested Scheme calls themselves use no C stack (see runtime), so plain deep recursion
# is the same in every thread.
MAX_PYTHON_ENTRIES = 2_000
BYTES_PER_ENTRY = 4_096
_ASSUMED_STACK = 2 * 1024 * 1024  # when the size cannot be known (an unlimited rlimit)
# Python frames a nested (non-tail) Scheme call costs on the usual paths (2 to 4), so the
# limit admits at least ``max_depth`` nested calls.
FRAMES_PER_CALL = 2
# Frames kept free above the entry point for the code that reports the error.
HEADROOM = 200
# Generation-0 threshold while Scheme code runs (see "Garbage collector" above): 25,000
# allocations between young collections instead of 700 (measured on a quicksort of 20,000
# numbers: 0.23 s -> 0.17 s at 10,000, and its time in collections a quarter of that
# again at 25,000; larger values gained nothing more).
SCHEME_GC_THRESHOLD = 25_000
# Free bytes the outermost entry of a thread starts its frames in (see "Frame room"): about
# 100,000 nested calls of a small procedure (count 100,000 deep: 31 ms -> 24 ms).
FRAME_ROOM = 16 * 1024 * 1024


class DynamicState:
    """The dynamic state of one interpreter in one thread: its exception-handler chain."""

    __slots__ = ("handlers", "interpreter")

    def __init__(self, interpreter) -> None:
        self.handlers = NO_HANDLERS
        self.interpreter = interpreter


class _Current(threading.local):
    """Per thread: the state of the interpreter running here, and how many entries are nested."""

    def __init__(self) -> None:
        self.state = DynamicState(None)  # Scheme code run outside any interpreter entry
        self.entries = 0
        self.entry_limit = _entry_limit()


def _entry_limit() -> int:
    """How many nested Python -> Scheme entries this thread's C stack holds, with a wide margin."""
    size = 0 if threading.current_thread() is threading.main_thread() else threading.stack_size()
    if not size:
        # The main thread's stack, and a thread's default on Linux, follow RLIMIT_STACK.
        try:
            import resource

            soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
            size = soft if soft > 0 else _ASSUMED_STACK
        except (ImportError, ValueError, OSError):
            size = _ASSUMED_STACK
    return max(16, min(MAX_PYTHON_ENTRIES, size // BYTES_PER_ENTRY))


current = _Current()  # ``current.state`` is read on the hot path of guard and raise


# -- the recursion limit (process-wide) ---------------------------------------------

_limit_lock = threading.Lock()
_active: dict = {}  # entry token -> the recursion limit it needs
_resting_limit: int | None = None  # the limit before the first active entry raised it
_raised_to: int | None = None  # the last limit set here


def set_recursion_limit(limit: int) -> None:
    """``sys.setrecursionlimit``, the one place this module changes it (tests wrap it to inject faults)."""
    sys.setrecursionlimit(limit)


def set_gc_threshold(thresholds: tuple) -> None:
    """``gc.set_threshold``, the one place this module changes it (tests wrap it to inject faults)."""
    gc.set_threshold(*thresholds)


_resting_gc: tuple | None = None  # the collector's thresholds before the first active entry
_gc_raised_to: tuple | None = None  # the thresholds last set here


def _raise_limit(token, need: int) -> None:
    global _resting_limit, _raised_to, _resting_gc, _gc_raised_to
    with _limit_lock:
        limit = sys.getrecursionlimit()
        if not _active:
            if _raised_to is None or limit != _raised_to:
                # Nothing is active: the present limit is the resting one, unless it is a
                # raised value an interrupted restore left behind.
                _resting_limit = limit
            thresholds = gc.get_threshold()
            if _gc_raised_to is None or thresholds != _gc_raised_to:
                _resting_gc = thresholds  # the same for the collector's thresholds
        _active[token] = need  # recorded before the limit changes
        if need > limit:
            _raised_to = need
            set_recursion_limit(need)
        thresholds = gc.get_threshold()
        if thresholds[0] < SCHEME_GC_THRESHOLD and thresholds == _resting_gc:
            _gc_raised_to = (SCHEME_GC_THRESHOLD, *thresholds[1:])
            set_gc_threshold(_gc_raised_to)


def _restore_limit(token) -> None:
    global _raised_to
    with _limit_lock:
        if token not in _active:
            return
        if len(_active) == 1 and _resting_limit is not None:
            # The last active entry: the limit goes back before the entry is forgotten, so
            # an interrupt between the two leaves the entry here for the retry to finish.
            try:
                set_recursion_limit(_resting_limit)
            except RecursionError:
                # This thread is deeper than the resting limit (it entered while another
                # thread had raised it): keep the lowest limit that works here.
                set_recursion_limit(_python_depth() + HEADROOM)
            _raised_to = None
            if _resting_gc is not None and gc.get_threshold() == _gc_raised_to:
                set_gc_threshold(_resting_gc)  # unless the host set its own meanwhile
        del _active[token]


def _python_depth() -> int:
    frame = sys._getframe(1)
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


# -- entries -----------------------------------------------------------------------


class _Entry:
    """What one entry changed, recorded before it changed it, so leaving can put it back."""

    __slots__ = ("previous_state", "previous_entries", "counted", "__weakref__")

    def __init__(self) -> None:
        self.previous_state = None
        self.previous_entries = 0
        self.counted = False


class _NoLock:
    """The lock of code run outside any interpreter: nothing to serialise."""

    def __enter__(self):
        return self

    def __exit__(self, *exception) -> None:
        return None


_NO_LOCK = _NoLock()


class TooManyEntries(Exception):
    """More nested Python/Scheme entries than this thread's limit (runtime makes it a Scheme error)."""


def run(interpreter, max_depth: int, function, *args, room: bool = False):
    """Run ``function(*args)`` as Scheme code of ``interpreter`` (None: no interpreter) in this thread.

    Holds the interpreter's lock, makes its state current for this thread, counts the
    entry and raises the recursion limit so ``max_depth`` nested calls fit; all of it
    is undone when ``function`` returns or raises, however it raises. ``room``: the
    outermost entry of the thread runs under the frame room (see "Frame room"; a
    program run asks for it, a procedure called from Python does not).
    """
    lock = interpreter.lock if interpreter is not None else _NO_LOCK
    with lock:
        local = current
        entry = _Entry()
        entry.previous_state = local.state
        entry.previous_entries = local.entries
        state = entry.previous_state
        try:
            if entry.previous_entries >= local.entry_limit:
                raise TooManyEntries(local.entry_limit)
            entry.counted = True
            local.entries = entry.previous_entries + 1
            if interpreter is not None and state.interpreter is not interpreter:
                # Another interpreter in this thread: it gets a handler chain of its own.
                state = DynamicState(interpreter)
            local.state = state
            _raise_limit(entry, _python_depth() + HEADROOM + max_depth * FRAMES_PER_CALL)
            if room and entry.previous_entries == 0:
                try:
                    return _with_frame_room(function, args)
                except MemoryError as error:
                    if error.__traceback__.tb_next is not None:
                        raise  # the code itself ran out of memory
                    # The room could not be reserved (its frame was refused): run as usual.
            return function(*args)
        except SchemeError as error:
            if state is not entry.previous_state:
                # The handler depths it records are about the chain it leaves: to the
                # code outside it is a fault that no handler has seen yet.
                error.handlers_passed = None
                error.guard_choice = None
            raise
        finally:
            try:
                _leave(local, entry)
            except BaseException:
                _leave(local, entry)  # interrupted while undoing: undoing is idempotent
                raise


def _with_frame_room(function, args):
    """``function(*args)``, its frames starting in a chunk with ``FRAME_ROOM`` bytes free (see "Frame room")."""
    return function(*args)


def _make_room(code, room: int):
    """``code`` with a value stack so large that CPython gives its frame a chunk of its own.

    A frame larger than a chunk gets a new chunk of the next power of two in size: a
    frame of just over ``room`` bytes gets ``2 * room`` with ``room`` free after it. The
    value stack is never used beyond its first slots, so its pages are never touched.
    Only CPython keeps frames this way; elsewhere the code is left as it is.
    """
    if sys.implementation.name != "cpython" or sys.version_info < (3, 11):
        return code
    return code.replace(co_stacksize=code.co_stacksize + room // 8 + 64)


_with_frame_room.__code__ = _make_room(_with_frame_room.__code__, FRAME_ROOM)


def _leave(local, entry) -> None:
    local.state = entry.previous_state
    if entry.counted:
        local.entries = entry.previous_entries
    _restore_limit(entry)


# -- introspection -------------------------------------------------------------------


def runtime_state() -> dict:
    """The resting-state facts a caller can check (public; tests use it after interrupts).

    ``recursion_limit``: Python's present limit; ``resting_recursion_limit``: the value it
    goes back to when no Scheme code runs (the present limit when none does);
    ``active_calls``: entries into Scheme running now in the whole process;
    ``thread_entries``: nested entries in the calling thread, at most ``thread_entry_limit``
    (from the thread's stack size); ``handler_depth``: handlers
    and guards installed in the calling thread's current state; ``gc_enabled``;
    ``gc_threshold``: the collector's thresholds now, and ``resting_gc_threshold``: the
    ones they go back to when no Scheme code runs.
    """
    with _limit_lock:
        active = len(_active)
        resting = _resting_limit if active else sys.getrecursionlimit()
        resting_gc = _resting_gc if active else gc.get_threshold()
    return {
        "recursion_limit": sys.getrecursionlimit(),
        "resting_recursion_limit": resting,
        "active_calls": active,
        "thread_entries": current.entries,
        "thread_entry_limit": current.entry_limit,
        "handler_depth": current.state.handlers[2],
        "gc_enabled": gc.isenabled(),
        "gc_threshold": gc.get_threshold(),
        "resting_gc_threshold": resting_gc,
    }
