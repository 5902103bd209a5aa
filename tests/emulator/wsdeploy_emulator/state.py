"""Everything the emulator remembers besides moto's own backends: the current
fault settings, the call log, the quota buckets and windows, and the clocks of resources
whose state changes with time (new roles, Lambda functions, Route 53 changes).

One process-wide instance, ``STATE``, shared by the middleware and the moto
patches. All access goes through its lock; monotonic time is used for every
window so wall-clock changes cannot shorten or stretch a fault.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import settings


class TokenBucket:
    """A token bucket: ``burst`` tokens, refilled at ``rate`` per second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def _refill(self, now: float) -> None:
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def available(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= 1.0

    def take(self) -> None:
        self.tokens -= 1.0


class SlidingWindow:
    """At most ``limit`` requests in any ``seconds``-long window (no burst)."""

    def __init__(self, limit: int, seconds: float = 1.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self.admitted: deque[float] = deque()

    def admit(self, now: float) -> bool:
        while self.admitted and now - self.admitted[0] >= self.seconds:
            self.admitted.popleft()
        if len(self.admitted) >= self.limit:
            return False
        self.admitted.append(now)
        return True


@dataclass
class FunctionClock:
    """When a Lambda function leaves Pending and when its last update ends."""

    pending_until: float = 0.0
    update_until: float = 0.0


@dataclass
class EmulatorState:
    launch: dict[str, Any] = field(default_factory=lambda: dict(settings.DEFAULTS))
    faults: dict[str, Any] = field(default_factory=lambda: dict(settings.DEFAULTS))
    lock: threading.RLock = field(default_factory=threading.RLock)
    rng: random.Random = field(default_factory=random.Random)
    calls: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    # Per-region rate quotas without burst, by (quota, region).
    windows: dict[tuple[str, str], SlidingWindow] = field(default_factory=dict)
    last_deployment: float | None = None
    last_domain_op: float | None = None
    functions: dict[str, FunctionClock] = field(default_factory=dict)
    roles_created: dict[str, float] = field(default_factory=dict)
    changes_insync_at: dict[str, float] = field(default_factory=dict)
    # Mutating requests let through since `freeze_after_mutations` was set.
    mutations_admitted: int = 0
    # Conditional Lambda updates refused since `stale_revisions` was set.
    stale_refused: int = 0

    def __post_init__(self) -> None:
        self._install(dict(self.faults))

    # -- settings ---------------------------------------------------------

    def set_launch(self, launch: dict[str, Any]) -> None:
        with self.lock:
            self.launch = dict(launch)
            self._install(dict(launch))

    def update_faults(self, update: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial update (may raise ``settings.SettingsError``)."""
        with self.lock:
            new = settings.apply_update(self.faults, update)
            self._install(new)
            return dict(self.faults)

    def _install(self, new: dict[str, Any]) -> None:
        # Every update restarts the random sequence (when seeded) and refills
        # the quota buckets, so a test that sets faults starts from a known
        # point.
        self.faults = new
        self.mutations_admitted = 0
        self.stale_refused = 0
        if new["seed"] is not None:
            self.rng.seed(new["seed"])
        self.buckets = {
            "apigateway": TokenBucket(new["apigw_rate"], new["apigw_burst"]),
            "route53": TokenBucket(new["route53_rate"], new["route53_burst"]),
        }
        self.windows = {}

    def fault(self, name: str) -> Any:
        with self.lock:
            return self.faults[name]

    def reset(self) -> None:
        """Forget everything; faults go back to the launch settings."""
        with self.lock:
            self.calls.clear()
            self.seq = 0
            self.last_deployment = None
            self.last_domain_op = None
            self.functions.clear()
            self.roles_created.clear()
            self.changes_insync_at.clear()
            self._install(dict(self.launch))

    def admit_windowed(self, quota: str, region: str, limit: int) -> bool:
        """Counts a request against a per-region quota without burst; False
        when it is over."""
        with self.lock:
            window = self.windows.setdefault((quota, region), SlidingWindow(limit))
            return window.admit(time.monotonic())

    # -- crash tests ------------------------------------------------------

    def admit_mutation(self) -> bool:
        """Whether a mutating request may go on under `freeze_after_mutations`
        (counting it when it may)."""
        with self.lock:
            limit = self.faults["freeze_after_mutations"]
            if limit is None:
                return True
            if self.mutations_admitted < limit:
                self.mutations_admitted += 1
                return True
            return False

    def refuse_as_stale(self) -> bool:
        """Whether this conditional Lambda update is to be refused under
        `stale_revisions` (counting it when it is)."""
        with self.lock:
            if self.stale_refused < self.faults["stale_revisions"]:
                self.stale_refused += 1
                return True
            return False

    def frozen(self) -> bool:
        with self.lock:
            limit = self.faults["freeze_after_mutations"]
            return limit is not None and self.mutations_admitted >= limit

    # -- random faults ----------------------------------------------------

    def roll(self, probability: float) -> bool:
        if probability <= 0:
            return False
        with self.lock:
            return self.rng.random() < probability

    # -- call log ---------------------------------------------------------

    def log_call(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.seq += 1
            self.calls.append({"seq": self.seq, **entry})

    def call_log(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.calls)

    def clear_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    # -- resource clocks --------------------------------------------------

    def function_clock(self, name: str) -> FunctionClock | None:
        with self.lock:
            return self.functions.get(name)

    def function_created(self, name: str) -> None:
        with self.lock:
            pending = self.faults["lambda_pending_ms"] / 1000.0
            self.functions[name] = FunctionClock(pending_until=time.monotonic() + pending)

    def function_updated(self, name: str) -> None:
        with self.lock:
            clock = self.functions.setdefault(name, FunctionClock())
            clock.update_until = time.monotonic() + self.faults["lambda_update_ms"] / 1000.0

    def function_deleted(self, name: str) -> None:
        with self.lock:
            self.functions.pop(name, None)

    def role_created(self, name: str) -> None:
        with self.lock:
            self.roles_created[name] = time.monotonic()

    def role_age(self, name: str) -> float | None:
        with self.lock:
            created = self.roles_created.get(name)
        return None if created is None else time.monotonic() - created


STATE = EmulatorState()
