"""Python's cyclic garbage collector paused while a big upload is read and imported."""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    """No collection inside the block; the collector runs again after it as before (a cycle made inside is
    collected then). A shift of 100,000 checks is a million small objects: each pass of the collector over a
    Django process holding them walked them all, a third of an upload's time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
