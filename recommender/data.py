"""Load a labelled text dataset from the file layouts people actually have, and split it.

Real files are messy (Latin-1 bytes, quotes inside TSV messages, CSV fields spanning lines), so
every reader decodes bytes itself, never crashes on encoding, and turns any problem into a
one-line `DataError` that says where it is and how to fix it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from warnings import catch_warnings, simplefilter

import numpy as np
import pandas as pd

from recommender.errors import ConfigError, DataError
from recommender.textstore import Texts, TextsBuilder

ACCEPTED = (
    "give a .csv, .tsv, .jsonl or .parquet file with a text and a label column, "
    "a text file of 'LABEL TEXT' or '__label__LABEL TEXT' lines, "
    "or a folder with one sub-folder of .txt files per class"
)
LABEL_NAMES = ("label", "labels", "class", "category", "target", "y", "sentiment", "intent", "tag")
TEXT_NAMES = (
    "text",
    "sentence",
    "document",
    "doc",
    "content",
    "body",
    "review",
    "message",
    "sms",
    "comment",
    "question",
    "tweet",
    "utterance",
)
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
_UTF8_BOM = b"\xef\xbb\xbf"
_FASTTEXT_PREFIX = "__label__"
_FASTTEXT_LABELS = re.compile(r"(?:__label__\S*\s*)+")
_COLUMN_FIX = "pass --text-column NAME --label-column NAME"
# Rows parsed at a time from a CSV/TSV (some 65 MB of IMDB reviews), and bytes read at a time
# to check a file's encoding: a file is never held whole besides its texts.
_CHUNK_ROWS = 50_000
_BLOCK_BYTES = 1 << 24


@dataclass(frozen=True)
class Dataset:
    """Texts with one label name each, plus how they were read (for the report and warnings).
    `texts` is a `Texts` store, which reads as a tuple of str (`Texts.from_strings` makes one)."""

    texts: Texts
    labels: tuple[str, ...]
    source: str
    format: str
    encoding: str
    text_column: str | None
    label_column: str | None
    warnings: tuple[str, ...] = ()

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.labels)))

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class Splits:
    """Sorted int64 indices into a dataset; disjoint, and together they cover it.

    `fixed` names the parts the user gave as files (`load_splits`): () when `split()` drew every
    part, else ("test",), ("validation",) or ("validation", "test"). A fixed part is exactly that
    file's rows: never re-draw, reshuffle or resample it into another part (a fixed test split
    is the benchmark's official one, and its scores are only comparable if it stays as given)."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    fixed: tuple[str, ...] = ()


@dataclass
class _Read:
    """What a format reader found, before labels are cleaned and classes checked."""

    texts: Texts | list[object]
    labels: list[object]
    format: str
    encoding: str
    text_column: str | None = None
    label_column: str | None = None
    warnings: list[str] = field(default_factory=list)


def load_dataset(
    path: str | Path, text_column: str | None = None, label_column: str | None = None
) -> Dataset:
    """Read a labelled dataset, detecting the format from the path (see ACCEPTED)."""
    return _load(path, text_column, label_column)


def _load(
    path: str | Path,
    text_column: str | None,
    label_column: str | None,
    *,
    one_class_ok: bool = False,
) -> Dataset:
    """`load_dataset`; `one_class_ok` for a test or validation file, which may hold one class."""
    source = str(path)
    p = Path(path)
    if p.is_dir():
        read = _read_folder(p, source)
    elif not p.exists():
        raise DataError("file not found", where=source, fix=f"check the path; {ACCEPTED}")
    else:
        fmt = _SUFFIX_FORMATS.get(p.suffix.lower(), "lines")
        if p.stat().st_size == 0:
            raise DataError("the file is empty", where=source, fix=ACCEPTED)
        if fmt == "lines":
            read = _read_lines(p, source)
        elif fmt in ("csv", "tsv"):
            read = _from_delimited(p, fmt, source, text_column, label_column)
        else:
            frame, encoding, warnings = _read_table(p, fmt, source)
            read = _from_frame(frame, fmt, encoding, warnings, source, text_column, label_column)
    if read.text_column is None and (text_column or label_column):
        read.warnings.append(
            f"ignored --text-column/--label-column: {read.format} data has no columns"
        )
    return _finish(read, source, one_class_ok=one_class_ok)


