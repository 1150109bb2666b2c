"""Client-side rate limiter: never more than N requests in any sliding window."""

import collections
import time

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
    ):
        if max_requests < 1 or window <= 0:
            raise ValueError(
                "A rate limit needs at least one request per positive window"
            )
        self.max_requests = max_requests
        self.window = float(window)
        self._clock = clock
        self._sleep = sleep
        self._stamps = collections.deque()
        self.waited = 0.0

    def _drop_expired(self, now):
        while self._stamps and self._stamps[0] <= now - self.window:
            self._stamps.popleft()

    def acquire(self):
        now = self._clock()
        self._drop_expired(now)
        while len(self._stamps) >= self.max_requests:
            # a small margin so the server, which counts from its own clock, agrees
            delay = self._stamps[0] + self.window - now + 0.01
            self.waited += delay
            self._sleep(delay)
            now = self._clock()
            self._drop_expired(now)
        self._stamps.append(now)

    def pause(self, seconds):
        """The server asked us to wait (Retry-After)."""
        if seconds > 0:
            self.waited += seconds
            self._sleep(seconds)
