"""The cyclic garbage collector, paused where the program makes millions of small objects and no reference cycle
(reading a national dataset, a vector run and its outputs): there it would only scan them again and again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """The cyclic garbage collector off within the block (when `pause`), as it was after. Measured at national
    scale: about a third of a vector run, and most of the time its outputs and the reading of the dataset spent
    over a heap of a gigabyte or more."""
    enabled = gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause and enabled:
            # What the block made is all in the youngest generation, and the first collection after it would
            # walk through every object (a second at national scale): move them to the oldest one instead (freeze
            # then unfreeze moves them without a walk), collected as usual when its turn comes.
            gc.freeze()
            gc.unfreeze()
            gc.enable()