def split(
    labels: Sequence[str],
    *,
    test_fraction: float = 0.2,
    validation_fraction: float = 0.1,
    seed: int = 0,
    where: str | None = None,
) -> Splits:
    """Stratified, reproducible train/validation/test indices, at least one of each per class;
    `where` (the data's path) locates the error about a class too small to split."""
    _check_fractions(test_fraction, validation_fraction)
    values = np.asarray(list(labels), dtype=object)
    counts = Counter(values.tolist())
    for name, count in sorted(counts.items()):
        if count < 3:
            raise DataError(
                f"class '{name}' has only {count} example{'s' if count != 1 else ''}",
                where=where,
                fix="every class needs at least 3 examples (one each for training, validation "
                "and test); add examples or remove the class",
            )
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "validation": [], "test": []}
    for name in sorted(counts):
        indices = np.flatnonzero(values == name)
        rng.shuffle(indices)
        n = len(indices)
        # Clamp so that a tiny class still keeps at least one example for training.
        n_test = min(max(1, round(n * test_fraction)), n - 2)
        n_validation = min(max(1, round(n * validation_fraction)), n - n_test - 1)
        parts["test"].append(indices[:n_test])
        parts["validation"].append(indices[n_test : n_test + n_validation])
        parts["train"].append(indices[n_test + n_validation :])
    return Splits(**{key: _sorted_indices(chunks) for key, chunks in parts.items()})


def stratified_sample(labels: np.ndarray, limit: int) -> np.ndarray:
    """Sorted rows to keep of a split: all of them, or with `limit` a stratified sample of
    about that many (each class in its share, at least one row of each). The seed is fixed, so
    every trial, run and worker that asks for the same sample of the same data gets it."""
    if not limit or len(labels) <= limit:
        return np.arange(len(labels))
    rng = np.random.default_rng(0)
    rows = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        keep = min(len(members), max(1, round(limit * len(members) / len(labels))))
        rows.append(rng.choice(members, size=keep, replace=False))
    return np.sort(np.concatenate(rows))


def _check_fractions(test_fraction: float, validation_fraction: float) -> None:
    if not (0 < test_fraction < 1 and 0 < validation_fraction < 1):
        raise ConfigError(
            f"test and validation fractions must be between 0 and 1, got {test_fraction} "
            f"and {validation_fraction}"
        )
    if test_fraction + validation_fraction >= 1:
        raise ConfigError(
            f"test + validation fractions must leave room for training, got "
            f"{test_fraction} + {validation_fraction}"
        )


def load_splits(
    data: str | Path,
    *,
    test: str | Path | None = None,
    validation: str | Path | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    test_fraction: float = 0.2,
    validation_fraction: float = 0.1,
    seed: int = 0,
) -> tuple[Dataset, Splits]:
    """DATA and the user's own test and/or validation file as one dataset, and its splits.

    Without files: `load_dataset(data)` and `split()`, unchanged. With them, the dataset holds
    DATA's rows first, then the validation file's, then the test file's; a given file's rows are
    exactly its split (named in `Splits.fixed`), and the split not given (if any) is drawn from
    DATA's rows only, stratified and seeded as `split()` draws. Every file is read by
    `load_dataset` with the same --text-column/--label-column; one whose columns differ from
    DATA's, or that holds a class DATA lacks (no model trained on DATA could predict it), is
    refused. A class of DATA missing from a file is allowed, with a warning.

    The drawn split's fraction is of DATA, not of all the data: with a test file, DATA is what
    `split()` would have left for train + validation (1 - test_fraction of everything), so
    validation is validation_fraction / (1 - test_fraction) of DATA (1/8 by default), keeping
    train and validation in the proportions of a default run (70:10) whatever the test file's
    size. Likewise with only a validation file: test is test_fraction / (1 - validation_fraction)
    of DATA."""
    dataset = load_dataset(data, text_column, label_column)
    if test is None and validation is None:
        return dataset, split(
            dataset.labels,
            test_fraction=test_fraction,
            validation_fraction=validation_fraction,
            seed=seed,
            where=str(data),
        )
    _check_fractions(test_fraction, validation_fraction)
    if test is not None and validation is not None and _same_file(test, validation):
        raise DataError(
            "is given as both --validation and --test",
            where=str(test),
            fix="pass different files: the test split must stay unseen while validation "
            "picks the hyperparameters",
        )
    given = {"validation": validation, "test": test}
    files = {
        part: _load_split_file(path, part, dataset, text_column, label_column)
        for part, path in given.items()
        if path is not None
    }
    texts, labels = [dataset.texts], list(dataset.labels)
    warnings = list(dataset.warnings)
    parts: dict[str, np.ndarray] = {}
    for part, extra in files.items():
        parts[part] = np.arange(len(labels), len(labels) + len(extra), dtype=np.int64)
        texts.append(extra.texts)
        labels += extra.labels
        warnings += extra.warnings
    train = np.arange(len(dataset), dtype=np.int64)
    drawn = [part for part in given if part not in files]
    if drawn:
        (part,) = drawn
        fraction = (
            validation_fraction / (1 - test_fraction)
            if part == "validation"
            else test_fraction / (1 - validation_fraction)
        )
        train, parts[part] = _hold_out(dataset.labels, fraction, seed, str(data), part)
    combined = replace(
        dataset, texts=Texts.concatenate(texts), labels=tuple(labels), warnings=tuple(warnings)
    )
    splits = Splits(train, parts["validation"], parts["test"], fixed=tuple(files))
    return combined, splits


