"""Sign-in throttling: too many failures for one account or one client answer 429 for a while.

Kept in memory per server process: a restart forgets, and several processes each count on their own.
That bounds guessing well enough for a clinic's server; a shared store is the next step if needed.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass
class LoginThrottle:
    max_per_account: int
    max_per_client: int
    window_seconds: float
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if not times:
            del self._failures[key]
            return deque()
        return times

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = self._recent(key, now)
        if len(times) < limit:
            return 0.0
        # Blocked until enough of the failures leave the window.
        return times[len(times) - limit] + self.window_seconds - now

    def retry_after(self, account: str, client: str, now: float) -> int:
        """Seconds to wait before trying again; 0 when a sign-in may be attempted now."""
        wait = max(
            self._wait(f"account:{account}", self.max_per_account, now),
            self._wait(f"client:{client}", self.max_per_client, now),
        )
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, account: str, client: str, now: float) -> None:
        for key in (f"account:{account}", f"client:{client}"):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, account: str) -> None:
        self._failures.pop(f"account:{account}", None)
