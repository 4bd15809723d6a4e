"""A data set's texts as one UTF-8 buffer and the offsets of each text in it.

A tuple of Python strings costs some 50 bytes a text on top of the text, and reading a file into
one meant holding several whole copies of it at once; this costs the UTF-8 bytes plus 8 bytes a
text, is filled chunk by chunk as a file is read, and still reads as a sequence of strings. A
large store lives in a memory-mapped temporary file (`recommender.spill`), and a pass over it
drops the pages behind it.
"""

from __future__ import annotations

import mmap
import operator
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import numpy as np

from recommender.spill import SpillBuffer, release

# Lone surrogates (JSON's "\ud800") are kept as they came: encoded and decoded as they are.
_ERRORS = "surrogatepass"
# A pass over a mapped store drops the pages it has read every this many bytes.
RELEASE_BYTES = 32 << 20


class Texts(Sequence[str]):
    """Read-only texts, decoded on access: `texts[i]` is a str, a slice a tuple of them (as a
    tuple's slice is), and equality with a tuple or another `Texts` compares the texts."""

    def __init__(self, data: bytes | bytearray | mmap.mmap, offsets: np.ndarray) -> None:
        self._data = data  # every text's UTF-8 bytes, one after the other
        self._offsets = offsets  # int64, len(texts) + 1: text i is data[offsets[i]:offsets[i+1]]
        self._offsets.flags.writeable = False

    @classmethod
    def from_strings(cls, strings: Iterable[str]) -> Texts:
        builder = TextsBuilder()
        builder.extend(strings)
        return builder.build()

    @classmethod
    def concatenate(cls, parts: Sequence[Texts]) -> Texts:
        """The texts of `parts` one after the other."""
        builder = TextsBuilder()
        for part in parts:
            builder.extend_encoded(part._data, part._offsets)
        return builder.build()

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[str, ...]: ...

    def __getitem__(self, i: int | slice) -> str | tuple[str, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        position = operator.index(i)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError("text index out of range")
        start, end = self._offsets[position : position + 2].tolist()
        return str(memoryview(self._data)[start:end], "utf-8", _ERRORS)

    def __iter__(self) -> Iterator[str]:
        for encoded in self.encoded():
            yield encoded.decode("utf-8", _ERRORS)

    def encoded(self) -> Iterator[bytes]:
        """Each text's UTF-8 bytes, for readers that need not decode them (the tokeniser)."""
        data, offsets = memoryview(self._data), self._offsets.tolist()
        read = 0
        for start, end in zip(offsets[:-1], offsets[1:], strict=True):
            yield data[start:end].tobytes()
            if end - read >= RELEASE_BYTES:
                release(self._data, read, end)
                read = end
        release(self._data, read)

    def take(self, rows: np.ndarray) -> Texts:
        """The texts at `rows` (int64 positions), in that order."""
        builder = TextsBuilder()
        offsets, read = self._offsets, 0
        for row in np.asarray(rows, dtype=np.int64).tolist():
            start, end = int(offsets[row]), int(offsets[row + 1])
            builder.append_encoded(self._data[start:end])
            read += end - start
            if read >= RELEASE_BYTES:  # rows in any order: drop every page read so far
                release(self._data)
                read = 0
        release(self._data)
        return builder.build()

    def character_lengths(self) -> np.ndarray:
        """Characters in each text."""
        return np.fromiter((len(text) for text in self), dtype=np.int64, count=len(self))

    @property
    def nbytes(self) -> int:
        """Memory held: the text bytes and the offsets."""
        return int(self._offsets[-1]) + self._offsets.nbytes

    @property
    def mapped(self) -> bool:
        """Whether the text bytes are in a memory-mapped file rather than in memory."""
        return isinstance(self._data, mmap.mmap)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Texts):
            return len(self) == len(other) and all(
                a == b for a, b in zip(self.encoded(), other.encoded(), strict=True)
            )
        if isinstance(other, tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple, so it cannot hash as one

    def __repr__(self) -> str:
        shown = ", ".join(repr(text) for text in self[:3])
        return f"Texts([{shown}{', ...' if len(self) > 3 else ''}], {len(self):,} texts)"


class TextsBuilder:
    """Appends texts to one growing buffer. A bytearray grows in place (large blocks are moved
    by the kernel, not copied), so a file's texts are never held twice while they are read."""

    def __init__(self) -> None:
        self._data = SpillBuffer()
        self._ends = array("q")  # where each text ends: 8 bytes a text

    def extend(self, strings: Iterable[str]) -> None:
        for text in strings:
            self.append_encoded(text.encode("utf-8", _ERRORS))

    def append_encoded(self, encoded: bytes | bytearray | memoryview) -> None:
        self._data.append(encoded)
        self._ends.append(len(self._data))

    def extend_encoded(self, data: bytes | bytearray | mmap.mmap, offsets: np.ndarray) -> None:
        """Texts already encoded as `Texts` holds them."""
        base, size = len(self._data), int(offsets[-1])
        for start in range(0, size, RELEASE_BYTES):
            end = min(size, start + RELEASE_BYTES)
            self._data.append(memoryview(data)[start:end])
            release(data, start, end)
        self._ends.extend((offsets[1:] + base).tolist())

    def build(self) -> Texts:
        offsets = np.empty(len(self._ends) + 1, dtype=np.int64)
        offsets[0] = 0
        offsets[1:] = np.frombuffer(self._ends, dtype=np.int64)
        self._ends = array("q")
        return Texts(self._data.finish(), offsets)