def _same_file(first: str | Path, second: str | Path) -> bool:
    try:
        return Path(first).resolve() == Path(second).resolve()
    except OSError:
        return False


def _load_split_file(
    path: str | Path,
    part: str,
    data: Dataset,
    text_column: str | None,
    label_column: str | None,
) -> Dataset:
    """The user's --test or --validation file, read as DATA is, its classes checked against
    DATA's; its warnings name it."""
    source = str(path)
    if not Path(path).exists():
        raise DataError(
            "file not found", where=source, fix=f"check the --{part} path (a file read as DATA is)"
        )
    if _same_file(path, data.source):
        raise DataError(
            f"is DATA itself, given as --{part}",
            where=source,
            fix=f"pass a separate {part} file, or drop --{part} to draw the {part} split from DATA",
        )
    extra = _load(path, text_column, label_column, one_class_ok=True)
    ours = (extra.text_column, extra.label_column)
    theirs = (data.text_column, data.label_column)
    if extra.text_column and data.text_column and ours != theirs:
        raise DataError(
            f"its text/label columns are '{ours[0]}'/'{ours[1]}', but those of {data.source} "
            f"are '{theirs[0]}'/'{theirs[1]}'",
            where=source,
            fix=f"name the columns '{theirs[0]}' and '{theirs[1]}' as in {data.source}, so both "
            "files are read alike",
        )
    known = set(data.labels)
    unknown = Counter(label for label in extra.labels if label not in known)
    if unknown:
        name, count = sorted(unknown.items())[0]
        others = f" (and {len(unknown) - 1} more unknown classes)" if len(unknown) > 1 else ""
        listed = ", ".join(f"'{c}'" for c in data.classes[:10])
        listed += ", ..." if len(data.classes) > 10 else ""
        raise DataError(
            f"class '{name}' ({count:,} row{'s' if count != 1 else ''}){others} is not one of "
            f"the labels of {data.source} ({listed})",
            where=source,
            fix=f"correct or remove those rows, or add examples of '{name}' to {data.source}: a "
            "model trained on it can never predict a class it has not seen",
        )
    notes = [f"{source}: {note}" for note in extra.warnings]
    missing = [c for c in data.classes if c not in set(extra.labels)]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing[:5]) + (", ..." if len(missing) > 5 else "")
        notes.append(
            f"{source} has no examples of {len(missing)} of the {len(data.classes)} classes "
            f"({names}): its {part} scores say nothing about them"
        )
    return replace(extra, warnings=tuple(notes))


