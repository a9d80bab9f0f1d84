"""Textual's parameter count of a callback, computed once per function in a test process.

Textual calls every callback with as many arguments as it takes, and counts them with ``inspect.signature``.
It caches the count on the callable, but ``call_later`` wraps each callback in a new ``functools.partial``,
so a function handed to it again is counted again. The Pilot does that on every wait: each key and pause
hands one closure to every widget, and that is ~7,000 signatures in a TUI file (~3 % of its CPU). Here the
count of a plain function is kept per function object, weakly, so that a closure dies with its last use.
Only plain functions: the count of one never changes. Tests only.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any
from weakref import WeakKeyDictionary

from textual import _callback

_count_parameters = _callback._count_parameters
_COUNTS: WeakKeyDictionary[Callable[..., Any], int] = WeakKeyDictionary()


def _counted_once(func: Callable[..., Any]) -> int:
    if type(func) is not FunctionType:
        return _count_parameters(func)
    count = _COUNTS.get(func)
    if count is None:
        count = _COUNTS[func] = _count_parameters(func)
    return count


def install() -> None:
    _callback._count_parameters = _counted_once
