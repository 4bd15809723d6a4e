"""Domain vectors: word2vec or fastText trained with gensim on the user's own unlabelled text.

General-English vectors cover source code, clinical notes or tweets poorly; vectors trained on
in-domain text are a fourth option next to frozen, fine-tuned and learned embeddings. The corpus
is tokenised by `text.tokenize` (so its words are the words the models see), one sentence a line,
and streamed: a first pass writes the tokens to a spool file on disk, which the training passes
read back, so a corpus larger than memory works and is tokenised only once.

Inside a run, the texts of the validation and test splits never reach the corpus: every corpus
line whose tokens equal a held-out text, or one of its lines, is dropped (and counted), and when
the corpus is the labelled data file itself only the training split's texts are used.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any

from recommender.data import load_texts
from recommender.errors import ConfigError, DataError
from recommender.files import TEMPORARY_SUFFIX, read_json, write_file, write_json
from recommender.text import DEFAULT_RULES, Rules, tokenize
from recommender.vectors import Vectors, load_vectors

ALGORITHMS = ("word2vec", "fasttext")
FORMATS = ("kv", "vec")
# Tables whose text column is the corpus (read whole, as `load_texts` does); anything else that is
# a file is plain text, one document a line, and is streamed.
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".parquet")
# word2vec's 5 passes assume corpora of many millions of words; a smaller corpus gets more passes
# so that every corpus sees about as many updates as 1M words x 5 (at most 20 passes).
EPOCH_WORDS = 1_000_000
MIN_EPOCHS, MAX_EPOCHS = 5, 20
# fastText hashes character n-grams into this many rows: gensim's 2M would make a 100-dim file of
# 800 MB; 200k rows (80 MB) still leaves few collisions for a domain's n-grams.
FASTTEXT_BUCKETS = 200_000
MAX_SENTENCE = 10_000  # gensim silently ignores the words of a sentence beyond 10,000
PROGRESS_WORDS = 50_000  # words between two progress calls
CORPUS_HELP = (
    "pass a plain text file (one document a line), a folder of .txt files, or a CSV/TSV/JSONL/"
    "Parquet file with a text column"
)

Progress = Callable[[str, int, int | None, float], None]  # (phase, done, total, words per second)


@dataclass(frozen=True)
class Settings:
    """How the vectors are trained. Skip-gram, as it learns rare words better than CBOW from the
    small corpora a domain has; min_count 2, as a word seen once gets a vector of noise."""

    algorithm: str = "word2vec"
    dim: int = 100
    window: int = 5
    min_count: int = 2
    epochs: int | None = None  # None: scaled to the corpus size (see `choose_epochs`)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ConfigError(
                f"unknown algorithm {self.algorithm!r}", fix=f"pass one of {', '.join(ALGORITHMS)}"
            )
        for name in ("dim", "window", "min_count"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1", fix="raise it")
        if self.epochs is not None and self.epochs < 1:
            raise ConfigError("--epochs must be at least 1", fix="raise it")


def choose_epochs(words: int) -> int:
    """Passes over a corpus of `words` words: see EPOCH_WORDS."""
    wanted = -(-MIN_EPOCHS * EPOCH_WORDS // max(words, 1))
    return max(MIN_EPOCHS, min(MAX_EPOCHS, wanted))


def cores() -> int:
    """CPU cores this process may use: gensim's worker threads."""
    usable = getattr(os, "sched_getaffinity", None)
    return len(usable(0)) if usable else os.cpu_count() or 1