def _hold_out(
    labels: Sequence[str], fraction: float, seed: int, where: str, part: str
) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices of `labels`, `fraction` of each class held out (at least one,
    leaving at least one for training), drawn as `split()` draws."""
    values = np.asarray(list(labels), dtype=object)
    counts = Counter(values.tolist())
    given = "validation" if part == "test" else "test"
    for name, count in sorted(counts.items()):
        if count < 2:
            raise DataError(
                f"class '{name}' has only 1 example",
                where=where,
                fix=f"with --{given} given, every class needs at least 2 examples in DATA (one "
                f"for training, one for the {part} split); add examples or remove the class",
            )
    rng = np.random.default_rng(seed)
    train: list[np.ndarray] = []
    held: list[np.ndarray] = []
    for name in sorted(counts):
        indices = np.flatnonzero(values == name)
        rng.shuffle(indices)
        n_held = min(max(1, round(len(indices) * fraction)), len(indices) - 1)
        held.append(indices[:n_held])
        train.append(indices[n_held:])
    return _sorted_indices(train), _sorted_indices(held)


def _sorted_indices(chunks: list[np.ndarray]) -> np.ndarray:
    if not chunks:
        return np.empty(0, dtype=np.int64)
    return np.sort(np.concatenate(chunks)).astype(np.int64)


def _finish(read: _Read, source: str, *, one_class_ok: bool = False) -> Dataset:
    """Clean labels (drop missing ones, with a warning) and check there are two classes (unless
    `one_class_ok`)."""
    if not read.labels:
        raise DataError("the file has no data rows", where=source, fix=ACCEPTED)
    texts = read.texts if isinstance(read.texts, Texts) else _texts_of(read.texts)
    names = [_label_name(label) for label in read.labels]
    labels = [name for name in names if name]
    if len(labels) < len(names):
        texts = texts.take(np.flatnonzero([bool(name) for name in names]))
    column = f" in column '{read.label_column}'" if read.label_column else ""
    if not labels:
        raise DataError(
            f"every label{column} is empty or NaN",
            where=source,
            fix=f"check the label column or {_COLUMN_FIX}" if column else ACCEPTED,
        )
    dropped = len(read.labels) - len(labels)
    if dropped:
        read.warnings.append(
            f"dropped {dropped} row{'s' if dropped != 1 else ''} with an empty or NaN label"
        )
    classes = sorted(set(labels))
    if len(classes) < 2 and not one_class_ok:
        raise DataError(
            f"only one class '{classes[0]}' found{column}; a classifier needs at least two",
            where=source,
            fix="add examples of another class" + (f", or {_COLUMN_FIX}" if column else ""),
        )
    return Dataset(
        texts=texts,
        labels=tuple(labels),
        source=source,
        format=read.format,
        encoding=read.encoding,
        text_column=read.text_column,
        label_column=read.label_column,
        warnings=tuple(read.warnings),
    )


def _texts_of(values: Sequence[object]) -> Texts:
    """Cell values as texts: a missing value is the empty text."""
    return Texts.from_strings(
        value if isinstance(value, str) else "" if _is_missing(value) else str(value)
        for value in values
    )


def _is_missing(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _label_name(value: object) -> str:
    """A label as a stripped string; integral floats (ints with gaps, in pandas) lose the '.0'."""
    if _is_missing(value) or (isinstance(value, str) and value.strip().lower() == "nan"):
        return ""  # "nan": a missing value that went through str() before it was saved
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_text(path: Path, source: str) -> tuple[str, str, list[str]]:
    """Decode a file as UTF-8; lines that are not UTF-8 as cp1252, else Latin-1 (which never
    fails), with a warning. Line by line, so one pasted cp1252 line does not turn every UTF-8
    'café' of the file into 'cafÃ©'."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(
            f"cannot read the file ({exc.strerror})",
            where=source,
            fix="check that it is readable (chmod +r), or pass another file",
        ) from exc
    _check_no_nul(data, source)
    data = data.removeprefix(_UTF8_BOM)
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        bad_line = data.count(b"\n", 0, exc.start) + 1
    lines = data.split(b"\n")
    decoded = [_decoded_or_none(line) for line in lines]
    foreign = [line for line, utf8 in zip(lines, decoded, strict=True) if utf8 is None]
    cp1252 = _decoded_or_none(b"\n".join(foreign), "cp1252") is not None
    encoding = "cp1252" if cp1252 else "latin-1"
    text = "\n".join(
        line.decode(encoding) if utf8 is None else utf8
        for line, utf8 in zip(lines, decoded, strict=True)
    )
    first = f"first at line {bad_line}"
    if all(utf8 is None or utf8.isascii() for utf8 in decoded):
        return text, encoding, [f"decoded as {encoding}: not valid UTF-8 ({first})"]
    plural = "s" if len(foreign) != 1 else ""
    return (
        text,
        f"utf-8+{encoding}",
        [
            f"mixed encodings: {len(foreign):,} line{plural} not valid UTF-8 decoded as "
            f"{encoding} ({first}), the other lines as UTF-8"
        ],
    )


def _decoded_or_none(data: bytes, encoding: str = "utf-8") -> str | None:
    """`data` decoded, or None where it is not valid in that encoding."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _check_no_nul(data: bytes, source: str) -> None:
    """NUL bytes near the start mean a binary (or UTF-16) file; later, a corrupted one. Either
    way the text is not what the user thinks it is, so say where rather than train on it."""
    position = data.find(b"\x00")
    if position < 0:
        return
    if position < 8192:
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        raise DataError(
            "does not look like a text data file (it contains NUL bytes)",
            where=source,
            fix="it is UTF-16: save it as UTF-8 (iconv -f UTF-16 -t UTF-8)"
            if utf16
            else f"save it as UTF-8 text; {ACCEPTED}",
        )
    line = data.count(b"\n", 0, position) + 1
    column = position - data.rfind(b"\n", 0, position)
    raise DataError(
        f"a NUL byte in column {column:,}: the file is damaged or partly binary",
        where=f"{source}:{line}",
        fix="delete the NUL bytes (tr -d '\\000' < FILE > FIXED) or export the data again",
    )


def _split_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; split on '\\n' only (or on '\\r' when there is
    no '\\n'), as Latin-1 text may hold 0x85 (NEL), which str.splitlines() would treat as a line
    break."""
    if "\n" not in text:  # classic Mac OS line ends
        text = text.replace("\r", "\n")
    lines = (line.removesuffix("\r") for line in text.split("\n"))
    return [(number, line) for number, line in enumerate(lines, 1) if line.strip()]


def _read_lines(path: Path, source: str) -> _Read:
    """'__label__X text' (fastText) or 'LABEL TEXT' lines."""
    text, encoding, warnings = _read_text(path, source)
    lines = [line.strip() for _, line in _split_lines(text)]
    if not lines:
        raise DataError("the file has no data rows (only blank lines)", where=source, fix=ACCEPTED)
    if lines[0].startswith(_FASTTEXT_PREFIX):
        return _read_fasttext(lines, encoding, warnings)
    labels: list[object] = []
    texts: list[object] = []
    for line in lines:
        label, *rest = line.split(maxsplit=1)
        labels.append(label)
        texts.append(rest[0] if rest else "")
    problem = _not_labelled_lines(labels, texts)
    if problem:
        raise DataError(
            f"does not look like labelled 'LABEL TEXT' lines: {problem}", where=source, fix=ACCEPTED
        )
    return _Read(texts, labels, "label-text", encoding, warnings=warnings)


