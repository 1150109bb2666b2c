"""Helpers shared by the benchmarks."""

import contextlib
import time
from collections import defaultdict
from unittest.mock import patch


@contextlib.contextmanager
def timed_methods(steps):
    """Time methods while the block runs: steps is {name: (class, method
    name)}; yields {name: seconds}, summed over every call."""
    seconds = defaultdict(float)

    def timed(name, method):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                seconds[name] += time.perf_counter() - started

        return wrapper

    with contextlib.ExitStack() as stack:
        for name, (owner, attribute) in steps.items():
            method = getattr(owner, attribute)
            stack.enter_context(patch.object(owner, attribute, timed(name, method)))
        yield seconds