@dataclass(frozen=True)
class Corpus:
    """Where the documents come from: files and folders, or texts already in memory."""

    paths: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    text_column: str | None = None
    origin: str = ""  # how the report names it

    @classmethod
    def from_paths(cls, paths: Sequence[str], text_column: str | None = None) -> Corpus:
        """Check every path now, so a typo fails before anything is trained."""
        if not paths:
            raise DataError("no corpus given", fix=CORPUS_HELP)
        for path in paths:
            place = Path(path)
            if not place.exists():
                raise DataError("corpus not found", where=path, fix=CORPUS_HELP)
            if place.is_dir() and not any(_folder_files(place)):
                raise DataError("the folder holds no .txt files", where=path, fix=CORPUS_HELP)
        return cls(paths=tuple(paths), text_column=text_column, origin=", ".join(paths))

    def documents(self) -> Iterator[str]:
        """Every document as text, streamed from plain text files and folders."""
        yield from self.texts
        for path in self.paths:
            place = Path(path)
            if place.is_dir():
                for file in _folder_files(place):
                    yield "\n".join(_decoded_lines(file))
            elif place.suffix.lower() in TABLE_SUFFIXES:
                yield from load_texts(place, self.text_column)
            else:
                yield from _decoded_lines(place)


def _folder_files(folder: Path) -> Iterator[Path]:
    """The .txt files below `folder`, hidden ones left out, in a fixed order."""
    for file in sorted(folder.rglob("*.txt")):
        parts = file.relative_to(folder).parts
        if file.is_file() and not any(part.startswith(".") for part in parts):
            yield file