def _not_labelled_lines(labels: list[object], texts: list[object]) -> str | None:
    """Why these first words are not labels (plain text, or labels with no text), else None.

    The first words of plain prose repeat (TweetEval tweets: 5,000 lines, 2,045 first words) but
    most occur only once, which real classes almost never do.
    """
    counts = Counter(labels)
    once = sum(1 for count in counts.values() if count == 1)
    if len(labels) == 1:
        length = len(str(labels[0])) + 1 + len(str(texts[0]))
        return f"the file is a single line of {length:,} characters, with no line breaks"
    if len(counts) == 1:
        return f"every line starts with '{labels[0]}'"
    if not any(texts):
        return "no line has text after its first word"
    if len(labels) > 20 and (len(counts) > len(labels) / 2 or once > len(counts) / 2):
        return (
            f"its {len(labels)} lines start with {len(counts)} different first words, "
            f"{once} of them only once"
        )
    return None


def _read_fasttext(lines: list[str], encoding: str, warnings: list[str]) -> _Read:
    """fastText lines: the first '__label__X' is the label; further label prefixes are dropped."""
    labels: list[object] = []
    texts: list[object] = []
    multi_label = 0
    for line in lines:
        match = _FASTTEXT_LABELS.match(line)
        names = match.group(0).split() if match else [""]
        multi_label += len(names) > 1
        labels.append(names[0].removeprefix(_FASTTEXT_PREFIX))
        texts.append(line[match.end() :] if match else line)
    if multi_label:
        warnings.append(f"kept only the first label of {multi_label} lines with several labels")
    return _Read(texts, labels, "fasttext", encoding, warnings=warnings)


def _read_folder(folder: Path, source: str) -> _Read:
    """One sub-folder per class, one document per .txt file; hidden files and folders ignored."""
    texts: list[object] = []
    labels: list[object] = []
    encodings = {"utf-8"}
    not_utf8: list[str] = []
    for sub in sorted(folder.iterdir()):
        if not sub.is_dir() or sub.name.startswith("."):
            continue
        files = sorted(f for f in sub.iterdir() if _is_document(f))
        for file in files:
            text, encoding, notes = _read_text(file, str(file))
            texts.append(text.strip())
            labels.append(sub.name)
            encodings.add(encoding)
            not_utf8 += [f"{file.relative_to(folder)}: {note}" for note in notes]
    if not labels:
        raise DataError(
            "no class sub-folders with .txt files found",
            where=source,
            fix=f"put each class's documents in its own sub-folder; {ACCEPTED}",
        )
    encoding = next(e for e in ("latin-1", "cp1252", "utf-8") if e in encodings)
    warnings: list[str] = []
    if not_utf8:
        warnings.append(
            f"{len(not_utf8)} of {len(texts)} files not valid UTF-8; first: {not_utf8[0]}"
        )
    return _Read(texts, labels, "folder", encoding, warnings=warnings)


