"""A Redis cache that keeps working, in process memory, while Redis is unreachable.

Used for rate-limit counters and proof-of-work replay guards: a Redis outage must not stop
tips from being accepted, and must not switch the limits off either. While Redis is down
each web process counts on its own, so a limit of N becomes at most N per process
(gunicorn's WEB_CONCURRENCY); the outage is logged, and Redis is tried again every
RETRY_SECONDS so a request does not pay a connection timeout each time.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_SECONDS = 10


class FailoverRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._fallback = LocMemCache(f"failover-{id(self)}", {"KEY_PREFIX": self.key_prefix})
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def redis_is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.redis_is_down:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except REDIS_DOWN as exc:
                self._redis_failed(exc)
        return getattr(self._fallback, name)(*args, **kwargs)

    def _redis_failed(self, exc: Exception) -> None:
        with self._lock:
            if not self.redis_is_down:
                logger.warning(
                    "Redis unreachable (%r): counting in process memory for %ss",
                    exc,
                    RETRY_SECONDS,
                )
            self._down_until = time.monotonic() + RETRY_SECONDS

    def add_once(self, key: str, value: Any, timeout: Any = None, version: Any = None) -> bool:
        """`add` for single-use tokens: True for the first use only.

        The token is also remembered in this process's memory, whether Redis is up or not,
        so one used while Redis was down is not taken again by Redis once it is back (and
        one taken by Redis is not taken again by the fallback). Both adds are atomic (SET NX;
        the fallback holds a lock), so concurrent requests cannot both win.
        """
        new_here = self._fallback.add(key, value, timeout, version)
        if not self.redis_is_down:
            try:
                return super().add(key, value, timeout, version) and new_here
            except REDIS_DOWN as exc:
                self._redis_failed(exc)
        return new_here

    def add(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> Any:
        return self._call("add", key, value, timeout, version)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._call("get", key, default, version)

    def set(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> Any:
        return self._call("set", key, value, timeout, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        return self._call("incr", key, delta, version)

    def delete(self, key: Any, version: Any = None) -> Any:
        return self._call("delete", key, version)

    def clear(self) -> Any:
        """Delete this alias's keys only: Redis's own clear would flush the whole database,
        Celery's queues included when they share it."""
        self._fallback.clear()
        if self.redis_is_down:
            return
        try:
            client = self._cache.get_client(write=True)
            for key in client.scan_iter(match=f"{self.key_prefix}:*", count=500):
                client.delete(key)
        except REDIS_DOWN:
            self._down_until = time.monotonic() + RETRY_SECONDS

    def redis_keys(self) -> list[str]:
        """The keys this alias holds in Redis (for tests and operators)."""
        client = self._cache.get_client()
        return [key.decode() for key in client.scan_iter(match=f"{self.key_prefix}:*")]