def _decoded_lines(path: Path) -> Iterator[str]:
    """A file's lines, split on '\\n' only and decoded one by one as `recommender.data` does:
    UTF-8, else cp1252, else Latin-1 (which never fails)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115  (closed below; a generator holds it open)
    except OSError as exc:
        raise DataError(
            f"cannot read the file ({exc.strerror})", where=str(path), fix="check it is readable"
        ) from exc
    with handle:
        for raw in handle:
            line = raw.rstrip(b"\r\n")
            for encoding in ("utf-8", "cp1252", "latin-1"):
                try:
                    yield line.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue


def held_out_lines(
    texts: Iterable[str], rules: Rules = DEFAULT_RULES
) -> frozenset[tuple[str, ...]]:
    """The token sequences of every line of `texts`, and of each whole text (a corpus may hold a
    multi-line text on one line): a corpus line equal to one of them is dropped."""
    found: set[tuple[str, ...]] = set()
    for text in texts:
        for line in [text, *text.split("\n")]:
            tokens = tuple(tokenize(line, rules))
            if tokens:
                found.add(tokens)
    return frozenset(found)


@dataclass(frozen=True)
class Spooled:
    """The tokenised corpus on disk, one sentence a line, and what went into it."""

    path: Path
    digest: str  # sha256 of the spool: what was trained on, exactly
    documents: int
    sentences: int
    words: int
    dropped_lines: int  # lines equal to a line of a held-out text


def spool(
    corpus: Corpus,
    folder: Path,
    exclude: frozenset[tuple[str, ...]] = frozenset(),
    on_progress: Progress | None = None,
    rules: Rules = DEFAULT_RULES,
) -> Spooled:
    """Tokenise the corpus into a spool file in `folder` by the run's `rules`, dropping
    excluded lines."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # a temporary file's name: a resumed run deletes one that a killed run left behind
        handle, name = tempfile.mkstemp(dir=folder, prefix=".corpus.", suffix=TEMPORARY_SUFFIX)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the tokenised corpus there ({exc.strerror})",
            where=str(folder),
            fix="pass an output in a folder you can write to",
        ) from exc
    try:
        with os.fdopen(handle, "wb") as out:
            return _write_spool(corpus, out, Path(name), exclude, on_progress, rules)
    except BaseException as error:
        Path(name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ConfigError(
                f"cannot write the tokenised corpus ({error.strerror})",
                where=name,
                fix="free some space on that disk, or write the output elsewhere",
            ) from error
        raise


def _write_spool(
    corpus: Corpus,
    out: IO[bytes],
    path: Path,
    exclude: frozenset[tuple[str, ...]],
    on_progress: Progress | None,
    rules: Rules,
) -> Spooled:
    """One sentence a line (a corpus line, cut every MAX_SENTENCE words), tokens joined by
    spaces, which no token holds."""
    digest = hashlib.sha256()
    documents = sentences = words = dropped = 0
    started = time.perf_counter()
    for text in corpus.documents():
        documents += 1
        for line in text.split("\n"):
            tokens = tokenize(line, rules)
            if not tokens:
                continue
            if tuple(tokens) in exclude:
                dropped += 1
                continue
            for first in range(0, len(tokens), MAX_SENTENCE):
                data = " ".join(tokens[first : first + MAX_SENTENCE]) + "\n"
                encoded = data.encode("utf-8", "surrogatepass")
                out.write(encoded)
                digest.update(encoded)
                sentences += 1
            words += len(tokens)
        if on_progress is not None and documents % 1000 == 0:
            on_progress("read", words, None, words / (time.perf_counter() - started))
    return Spooled(path, digest.hexdigest(), documents, sentences, words, dropped)


class _Sentences:
    """The spool as gensim's restartable iterable of token lists; reports words read."""

    def __init__(self, path: Path, total: int, on_progress: Progress | None) -> None:
        self.path = path
        self.total = total
        self.on_progress = on_progress
        self.done = 0
        self.started = time.perf_counter()

    def __iter__(self) -> Iterator[list[str]]:
        pending = 0
        with open(self.path, "rb") as handle:
            for line in handle:
                tokens = line[:-1].decode("utf-8", "surrogatepass").split(" ")
                pending += len(tokens)
                if pending >= PROGRESS_WORDS and self.on_progress is not None:
                    self.done += pending
                    pending = 0
                    rate = self.done / (time.perf_counter() - self.started)
                    self.on_progress("train", min(self.done, self.total), self.total, rate)
                yield tokens
        self.done += pending


@dataclass(frozen=True)
class Pretrained:
    """What was trained, on what, and what it cost: report.json's `domain_vectors` numbers."""

    algorithm: str
    dim: int
    window: int
    min_count: int
    epochs: int
    seed: int
    workers: int
    documents: int
    sentences: int
    words: int  # corpus words per pass (after dropping held-out lines)
    dropped_lines: int
    vocabulary_size: int
    train_seconds: float
    seconds: float  # reading and tokenising too
    words_per_second: float  # corpus words trained per second, over all passes
    digest: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train(
    corpus: Corpus,
    settings: Settings,
    folder: Path,
    *,
    exclude: frozenset[tuple[str, ...]] = frozenset(),
    on_progress: Progress | None = None,
) -> tuple[Any, Pretrained]:
    """(gensim KeyedVectors, what it took): the spool lives in `folder` only while training."""
    started = time.perf_counter()
    spooled = spool(corpus, folder, exclude, on_progress)
    try:
        return _train_spooled(spooled, settings, corpus, started, on_progress)
    finally:
        spooled.path.unlink(missing_ok=True)


def _train_spooled(
    spooled: Spooled,
    settings: Settings,
    corpus: Corpus,
    started: float,
    on_progress: Progress | None,
) -> tuple[Any, Pretrained]:
    from gensim.models import FastText, Word2Vec

    if spooled.words == 0:
        dropped = spooled.dropped_lines
        raise DataError(
            "the corpus has no words"
            + (f" once {dropped:,} lines of held-out texts are dropped" if dropped else ""),
            where=corpus.origin,
            fix=CORPUS_HELP,
        )
    workers = cores()
    epochs = settings.epochs or choose_epochs(spooled.words)
    common = {
        "vector_size": settings.dim,
        "window": settings.window,
        "min_count": settings.min_count,
        "sg": 1,
        "seed": settings.seed,
        "workers": workers,
    }
    if settings.algorithm == "fasttext":
        model = FastText(bucket=FASTTEXT_BUCKETS, **common)
    else:
        model = Word2Vec(**common)
    model.build_vocab(_Sentences(spooled.path, spooled.words, None))
    if not model.wv.index_to_key:
        raise DataError(
            f"no word occurs {settings.min_count} times in the corpus ({spooled.words:,} words)",
            where=corpus.origin,
            fix="give a larger corpus or a lower --min-count",
        )
    sentences = _Sentences(spooled.path, spooled.words * epochs, on_progress)
    train_started = time.perf_counter()
    _, raw_words = model.train(
        sentences, total_examples=model.corpus_count, total_words=spooled.words, epochs=epochs
    )
    train_seconds = time.perf_counter() - train_started
    return model.wv, Pretrained(
        algorithm=settings.algorithm,
        dim=settings.dim,
        window=settings.window,
        min_count=settings.min_count,
        epochs=epochs,
        seed=settings.seed,
        workers=workers,
        documents=spooled.documents,
        sentences=spooled.sentences,
        words=spooled.words,
        dropped_lines=spooled.dropped_lines,
        vocabulary_size=len(model.wv.index_to_key),
        train_seconds=train_seconds,
        seconds=time.perf_counter() - started,
        words_per_second=raw_words / max(train_seconds, 1e-9),
        digest=spooled.digest,
    )


def save(kv: Any, path: Path, fmt: str = "kv") -> None:
    """Write the vectors atomically: a gensim KeyedVectors pickle in one file (a fastText one
    keeps its n-gram rows, so unseen words still get vectors), or word2vec text (`vec`)."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}", fix=f"pass one of {', '.join(FORMATS)}")

    def write(handle: IO[bytes]) -> None:
        if fmt == "kv":
            kv.save(handle)  # an open handle keeps every array inside the one file
        else:
            handle.write(f"{len(kv.index_to_key)} {kv.vector_size}\n".encode())
            for word, row in zip(kv.index_to_key, kv.vectors, strict=True):
                values = " ".join(f"{value:.6g}" for value in row.tolist())
                handle.write(f"{word} {values}\n".encode("utf-8", "surrogatepass"))

    write_file(path, write)


# --- inside a run -----------------------------------------------------------------------------


def run_corpus(unlabeled: str, data: str, training_texts: Sequence[str]) -> Corpus:
    """The corpus of `recommend --unlabeled`: the labelled data file itself stands for its
    training split's texts only; any other path is read, and its held-out lines dropped later."""
    if Path(unlabeled).resolve() == Path(data).resolve():
        return Corpus(texts=tuple(training_texts), origin=f"{data} (training split only)")
    return Corpus.from_paths([unlabeled])


def domain_vectors(
    corpus: Corpus,
    held_out_texts: Sequence[str],
    needed: Iterable[str],
    folder: Path,
    *,
    settings: Settings,
    on_progress: Progress | None = None,
    rules: Rules = DEFAULT_RULES,
) -> tuple[Vectors, dict[str, Any]]:
    """The run's domain vectors (trained once, then reused from `folder` on resume) and the
    numbers behind them. The key is the spool's digest, so a changed corpus trains again."""
    folder.mkdir(parents=True, exist_ok=True)
    exclude = held_out_lines(held_out_texts, rules)
    spooled = spool(corpus, folder, exclude, rules=rules)
    try:
        key = hashlib.sha256(
            f"{spooled.digest} {json.dumps(asdict(settings), sort_keys=True)}".encode()
        ).hexdigest()[:16]
        stem = folder / f"{settings.algorithm}-{key}"
        kv_path, info_path = stem.with_suffix(".kv"), stem.with_suffix(".json")
        info = read_json(info_path)
        cache_hit = info is not None and kv_path.is_file()
        if not cache_hit:
            kv, pretrained = _train_spooled(
                spooled, settings, corpus, time.perf_counter(), on_progress
            )
            save(kv, kv_path)
            info = pretrained.to_dict()
            write_json(info_path, info)
    finally:
        spooled.path.unlink(missing_ok=True)
    name = f"domain-{settings.algorithm}"
    vectors = replace(load_vectors(str(kv_path), needed, cache=False, rules=rules), name=name)
    summary = {
        "name": name,
        "corpus": corpus.origin,
        "excluded": "every corpus line equal to a line of a validation or test text",
        "held_out_lines": len(exclude),
        **info,
        "file": kv_path.name,
        "cache_hit": cache_hit,
    }
    return vectors, summary
