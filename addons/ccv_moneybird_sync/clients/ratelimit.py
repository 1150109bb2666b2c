"""Client-side rate limiter: never more than N requests in any sliding window.

It never waits long: when the next free slot is further away than ``max_wait``
it raises :class:`RateLimitExhausted` with the delay, and the caller hands the work
back to the cron (``_trigger(at=...)``) instead of sleeping in a worker.
"""

import collections
import threading
import time

from .errors import RateLimitExhausted, _lt
from .http import MAX_INLINE_WAIT

# Moneybird: 150 requests per 5 minutes for the whole platform.
MONEYBIRD_MAX_REQUESTS = 150
MONEYBIRD_WINDOW_SECONDS = 300.0


class SlidingWindowLimiter:
    """Blocks in :meth:`acquire` until one more request fits in the window."""

    def __init__(
        self,
        max_requests=MONEYBIRD_MAX_REQUESTS,
        window=MONEYBIRD_WINDOW_SECONDS,
        clock=time.monotonic,
        sleep=time.sleep,
        max_wait=MAX_INLINE_WAIT,
    ):
        if max_requests < 1 or window <= 0:
            raise ValueError(
                "A rate limit needs at least one request per positive window"
            )
        self.max_requests = max_requests
        self.window = float(window)
        self._clock = clock
        self._sleep = sleep
        self.max_wait = max_wait
        self._stamps = collections.deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _drop_expired(self, now):
        while self._stamps and self._stamps[0][0] <= now - self.window:
            self._stamps.popleft()

    def acquire(self):
        """Wait for a free slot; returns it, to be passed to :meth:`finished`."""
        # the lock is held while waiting: callers queue up in order
        with self._lock:
            now = self._clock()
            self._drop_expired(now)
            while len(self._stamps) >= self.max_requests:
                # a small margin so the server, which counts on its own clock, agrees
                delay = self._stamps[0][0] + self.window - now + 0.01
                if delay > self.max_wait:
                    raise RateLimitExhausted(budget_used(), retry_after=delay)
                self.waited += delay
                self._sleep(delay)
                now = self._clock()
                self._drop_expired(now)
            slot = [now]
            self._stamps.append(slot)
            return slot

    def finished(self, slot):
        """The request is answered: count it from now, when the server surely saw it."""
        slot[0] = self._clock()

    def pause(self, seconds):
        """The server asked us to wait (Retry-After): in place only if it is short."""
        if seconds > self.max_wait:
            raise RateLimitExhausted(budget_used(), retry_after=seconds)
        if seconds > 0:
            self.waited += seconds
            self._sleep(seconds)


def budget_used():
    return _lt("The Moneybird request budget is used up; the sync continues later")


_shared = {}
_shared_lock = threading.Lock()


def shared_limiter(
    key, max_requests=MONEYBIRD_MAX_REQUESTS, window=MONEYBIRD_WINDOW_SECONDS
):
    """One limiter per Moneybird account in this process, so successive runs (cron
    batches, a user pressing Process, a webhook) together stay under the limit."""
    with _shared_lock:
        limiter = _shared.get(key)
        if (
            limiter is None
            or limiter.max_requests != max_requests
            or limiter.window != float(window)
        ):
            limiter = _shared[key] = SlidingWindowLimiter(max_requests, window)
        return limiter