def _is_document(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".txt" and not path.name.startswith(".")


def _read_table(path: Path, fmt: str, source: str) -> tuple[pd.DataFrame, str, list[str]]:
    """A JSONL or Parquet file as a frame, with the encoding used and any decoding warning."""
    if fmt == "parquet":
        return _read_parquet(path, source), "n/a", []
    text, encoding, warnings = _read_text(path, source)
    return _read_jsonl(text, source), encoding, warnings


@dataclass
class _Table:
    """A CSV/TSV file's column names and, of the columns asked for, the values as texts."""

    columns: list[str]
    kept: dict[str, Texts]
    rows: int
    encoding: str
    warnings: list[str]


def _read_delimited(
    path: Path, fmt: str, source: str, wanted: Callable[[list[str]], list[str]]
) -> _Table:
    """CSV with normal quoting (fields may span lines); TSV with quoting off, as real messages
    contain stray quote characters. Everything stays text: 'NA' is a word, not a missing value.

    index_col=False and warnings as errors: otherwise pandas silently turns an extra field in the
    first row into an index and shifts every column by one.

    Parsed _CHUNK_ROWS rows at a time, straight from the file when it is UTF-8 (the other files
    are decoded line by line first, as `_read_text` does), keeping only the columns `wanted`
    names (given all the names): the file is never held whole, only the texts kept.
    """
    fix = "check quoting and the number of fields on that line"
    if fmt == "tsv":
        fix = "check the number of tabs on that line (quotes are kept as text in a TSV)"
    text: str | None = None
    if _is_plain_utf8(path):
        encoding, warnings = "utf-8", []
        handle: io.BufferedIOBase = open(path, "rb")  # noqa: SIM115  (closed below)
        if handle.read(len(_UTF8_BOM)) != _UTF8_BOM:
            handle.seek(0)
    else:
        text, encoding, warnings = _read_text(path, source)
        handle = io.BytesIO(text.encode("utf-8"))
    columns: list[str] = []
    builders: dict[str, TextsBuilder] = {}
    quoted = _QuotedRows()
    rows = 0
    try:
        with handle, catch_warnings():
            simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                handle,
                encoding="utf-8",
                sep="," if fmt == "csv" else "\t",
                quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE,
                # object, not str: pandas' str columns live in Arrow's memory pool, which
                # keeps what it frees (0.27 GB after 250k IMDB reviews)
                dtype=object,
                keep_default_na=False,
                index_col=False,
                chunksize=_CHUNK_ROWS,
            )
            with reader:
                for chunk in reader:
                    if not columns:
                        columns = [str(column) for column in chunk.columns]
                        builders = {name: TextsBuilder() for name in wanted(columns)}
                    chunk.columns = columns
                    if fmt == "csv":
                        quoted.add(chunk)
                    for name, builder in builders.items():
                        builder.extend(_cell_texts(chunk[name].tolist()))
                    rows += len(chunk)
    except pd.errors.EmptyDataError as exc:
        raise DataError("the file has no data rows", where=source, fix=ACCEPTED) from exc
    except pd.errors.ParserWarning as exc:
        message = "the first data row has more fields than the header"
        raise DataError(
            f"cannot parse the {fmt.upper()}: {message}", where=source, fix=fix
        ) from exc
    except pd.errors.ParserError as exc:
        text = _read_text(path, source)[0] if text is None else text
        message, line = _parser_problem(str(exc), text, fmt)
        where = f"{source}:{line}" if line else source
        raise DataError(f"cannot parse the {fmt.upper()}: {message}", where=where, fix=fix) from exc
    found = quoted.first()
    if found is not None:
        _refuse_swallowed_rows(found, path, source, text)
    kept = {name: builder.build() for name, builder in builders.items()}
    return _Table(columns, kept, rows, encoding, warnings)


def _is_plain_utf8(path: Path) -> bool:
    """Whether the file is UTF-8 without NUL bytes (as nearly every file is), checked a block at
    a time; any other file (or one that cannot be read) goes through `_read_text`, which
    decodes it line by line or says what is wrong."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as f:
            while block := f.read(_BLOCK_BYTES):
                if b"\x00" in block:
                    return False
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return False
    return True


def _cell_texts(values: list[object]) -> list[str]:
    """A parsed column's cells as texts: a missing field (a short row) is the empty text."""
    return [value if isinstance(value, str) else "" for value in values]


def _from_delimited(
    path: Path, fmt: str, source: str, text_column: str | None, label_column: str | None
) -> _Read:
    """A CSV/TSV's text and label columns; only those (both columns of a two-column file whose
    names say nothing, decided by length once all is read) are kept while it is read."""

    def wanted(columns: list[str]) -> list[str]:
        if len(columns) == 2:
            return columns
        named = _named_columns(columns, text_column, label_column)
        return [name for name in columns if name in named]

    table = _read_delimited(path, fmt, source, wanted)
    if not table.rows:
        raise DataError("the file has no data rows", where=source, fix=ACCEPTED)
    text_name, label_name = _pick_columns(
        table.columns,
        text_column,
        label_column,
        source,
        lambda: [float(table.kept[name].character_lengths().mean()) for name in table.columns],
    )
    names: dict[str, str] = {}  # one str object per class, not one per row
    labels: list[object] = [names.setdefault(label, label) for label in table.kept[label_name]]
    return _Read(
        table.kept[text_name],
        labels,
        fmt,
        table.encoding,
        text_name,
        label_name,
        table.warnings,
    )


