"""How the cost of a function grows with its input, measured so that a loaded machine does not
fail the test: CPU time of this process (not wall time), the best of a few runs, and only the
ratio between two sizes is asserted. Linear work grows about 8x from n to 8n; quadratic work
64x: a wide factor keeps the verdict clear of the noise a loaded machine adds."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def cpu_seconds(call: Callable[[], object], runs: int = 3) -> float:
    """The best CPU time of ``runs`` calls, the garbage collector paused: a collection's cost
    grows with everything else the process holds (a whole test session's objects), which
    made linear work look quadratic inside the suite (22x instead of 8x)."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.process_time()
            call()
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
    return best


def growth(make: Callable[[int], Callable[[], object]], n: int, factor: int = 8) -> float:
    """CPU time at ``factor * n`` over CPU time at ``n`` (at least 1 ms counted for the small
    one, so that timer resolution cannot inflate the ratio)."""
    small = cpu_seconds(make(n))
    big = cpu_seconds(make(factor * n))
    return big / max(small, 0.001)
