"""Helpers shared by the benchmarks."""

import contextlib
import time
from collections import defaultdict
from unittest.mock import patch

from odoo.modules.registry import Registry
from odoo.tests.common import get_db_name


def vacuum(command):
    """Run a VACUUM command on its own connection (VACUUM cannot run in a
    transaction), so that a measured run does not pass over the dead rows of
    the run before."""
    with Registry(get_db_name()).cursor() as cr:
        cr._cnx.autocommit = True
        try:
            cr.execute(command)
        finally:
            cr._cnx.autocommit = False


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
