"""Several rate-limit budgets of one request counted in one trip to the counts' storage.

Why: Flask-Limiter counts each budget with its own trip to Redis, and a budget counted after
the answer (`deduct_when`) with two: its test before the view, its count after. The public
check-in pages have three budgets, and those four trips were the largest share of a phone's
first page (docs/architecture.md, "Where the time goes"). Here one Lua script tests and counts
all of them at once.

What stays exactly as Flask-Limiter does it (the same counts in the same keys, so both can run
side by side during an upgrade):

- the keys (`LIMITS:LIMITER/<key>/<scope>/<amount>/<multiples>/<granularity>`, with
  RATELIMIT_KEY_PREFIX when set), the fixed windows and their expiry;
- the order: the budgets by their window's length, in the order given when equal, and the first
  budget refused stops the count (Flask-Limiter's default, RATELIMIT_FAIL_ON_FIRST_BREACH; this
  module always does so);
- a budget counted after the answer (`counts_after`) is tested before the view and counted after
  it when `counts_after(response)` says so. When `counts_before()` already knows that the answer
  will count (a phone that has its cookie), it is counted in the same trip instead: the same
  count, one trip less, and concurrent requests cannot all slip past its test;
- a refused request is answered 429 (the error page), and logged;
- RATELIMIT_ENABLED off counts nothing; a budget with an empty key is skipped;
- the counts' storage unreachable: counted in this process's memory meanwhile when
  RATELIMIT_IN_MEMORY_FALLBACK_ENABLED (Redis is tried again after `RETRY_SECONDS`), else the
  error is raised.

Any other storage or strategy than Redis with fixed windows (memory:// in tests, a moving
window) is counted through the limiter's own strategy, one call per budget, with the same
rules.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import after_this_request, current_app
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisSentinelStorage, RedisStorage
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from registry.extensions import limiter

log = logging.getLogger(__name__)
RETRY_SECONDS = 5

# KEYS: one per budget window, in order. ARGV: per key its amount, its expiry in seconds and
# 1 (count it) or 0 (only test it). Answers 0 when all passed, else the position of the first
# refused; the windows after it are not touched. Counting is limits' incr_expire.lua: the
# window's expiry is set when its count starts.
_SCRIPT = """
for i, key in ipairs(KEYS) do
  local amount = tonumber(ARGV[3 * i - 2])
  if ARGV[3 * i] == "1" then
    local current = redis.call("incrby", key, 1)
    if current == 1 then
      redis.call("expire", key, ARGV[3 * i - 1])
    end
    if current > amount then
      return i
    end
  elseif tonumber(redis.call("get", key) or "0") >= amount then
    return i
  end
end
return 0
"""


@dataclass(frozen=True)
class Budget:
    """One budget: its scope (the key's name), its limit ("60 per minute", or several joined
    by ";"), whom it counts (`key`), and, for a budget that counts only some answers, which
    (`counts_after(response)`) and when that is known before the view (`counts_before()`)."""

    scope: str
    limit: Callable[[], str]
    key: Callable[[], str]
    counts_after: Callable[[object], bool] | None = None
    counts_before: Callable[[], bool] | None = None


@dataclass(frozen=True)
class _Window:
    budget: Budget
    item: RateLimitItem
    identifiers: tuple[str, ...]
    counted: bool  # counted before the view (else only tested, and maybe counted after)


def budgets(*given: Budget):
    """Decorator: check `given` before the view, in one trip to the counts' storage."""

    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            check(given)
            return view(*args, **kwargs)

        return limited

    return decorate


def check(given: tuple[Budget, ...]) -> None:
    """Test and count the budgets of this request; raise 429 when one is spent."""
    if not limiter.enabled:
        return
    windows = _windows(given)
    if not windows:
        return
    refused = _run(windows)
    reached = windows if refused is None else windows[:refused + 1]
    later = [w for w in reached if not w.counted]
    if later:
        # Counted after the answer if it says so, as Flask-Limiter's deduct_when: also when
        # this request is refused (the 429 page is an answer too).
        @after_this_request
        def count_after(response):
            for window in later:
                if window.budget.counts_after(response):
                    _count_after(window)
            return response
    if refused is not None:
        window = windows[refused]
        log.info("ratelimit %s (%s) exceeded at endpoint: %s", window.item,
                 window.identifiers[-2], window.budget.scope)
        raise TooManyRequests(description=str(window.item))