def _parser_problem(error: str, text: str, fmt: str) -> tuple[str, int | None]:
    """pandas' parser error in words, with the file line it is on: pandas counts records (a
    quoted field may span lines), so its 'row N' and 'line N' are not lines of the file."""
    message = " ".join(error.replace("Error tokenizing data. C error:", "").split())
    unclosed = re.fullmatch(r"EOF inside string starting at row (\d+)", message)
    fields = re.fullmatch(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    starts = _record_lines(text, fmt)
    if unclosed and int(unclosed.group(1)) < len(starts):
        line = starts[int(unclosed.group(1))][0]
        return "a quote opened on this line is never closed", line
    if fields and int(fields.group(2)) - 1 < len(starts):
        line = starts[int(fields.group(2)) - 1][0]
        expected, seen = fields.group(1), fields.group(3)
        return f"this line has {seen} fields, the header {expected}", line
    return message, None


def _record_lines(text: str, fmt: str) -> list[tuple[int, bool]]:
    """(first line, is blank) of each record, header included, as the CSV parser reads them;
    only for locating problems, so it stops quietly where Python's csv module gives up."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    records: list[tuple[int, bool]] = []
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter="," if fmt == "csv" else "\t",
        quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE,
    )
    try:
        line = 1
        for record in reader:
            records.append((line, not record))
            line = reader.line_num + 1
    except csv.Error:
        pass
    finally:
        csv.field_size_limit(limit)
    return records


class _QuotedRows:
    """What tells that a stray quote swallowed rows, gathered chunk by chunk: each column's
    distinct values (while they are few) and its multi-line fields whose later lines have as
    many commas as a row, which `first()` then judges."""

    def __init__(self) -> None:
        self.rows = 0
        self.values: dict[str, set[str] | None] = {}
        self.fields: dict[str, list[tuple[int, list[str]]]] = {}

    def add(self, chunk: pd.DataFrame) -> None:
        columns = list(chunk.columns)
        for name in columns:
            column = chunk[name]
            values = self.values.setdefault(name, set())
            if values is not None:
                values.update(column.dropna().unique().tolist())
                if len(values) > _FEW_VALUES:
                    self.values[name] = None
            fields = self.fields.setdefault(name, [])
            for row, value in enumerate(column.tolist()):
                if not isinstance(value, str) or "\n" not in value:
                    continue  # a missing field (a short row) or a single line
                later = value.split("\n")[1:]
                wide = [len(line.split(",")) >= len(columns) for line in later]
                if all(wide[:-1]) and any(wide):
                    fields.append((self.rows + row, later))
        self.rows += len(chunk)

    def first(self) -> tuple[int, str, int] | None:
        """(row, its second line, lines in it) of the first multi-line field whose lines after
        the first read as rows of the file (a known value of a few-valued column, such as the
        label, in its place), else None. All of them but the last, which holds the rest of the
        row that closed the quote; not just one, as a text may well hold a line like "1,500 km"."""
        columns = list(self.values)
        few = max(2, min(_FEW_VALUES, self.rows // 2))
        known = [
            (i, values)
            for i, values in enumerate(self.values.values())
            if values is not None and len(values) <= few
        ]

        def row_like(line: str) -> bool:
            parts = line.split(",")
            return len(parts) >= len(columns) and any(
                (parts[-1] if i == len(columns) - 1 else parts[i]) in values for i, values in known
            )

        for name in columns if known else ():
            for row, later in self.fields[name]:
                rows = [row_like(line) for line in later]
                if all(rows[:-1]) and any(rows):
                    return row, later[0], len(later) + 1
        return None


# A column with at most this many distinct values (or half the rows) is a few-valued one.
_FEW_VALUES = 100


def _refuse_swallowed_rows(
    found: tuple[int, str, int], path: Path, source: str, text: str | None
) -> None:
    """A stray quote makes the parser read on, across line ends, up to the next quote: the rows
    in between become part of one field and are lost without an error. Refuse such a file."""
    row, line, span = found
    text = _read_text(path, source)[0] if text is None else text
    data_rows = [start for start, blank in _record_lines(text, "csv")[1:] if not blank]
    start = data_rows[row] if row < len(data_rows) else None
    at = f"line {start + 1}" if start is not None else "its second line"
    raise DataError(
        f"a quoted field runs on over {span} lines, and {at} ({line[:60]!r}) looks like a row "
        "of its own: a quote is not closed where it should be",
        where=source if start is None else f"{source}:{start}",
        fix='close the quote (a quote inside a quoted field is written twice: ""); if the texts '
        "really hold such lines, save the data as JSONL",
    )


def _read_jsonl(text: str, source: str) -> pd.DataFrame:
    """One JSON object per line; values keep their JSON types (object dtype)."""
    rows = []
    for number, line in _split_lines(text):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"not valid JSON ({exc.msg})",
                where=f"{source}:{number}",
                fix="write one JSON object per line",
            ) from exc
        if not isinstance(row, dict):
            raise DataError(
                f"expected a JSON object, got {type(row).__name__}",
                where=f"{source}:{number}",
                fix='write one JSON object per line, e.g. {"text": "...", "label": "..."}',
            )
        rows.append(row)
    return pd.DataFrame(rows, dtype=object)


def _read_parquet(path: Path, source: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DataError(
            f"cannot read the parquet file ({first_line})",
            where=source,
            fix="check that it is a valid parquet file",
        ) from exc


def _from_frame(
    frame: pd.DataFrame,
    fmt: str,
    encoding: str,
    warnings: list[str],
    source: str,
    text_column: str | None,
    label_column: str | None,
) -> _Read:
    frame.columns = [str(column) for column in frame.columns]
    if frame.empty:
        raise DataError("the file has no data rows", where=source, fix=ACCEPTED)
    text_name, label_name = _pick_columns(
        list(frame.columns),
        text_column,
        label_column,
        source,
        lambda: [
            frame[c].map(lambda v: 0 if _is_missing(v) else len(str(v))).mean()
            for c in frame.columns
        ],
    )
    texts = frame[text_name].tolist()
    if fmt in ("parquet", "jsonl"):
        _check_text_values(texts, text_name, source)
    labels = frame[label_name].tolist()
    if fmt in ("parquet", "jsonl"):
        _check_label_values(labels, label_name, source)
    return _Read(texts, labels, fmt, encoding, text_name, label_name, warnings)


def _pick_columns(
    columns: list[str],
    text_column: str | None,
    label_column: str | None,
    source: str,
    mean_lengths: Callable[[], list[float]],
) -> tuple[str, str]:
    """Given names must exist; otherwise decide by well-known names, and for exactly two columns
    by length (texts are longer than labels: `mean_lengths`, each column's mean characters a
    row). Refuse to guess beyond that."""
    for option, given in (("--text-column", text_column), ("--label-column", label_column)):
        if given is not None and given not in columns:
            raise DataError(
                f"{option} '{given}' is not a column; the columns are {columns}",
                where=source,
                fix=f"{_COLUMN_FIX} with names from that list",
            )
    text, label = _named_columns(columns, text_column, label_column)
    if len(columns) == 2 and (text is None or label is None):
        first, second = columns
        if text is not None or label is not None:
            known = text or label
            other = second if known == first else first
            text, label = (text, other) if text else (other, label)
        else:
            lengths = mean_lengths()
            if lengths[0] != lengths[1]:
                text, label = (first, second) if lengths[0] > lengths[1] else (second, first)
    if text is None or label is None or text == label:
        raise DataError(
            f"cannot tell which column holds the text/labels; the columns are {columns}",
            where=source,
            fix=_COLUMN_FIX,
        )
    return text, label


def _named_columns(
    columns: list[str], text_column: str | None, label_column: str | None
) -> tuple[str | None, str | None]:
    """The text and label columns as given, else by their well-known names (None if unknown)."""
    text = text_column or _column_named(columns, TEXT_NAMES, exclude=label_column)
    label = label_column or _column_named(columns, LABEL_NAMES, exclude=text)
    return text, label


def _column_named(columns: list[str], names: tuple[str, ...], exclude: str | None) -> str | None:
    """The one column whose name (any case) is in `names`; None if none or several match."""
    matches = [c for c in columns if c.lower() in names and c != exclude]
    return matches[0] if len(matches) == 1 else None


def _check_text_values(texts: list[object], column: str, source: str) -> None:
    """Typed formats can hold numbers where text should be: refuse rather than train on them."""
    for value in texts:
        if not _is_missing(value) and not isinstance(value, str):
            raise DataError(
                f"text column '{column}' holds {type(value).__name__} values such as {value!r}, "
                "not text",
                where=source,
                fix=f"{_COLUMN_FIX} naming the column with the text",
            )


def _check_label_values(labels: list[object], column: str, source: str) -> None:
    """One label per row, a name or a number: a list (multi-label data) or a nested object
    would otherwise become a class named after its printed form."""
    for value in labels:
        if not _is_missing(value) and not isinstance(value, str | int | float):
            raise DataError(
                f"label column '{column}' holds {type(value).__name__} values such as "
                f"{_short(value)}, not one label per row",
                where=source,
                fix="give each row a single label, a name or a number (embrec picks one class "
                "per document), or pass --label-column NAME",
            )


def _short(value: object) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= 40 else text[:37] + "..."


def load_texts(path: Path, text_column: str | None = None) -> list[str]:
    """Texts to classify: a CSV/TSV/JSONL/Parquet file's text column (by name, or the only
    column), else one document per non-blank line; decoded as `recommender.data` does."""
    source = str(path)
    if not path.is_file():
        raise DataError("file not found", where=source, fix="pass a file of texts to --input")
    fmt = _SUFFIX_FORMATS.get(path.suffix.lower(), "lines")
    if fmt == "lines":
        return [line for _, line in _split_lines(_read_text(path, source)[0])]

    def text_of(columns: list[str]) -> str | None:
        column = text_column or _column_named(columns, TEXT_NAMES, exclude=None)
        if column is None and len(columns) == 1:
            column = columns[0]
        return column

    values: Sequence[object] | None = None
    if fmt in ("csv", "tsv"):
        table = _read_delimited(
            path, fmt, source, lambda columns: [c for c in columns if c == text_of(columns)]
        )
        columns = table.columns
        column = text_of(columns)
        if column in table.kept:
            values = table.kept[column]
    else:
        frame = _read_table(path, fmt, source)[0]
        columns = [str(column) for column in frame.columns]
        frame.columns = columns
        column = text_of(columns)
        if column in columns:
            values = frame[column].tolist()
    if values is None:
        raise DataError(
            f"cannot find the text column; the columns are {columns}",
            where=source,
            fix="pass --text-column NAME with a name from that list",
        )
    return ["" if _is_missing(value) else str(value) for value in values]
