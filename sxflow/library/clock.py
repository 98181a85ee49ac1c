"""Time as R7RS has it: current-second, current-jiffy and jiffies-per-second."""

from __future__ import annotations

import time

from .registry import builtin

# A jiffy is a microsecond: fine enough to time Scheme code, and an exact integer.
JIFFIES_PER_SECOND = 1_000_000


@builtin("current-second")
def current_second():
    return time.time()


@builtin("current-jiffy")
def current_jiffy():
    return time.perf_counter_ns() // 1_000


@builtin("jiffies-per-second")
def jiffies_per_second():
    return JIFFIES_PER_SECOND