def _windows(given: tuple[Budget, ...]) -> list[_Window]:
    """Every window of every budget, in the order they are tested."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    windows = []
    for budget in given:
        key = budget.key()
        if not key:
            continue
        counted = budget.counts_after is None or bool(budget.counts_before
                                                      and budget.counts_before())
        identifiers = (prefix, key, budget.scope) if prefix else (key, budget.scope)
        for item in _parsed(budget.limit()):
            windows.append(_Window(budget, item, identifiers, counted))
    # As Flask-Limiter: by the window's length (a stable sort keeps the given order).
    return sorted(windows, key=lambda w: w.item)


@functools.lru_cache(maxsize=64)
def _parsed(limit: str) -> tuple[RateLimitItem, ...]:
    """The windows of a limit string ("60 per minute;1000 per day"), parsed once: the limits
    are settings, and parsing them again cost every public request a regular expression."""
    return tuple(parse_many(limit))


def _run(windows: list[_Window]) -> int | None:
    """Test and count `windows`; the position of the first refused one, or None."""
    if _storage_down():
        return _run_each(_fallback(), windows)
    strategy = limiter.limiter
    storage = strategy.storage
    try:
        if (type(strategy) is FixedWindowRateLimiter
                and type(storage) in (RedisStorage, RedisSentinelStorage)):
            return _run_script(storage, windows)
        return _run_each(strategy, windows)
    except Exception as error:
        if not _unreachable(storage, error):
            raise
        return _run_each(_fallback(), windows)


def _unreachable(storage, error: Exception) -> bool:
    """Whether `error` is the storage's (then counted in memory meanwhile, if configured)."""
    if not isinstance(error, (StorageError, storage.base_exceptions)):
        return False
    if not current_app.config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"):
        return False
    log.warning("Rate limit storage unreachable - falling back to in-memory storage")
    _STATE["down_until"] = time.monotonic() + RETRY_SECONDS
    return True


def _run_script(storage: RedisStorage, windows: list[_Window]) -> int | None:
    """One EVALSHA for all windows."""
    script = _SCRIPTS.get(id(storage))
    if script is None or script[0] is not storage:
        script = (storage, storage.get_connection().register_script(_SCRIPT))
        _SCRIPTS[id(storage)] = script
    keys, argv = [], []
    for window in windows:
        keys.append(storage.prefixed_key(window.item.key_for(*window.identifiers)))
        argv += [window.item.amount, window.item.get_expiry(), 1 if window.counted else 0]
    refused = int(_evalsha(script[1], keys, argv))
    return refused - 1 if refused else None


def _evalsha(script, keys: list, argv: list):
    """The script's EVALSHA on this thread's own connection to Redis: the command, its answer.

    Why not `script(keys, argv)`: redis-py's command path (its retry wrapper, event hooks and
    response callbacks) cost more CPU than the round trip itself, on every public request; and
    why not a connection of the client's pool each time: taking one and giving it back (locks,
    a check that it has nothing unread, which asks the kernel, event hooks) cost half as much
    again. A server thread serves one request at a time, so its own connection is never
    shared. What the pool did that matters is kept: a kept connection that Redis closed
    meanwhile (a restart, a timeout) is replaced and the command sent again once, a connection
    that failed is dropped, and a Redis that lost the script (restarted, SCRIPT FLUSH) gets it
    again.
    """
    pool = script.registered_client.connection_pool
    connection, kept = _thread_connection(pool)
    try:
        try:
            return _send(connection, script, keys, argv)
        except (RedisConnectionError, RedisTimeoutError):
            if not kept:
                raise
            connection.disconnect()
            connection, _kept = _thread_connection(pool, fresh=True)
            return _send(connection, script, keys, argv)
    except BaseException:
        _THREAD.connection = None
        connection.disconnect()
        raise


def _send(connection, script, keys: list, argv: list):
    try:
        connection.send_command("EVALSHA", script.sha, len(keys), *keys, *argv)
        return connection.read_response()
    except NoScriptError:
        connection.send_command("SCRIPT", "LOAD", script.script)
        sha = connection.read_response()
        script.sha = sha.decode() if isinstance(sha, bytes) else sha
        connection.send_command("EVALSHA", script.sha, len(keys), *keys, *argv)
        return connection.read_response()


def _thread_connection(pool, fresh: bool = False):
    """This thread's connection made by `pool` (with the pool's settings), and whether it was
    kept from before: made on first use, after a fork (a new server worker), for another pool,
    or when `fresh`."""
    held = getattr(_THREAD, "connection", None)
    if fresh or held is None or held[0] is not pool or held[1] != os.getpid():
        _THREAD.connection = (pool, os.getpid(), pool.make_connection())
        return _THREAD.connection[2], False
    return held[2], True


def _run_each(strategy, windows: list[_Window]) -> int | None:
    """One call per window through the limiter's strategy (any storage)."""
    for position, window in enumerate(windows):
        if not _count_one(strategy, window):
            return position
    return None


def _count_one(strategy, window: _Window) -> bool:
    """Count (or, for a window counted after the answer, test) one window."""
    if window.counted:
        return strategy.hit(window.item, *window.identifiers)
    return strategy.test(window.item, *window.identifiers)


def _count_after(window: _Window) -> None:
    """Count a window after the answer (in memory while the storage is unreachable)."""
    if not _storage_down():
        strategy = limiter.limiter
        try:
            strategy.hit(window.item, *window.identifiers)
            return
        except Exception as error:
            if not _unreachable(strategy.storage, error):
                raise
    _fallback().hit(window.item, *window.identifiers)


# Per process: the scripts registered per storage, and the in-memory counts while the storage
# is unreachable.
_SCRIPTS: dict[int, tuple[RedisStorage, object]] = {}
_STATE: dict = {"down_until": 0.0, "fallback": None}
# Per thread: its own connection to Redis (`_evalsha`).
_THREAD = threading.local()


def _storage_down() -> bool:
    return time.monotonic() < _STATE["down_until"]


def _fallback() -> FixedWindowRateLimiter:
    if _STATE["fallback"] is None:
        _STATE["fallback"] = FixedWindowRateLimiter(MemoryStorage())
    return _STATE["fallback"]
