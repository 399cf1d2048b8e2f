"""Garbage-collector settings for a server that builds large responses.

CPython's cyclic collector runs after every few hundred container allocations, and each of
its full passes walks every live object. Building a 70,000-point series allocates hundreds of
thousands of dicts, none of them cyclic, so the collector can cost several times the work
itself. Two remedies: objects alive once the app has started (modules, settings, the
ORM's metadata) are moved out of the collector's sight, and the few bulk-building sections
pause it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_pauses = 0
_was_enabled = True
_frozen = False


def freeze_startup_objects() -> None:
    """Collect once, then exclude every object alive now from future collections. Once per
    process: a second app in the same process (tests) leaves the collector as it is."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block with the cyclic collector off (reference counting still frees memory).

    Pauses nest across concurrent requests: the collector comes back on when the last one
    ends, and only if it was on before the first began. Use it only around allocation-heavy
    blocks that build acyclic data, so nothing waits on a collection."""
    global _pauses, _was_enabled
    if _pauses == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _pauses += 1
    try:
        yield
    finally:
        _pauses -= 1
        if _pauses == 0 and _was_enabled:
            gc.enable()
