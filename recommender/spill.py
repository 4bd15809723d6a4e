"""Append-only byte stores that move to a memory-mapped temporary file once they are large.

A data set's texts and token ids grow with the corpus (2.5M reviews: 3.1 GiB of text, 2.7 GiB
of ids). Held in memory, they alone made the peak grow with the data. Above `SPILL_BYTES` a
store is written to an unlinked temporary file (in `TMPDIR`) and read through a read-only memory
map, and the readers that walk it drop the pages behind them (`release`): the process then holds
the pages it is reading, not the corpus, and the kernel keeps the rest in its page cache, which
it gives back under pressure. Smaller stores stay in memory, exactly as before.
"""

from __future__ import annotations

import mmap
import tempfile
from typing import IO

import numpy as np

# A store of more bytes than this goes to a file: 250k reviews' texts (0.3 GiB) do, the given
# sets (a few MB) never.
SPILL_BYTES = 256 << 20
# Bytes gathered in memory between two writes to the file.
FLUSH_BYTES = 16 << 20

Bytes = bytes | bytearray | memoryview | mmap.mmap


class SpillBuffer:
    """Bytes appended in order; `finish()` gives them as a bytearray, or past `SPILL_BYTES` as
    a read-only map of the file they were written to."""

    def __init__(self) -> None:
        self._memory = bytearray()
        self._file: IO[bytes] | None = None
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, data: Bytes) -> None:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), FLUSH_BYTES):  # a large block a slice at a time
            part = view[start : start + FLUSH_BYTES]
            self._memory += part
            self._size += len(part)
            if self._file is None and len(self._memory) > SPILL_BYTES:
                self._file = tempfile.TemporaryFile(prefix="embrec-")  # noqa: SIM115 (finish closes it)
            if self._file is not None and len(self._memory) >= FLUSH_BYTES:
                self._file.write(self._memory)
                self._memory = bytearray()

    def finish(self) -> bytearray | mmap.mmap:
        """Everything appended; the buffer is empty again."""
        memory, spilled, self._memory, self._file, self._size = (
            self._memory,
            self._file,
            bytearray(),
            None,
            0,
        )
        if spilled is None:
            return memory
        with spilled:  # the map keeps the unlinked file until it is itself gone
            spilled.write(memory)
            spilled.flush()
            return mmap.mmap(spilled.fileno(), 0, access=mmap.ACCESS_READ)


def release(store: object, start: int = 0, end: int | None = None) -> None:
    """Drop the resident pages of bytes `start:end` of a mapped store, or of a numpy array made
    from all of one (a no-op for one held in memory): they are read again from the page cache,
    or the file, if they are needed again."""
    data = store
    while isinstance(data, memoryview | np.ndarray):  # np.frombuffer's array, then its view
        data = data.obj if isinstance(data, memoryview) else data.base
    if not isinstance(data, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED"):
        return
    end = len(data) if end is None else min(end, len(data))
    start -= start % mmap.PAGESIZE
    if end > start:
        data.madvise(mmap.MADV_DONTNEED, start, end - start)
