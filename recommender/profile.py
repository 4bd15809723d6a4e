"""Dataset profile and vocabulary coverage: the figures that explain a recommendation before any
training. How much data (and which regime that is), how long and how repetitive the texts, how much
of the vocabulary each vectors source knows (overall, per class, for the words that separate the
classes, for held-out words a learned layer never sees in training), and a quick probe of whether
the vectors carry what the task needs.

Everything is read from the documents' token ids a piece at a time (and the probe from a sample
of at most PROBE_MAX_DOCUMENTS), so a profile takes seconds and little memory beyond the ids.
Figures learned from labels (key words, the probe) use the training split only: nothing leaks
from the test split.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse

from recommender.data import Splits, split
from recommender.errors import DataError
from recommender.text import TokenIds
from recommender.vectors import Vectors

TOP_UNCOVERED = 20
KEY_WORDS_PER_CLASS = 20
KEY_WORD_MIN_Z = 1.96  # a word must be over-represented in its class at the 5% level
NEIGHBOUR_QUERIES = 6  # key words whose nearest neighbours each source shows
NEIGHBOURS = 5
NEIGHBOUR_POOL = 20_000  # neighbours come from the data's most frequent words seen twice or more
# Decades of training documents in the smallest class: pretrained vectors gain most where a class
# has hundreds of examples (Kim 2014: +5 points on sets of a few thousand), and a learned layer
# catches up once every class has tens of thousands.
REGIME_LIMITS = (1_000, 10_000)
REGIME_RULE = "training documents in the smallest class: small < 1,000 <= medium < 10,000 <= large"
IMBALANCE_WARNING = 3.0  # largest / smallest class
DUPLICATE_WARNING = 0.05  # share of documents repeating an earlier one
POOR_TOKEN_COVERAGE = 0.90
POOR_KEY_WORD_COVERAGE = 0.90
CLASS_COVERAGE_GAP = 0.05  # a class this far below the overall token coverage is a warning
PROBE_MAX_DOCUMENTS = 5_000
PROBE_FOLDS = 5
# The same regularisation for features of different scale: L2-normalised TF-IDF rows hold values
# around 0.1, so they need a 10 times larger C than standardised (unit-variance) vector features.
BAG_OF_WORDS_C = 10.0
VECTORS_C = 1.0
PROBE_METHOD = (
    "logistic regression, stratified {folds}-fold cross-validation on {documents:,} training "
    "documents: bag of words = TF-IDF (sublinear tf, words in 2+ documents), C=10; vectors = "
    "mean of the covered words' vectors, standardised, C=1"
)
DEFAULT_SPLIT = "recommend's default: test 20%, validation 10%, seed 0"
GIVEN_SPLIT = "this run's"
NO_SPLIT = "none, all documents count as training"


@dataclass(frozen=True)
class Coverage:
    """How much of the data's vocabulary one vectors source covers, and what that buys."""

    vectors: str
    source: str
    format: str
    dim: int
    vectors_vocabulary: int
    covered_types: int  # |V_pre| of Kim 2014's Table 1
    token_rate: float  # share of running tokens with a vector
    type_rate: float  # share of distinct words with a vector
    exact_token_rate: float  # the same before any fallback (lowercase, normalised, subword)
    found_by: dict[str, int]  # distinct words found per lookup: exact, lowercase, ...
    found_by_tokens: dict[str, int]  # running tokens found per lookup
    top_uncovered: tuple[tuple[str, int], ...]  # most frequent words without a vector
    class_token_rate: dict[str, float]  # token coverage within each class's documents
    key_word_rate: float  # share of the key words (see DatasetProfile.key_words) with a vector
    key_words_uncovered: tuple[str, ...]
    unseen_covered_tokens: int  # held-out tokens unseen in training that have a vector
    unseen_covered_types: int
    probe_accuracy: float | None  # averaged vectors + logistic regression (see Probe)
    probe_reading: str
    load_seconds: float
    cache_file: str | None
    cache_hit: bool
    warnings: tuple[str, ...]
    # key word -> its nearest words (cosine) in the data, by this source: is "ugly" near
    # "beautiful"? Empty for a key word without a vector.
    neighbours: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """What a linear model gets from the words themselves; each Coverage holds what it gets from
    the averaged vectors, on the same documents and folds."""

    method: str
    documents: int
    training_documents: int  # more than `documents` when the probe subsampled
    folds: int
    majority_accuracy: float
    bag_of_words_accuracy: float


@dataclass(frozen=True)
class DatasetProfile:
    """Size, balance, lengths and repetition of a labelled dataset, and coverage per vectors
    source; `to_dict()` is profile.json and the report's `profile`."""

    source: str
    documents: int
    class_counts: dict[str, int]
    majority_share: float
    imbalance: float  # documents in the largest class / in the smallest
    empty_documents: int
    duplicate_documents: int  # documents whose tokens repeat an earlier document's
    conflicting_duplicates: int  # distinct token sequences that occur with several labels
    tokens: int
    mean_length: float
    length_percentiles: dict[str, float]  # p50, p90, p95, p99, max (tokens per document)
    vocabulary_size: int  # |V| of Kim 2014's Table 1
    type_token_ratio: float
    hapax_share: float  # share of distinct words that occur once
    split: dict[str, int]  # documents in train, validation, test
    split_origin: str
    training_per_class: dict[str, int]
    regime: str  # small, medium or large (see REGIME_RULE)
    regime_rule: str
    test_in_training: int  # test documents identical to a training document
    heldout_tokens: int  # tokens of the validation and test documents
    unseen_tokens: int  # of those, tokens of words absent from the training documents
    unseen_types: int
    key_words: dict[str, tuple[str, ...]]  # per class, the words that best separate it
    probe: Probe | None
    coverage: tuple[Coverage, ...]
    warnings: tuple[str, ...]
    seconds: float  # to compute this profile (loading the data and vectors not included)
    tokenizer: str = ""  # the tokeniser's rules, and why they were chosen (text.Rules.describe)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetProfile:
        """The inverse of `to_dict()`, also after a JSON round trip (lists back to tuples)."""
        fields = _tuples(data)
        fields["coverage"] = tuple(Coverage(**c) for c in fields["coverage"])
        fields["probe"] = Probe(**fields["probe"]) if fields["probe"] else None
        return cls(**fields)


def _tuples(value: Any) -> Any:
    """JSON lists back to the tuples the dataclasses hold (they hold no lists)."""
    if isinstance(value, list | tuple):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


def profile_dataset(
    source: str,
    tokens: TokenIds | Sequence[Sequence[str]],
    labels: Sequence[str],
    vectors: Sequence[Vectors],
    warnings: Sequence[str] = (),
    splits: Splits | None = None,
) -> DatasetProfile:
    """The profile of tokenised, labelled documents. `splits` is the run's split (recommend passes
    it); without it the default split (seed 0) is made, so the figures match a default run."""
    started = time.perf_counter()
    origin = GIVEN_SPLIT
    if splits is None:
        splits, origin = _default_split(labels)
    corpus = tokens if isinstance(tokens, TokenIds) else TokenIds.from_tokens(tokens)
    counts = _Counts(corpus, labels, splits)
    key_words = counts.key_words()
    queries = counts.neighbour_queries(key_words)
    with _one_thread():
        probe, probe_features = counts.probe()
        coverage = tuple(
            counts.coverage(source_vectors, key_words, probe, probe_features, queries)
            for source_vectors in vectors
        )
    class_counts = dict(zip(counts.classes, np.bincount(counts.y).tolist(), strict=True))
    training = np.bincount(counts.y[splits.train], minlength=len(counts.classes)).tolist()
    training_per_class = dict(zip(counts.classes, training, strict=True))
    regime = _regime(min(training))
    lengths = counts.lengths
    percentiles = {
        f"p{q}": float(np.percentile(lengths, q)) if len(lengths) else 0.0 for q in (50, 90, 95, 99)
    }
    percentiles["max"] = float(lengths.max()) if len(lengths) else 0.0
    duplicates, conflicting, test_in_training = counts.repetition()
    unseen = counts.unseen()
    frequencies = counts.type_counts
    profile = DatasetProfile(
        source=source,
        documents=len(corpus),
        class_counts=class_counts,
        majority_share=max(class_counts.values()) / len(corpus),
        imbalance=max(class_counts.values()) / min(class_counts.values()),
        empty_documents=int(np.sum(lengths == 0)),
        duplicate_documents=duplicates,
        conflicting_duplicates=conflicting,
        tokens=int(lengths.sum()),
        mean_length=float(lengths.mean()),
        length_percentiles=percentiles,
        vocabulary_size=len(counts.types),
        type_token_ratio=len(counts.types) / max(int(lengths.sum()), 1),
        hapax_share=float(np.mean(frequencies == 1)) if len(frequencies) else 0.0,
        split={name: len(getattr(splits, name)) for name in ("train", "validation", "test")},
        split_origin=origin,
        training_per_class=training_per_class,
        regime=regime,
        regime_rule=REGIME_RULE,
        test_in_training=test_in_training,
        heldout_tokens=int(unseen.heldout_counts.sum()),
        unseen_tokens=int(unseen.heldout_counts[unseen.mask].sum()),
        unseen_types=int(unseen.mask.sum()),
        key_words={
            counts.classes[c]: tuple(counts.types[i] for i in rows) for c, rows in key_words.items()
        },
        probe=probe,
        coverage=coverage,
        warnings=tuple(warnings),
        seconds=time.perf_counter() - started,
    )
    return _with_dataset_warnings(profile)


def _default_split(labels: Sequence[str]) -> tuple[Splits, str]:
    """recommend's default split; where it is impossible (a class with under 3 documents, which
    recommend refuses) every document counts as training, so the rest of the profile still shows."""
    try:
        return split(labels), DEFAULT_SPLIT
    except DataError as error:
        everything = np.arange(len(labels))
        return Splits(everything, everything[:0], everything[:0]), f"{NO_SPLIT} ({error.what})"


def _one_thread() -> Any:
    """Limit OpenMP/BLAS to one thread: on fits this small their threads cost more than they give
    (multinomial fits measured 10 to 50 times slower with 2 threads than with 1 on 2 cores)."""
    import sklearn.linear_model  # noqa: F401  (loads the thread pools, so the limit reaches them)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _regime(smallest_class: int) -> str:
    small, large = REGIME_LIMITS
    return "small" if smallest_class < small else "medium" if smallest_class < large else "large"


def _with_dataset_warnings(profile: DatasetProfile) -> DatasetProfile:
    notes = list(profile.warnings)
    if profile.imbalance >= IMBALANCE_WARNING:
        notes.append(
            f"classes are imbalanced ({profile.imbalance:.1f}:1 largest to smallest): accuracy "
            f"rewards the majority class ({profile.majority_share:.1%} of documents); compare "
            "macro-F1 too"
        )
    if profile.conflicting_duplicates:
        notes.append(
            f"{_count(profile.conflicting_duplicates, 'text occurs', 'texts occur')} with "
            "different labels (label noise, or labels the words cannot decide)"
        )
    if profile.duplicate_documents >= DUPLICATE_WARNING * profile.documents:
        notes.append(
            f"{_count(profile.duplicate_documents, 'document', 'documents')} "
            f"({profile.duplicate_documents / profile.documents:.1%}) repeat an earlier one "
            "after tokenising"
        )
    if profile.test_in_training:
        notes.append(
            f"{profile.test_in_training:,} of {profile.split['test']:,} test documents repeat a "
            "training document: that part of the test score is recall, not generalisation"
        )
    if profile.empty_documents:
        notes.append(f"{_count(profile.empty_documents, 'document', 'documents')} without tokens")
    if profile.split_origin.startswith(NO_SPLIT):
        notes.append(
            f"no train/validation/test split is possible{profile.split_origin[len(NO_SPLIT) :]}: "
            "recommend needs at least 3 documents in every class"
        )
    if profile.probe is None:
        notes.append("no probe: it needs at least 2 training documents in every class")
    if profile.mean_length < 3 and profile.hapax_share > 0.9 and profile.documents >= 50:
        notes.append(
            f"documents average {profile.mean_length:.1f} tokens and {profile.hapax_share:.0%} "
            "of the words occur once: whole sentences are single tokens, so no model can learn "
            "from them; text in a script written without spaces needs --tokenizer unicode "
            "--split characters"
        )
    return replace(profile, warnings=tuple(notes))


class _Unseen(NamedTuple):
    """Held-out (validation + test) token counts per word, and which words training lacks."""

    heldout_counts: np.ndarray
    mask: np.ndarray


class _Counts:
    """The documents' token ids with their classes and split. Every figure is read from the ids
    a piece at a time (`TokenIds.pieces`), so memory grows with the vocabulary, not the corpus:
    a document x word matrix took 8 bytes a token and its row slices as much again."""

    def __init__(self, corpus: TokenIds, labels: Sequence[str], splits: Splits) -> None:
        self.corpus = corpus
        self.splits = splits
        names = sorted(set(labels))
        self.classes = tuple(str(name) for name in names)
        code = {name: position for position, name in enumerate(names)}
        self.y = np.fromiter((code[label] for label in labels), dtype=np.int64, count=len(labels))
        self.lengths = corpus.lengths
        self.types = corpus.words
        self.type_counts = corpus.counts()
        self._unseen: _Unseen | None = None

    def repetition(self) -> tuple[int, int, int]:
        """(documents repeating an earlier one, texts with several labels, test documents
        identical to a training document), all on the tokens the model sees."""
        keys = self.corpus.document_keys()
        filled = self.lengths > 0
        groups = np.unique(keys[filled], return_inverse=True)[1].ravel()
        distinct = int(groups.max()) + 1 if len(groups) else 0
        duplicates = int(filled.sum()) - distinct
        labelled = _distinct(groups * len(self.classes) + self.y[filled])
        conflicting = int(np.count_nonzero(np.bincount(labelled // len(self.classes)) > 1))
        train = self.splits.train
        training = keys[train[filled[train]]]
        test_in_training = int(np.isin(keys[self.splits.test], training).sum())
        return duplicates, conflicting, test_in_training

    def unseen(self) -> _Unseen:
        if self._unseen is None:
            heldout = np.concatenate([self.splits.validation, self.splits.test])
            heldout_counts = self.corpus.counts(heldout)
            in_training = self.corpus.counts(self.splits.train) > 0
            self._unseen = _Unseen(heldout_counts, (heldout_counts > 0) & ~in_training)
        return self._unseen

    def key_words(self) -> dict[int, list[int]]:
        """Per class, the words most over-represented in its training documents against the other
        classes': the weighted log-odds with an informative Dirichlet prior (Monroe, Colaresi &
        Quinn 2008, "Fightin' Words") on document frequencies, which keeps rare words from topping
        the list by chance. At most KEY_WORDS_PER_CLASS words with z >= KEY_WORD_MIN_Z."""
        train = self.splits.train
        per_class = [
            self._document_frequencies(train[self.y[train] == c]) for c in range(len(self.classes))
        ]
        prior = np.zeros(len(self.types), dtype=np.int64)  # alpha_w: the word's frequency overall
        for words, inside in per_class:
            prior[words] += inside.astype(np.int64)
        prior_total = prior.sum()
        chosen: dict[int, list[int]] = {}
        for c, (words, inside) in enumerate(per_class):
            total = inside.sum()
            outside = prior[words] - inside
            alpha = prior[words]
            rest_total = prior_total - total
            delta = np.log((inside + alpha) / (total + prior_total - inside - alpha)) - np.log(
                (outside + alpha) / (rest_total + prior_total - outside - alpha)
            )
            z = delta / np.sqrt(1 / (inside + alpha) + 1 / (outside + alpha))
            best = np.argsort(-z, kind="stable")[:KEY_WORDS_PER_CLASS]
            chosen[c] = [int(words[i]) for i in best if z[i] >= KEY_WORD_MIN_Z]
        return chosen

    def _document_frequencies(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(words, the number of documents of `rows` holding each, as float64) for the words
        they hold. The words come in the order a sparse product (classes x documents times
        documents x words) left them in, which broke ties in z before: the word whose first
        document (then id) comes last first."""
        frequency = np.zeros(len(self.types), dtype=np.int64)
        first = np.full(len(self.types), -1, dtype=np.int64)
        done = 0
        for piece, positions in self.corpus.pieces(rows):
            document = np.repeat(np.arange(len(piece)), self.lengths[piece])
            pairs = _distinct(document * len(self.types) + self.corpus.ids[positions])
            words, documents = pairs % len(self.types), pairs // len(self.types)
            frequency += np.bincount(words, minlength=len(self.types))
            new = first[words] < 0
            # pairs run by document, so a word's first pair holds its first document
            seen, at = np.unique(words[new], return_index=True)
            first[seen] = done + documents[new][at]
            done += len(piece)
        words = np.flatnonzero(frequency)
        words = words[np.lexsort((words, first[words]))[::-1]]
        return words, frequency[words].astype(np.float64)

    def probe(self) -> tuple[Probe | None, _ProbeFeatures | None]:
        """Cross-validated bag of words on (a stratified sample of at most PROBE_MAX_DOCUMENTS)
        training documents; the averaged-vectors score is computed per source in `coverage`."""
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_score
        from sklearn.pipeline import make_pipeline

        train = self.splits.train
        rows = _stratified_sample(train, self.y[train], PROBE_MAX_DOCUMENTS)
        y = self.y[rows]
        folds = min(PROBE_FOLDS, int(np.bincount(y)[np.unique(y)].min()))
        if folds < 2:
            return None, None
        folds_split = StratifiedKFold(folds, shuffle=True, random_state=0)
        counts = self._matrix(rows).astype(np.float64)
        in_two = np.flatnonzero(np.asarray(counts.sign().sum(axis=0)).ravel() >= 2)
        bag = make_pipeline(
            TfidfTransformer(sublinear_tf=True),
            LogisticRegression(C=BAG_OF_WORDS_C, solver="sag", max_iter=1000, random_state=0),
        )
        score = cross_val_score(bag, counts[:, in_two], y, cv=folds_split).mean()
        probe = Probe(
            method=PROBE_METHOD.format(folds=folds, documents=len(rows)),
            documents=len(rows),
            training_documents=len(train),
            folds=folds,
            majority_accuracy=float(np.bincount(y).max() / len(y)),
            bag_of_words_accuracy=float(score),
        )
        return probe, _ProbeFeatures(counts, y, folds_split)

    def _matrix(self, rows: np.ndarray) -> sparse.csr_matrix:
        """The documents `rows` x words, counts: only for the probe's sample."""
        ids = self.corpus.gather(rows)
        lengths = self.lengths[rows]
        matrix = sparse.csr_matrix(
            (
                np.ones(len(ids), dtype=np.int32),
                ids,
                np.concatenate([[0], np.cumsum(lengths)]),
            ),
            shape=(len(rows), len(self.types)),
        )
        matrix.sum_duplicates()
        return matrix

    def neighbour_queries(self, key_words: dict[int, list[int]]) -> list[int]:
        """NEIGHBOUR_QUERIES key words, taken from the classes in turn (largest class first), so
        that both sides of a binary task show."""
        sizes = np.bincount(self.y[self.splits.train], minlength=len(self.classes))
        order = sorted(key_words, key=lambda c: (-sizes[c], c))
        chosen: list[int] = []
        for rank in range(KEY_WORDS_PER_CLASS):
            for c in order:
                if rank < len(key_words[c]) and key_words[c][rank] not in chosen:
                    chosen.append(key_words[c][rank])
                    if len(chosen) == NEIGHBOUR_QUERIES:
                        return chosen
        return chosen

    def neighbours(
        self, vectors: Vectors, queries: list[int], covered: np.ndarray
    ) -> dict[str, tuple[str, ...]]:
        """The NEIGHBOURS words nearest (cosine) to each query among the NEIGHBOUR_POOL most
        frequent words of the data that occur twice or more and have a vector in this source."""
        candidates = np.flatnonzero(covered & (self.type_counts >= 2))
        pool = candidates[np.argsort(-self.type_counts[candidates], kind="stable")]
        pool = pool[:NEIGHBOUR_POOL]
        found: dict[str, tuple[str, ...]] = {}
        if not len(pool):
            return {self.types[i]: () for i in queries}
        table = np.stack([vectors.lookup(self.types[i])[0] for i in pool.tolist()])
        table = table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
        for i in queries:
            vector = vectors.lookup(self.types[i])[0]
            if vector is None:
                found[self.types[i]] = ()
                continue
            scores = table @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
            nearest = [int(pool[j]) for j in np.argsort(-scores, kind="stable")[: NEIGHBOURS + 1]]
            found[self.types[i]] = tuple(self.types[j] for j in nearest if j != i)[:NEIGHBOURS]
        return found

    def coverage(
        self,
        vectors: Vectors,
        key_words: dict[int, list[int]],
        probe: Probe | None,
        probe_features: _ProbeFeatures | None,
        queries: list[int],
    ) -> Coverage:
        hows = [vectors.lookup(word)[1] for word in self.types]
        covered = np.array([how != "missing" for how in hows], dtype=bool)
        frequencies = self.type_counts
        total = max(int(frequencies.sum()), 1)
        found_by: Counter[str] = Counter()
        found_by_tokens: Counter[str] = Counter()
        for how, count in zip(hows, frequencies.tolist(), strict=True):
            if how != "missing":
                found_by[how] += 1
                found_by_tokens[how] += count
        uncovered = heapq.nsmallest(
            TOP_UNCOVERED,
            np.flatnonzero(~covered).tolist(),
            key=lambda i: (-frequencies[i], self.types[i]),
        )
        per_document = self.corpus.per_document(covered).astype(np.float64)
        class_total = np.bincount(self.y, weights=self.lengths, minlength=len(self.classes))
        class_covered = np.bincount(self.y, weights=per_document, minlength=len(self.classes))
        class_rate = {
            name: float(class_covered[c] / class_total[c]) if class_total[c] else 0.0
            for c, name in enumerate(self.classes)
        }
        keys = sorted({i for rows in key_words.values() for i in rows})
        key_rate = float(covered[keys].mean()) if keys else 1.0
        unseen = self.unseen()
        unseen_covered = unseen.mask & covered
        accuracy, reading = None, ""
        if probe is not None and probe_features is not None:
            accuracy = probe_features.averaged_vectors_accuracy(vectors, self.types, covered)
            reading = _probe_reading(accuracy, probe, key_rate)
        coverage = Coverage(
            vectors=vectors.name,
            source=vectors.source,
            format=vectors.format,
            dim=vectors.dim,
            vectors_vocabulary=vectors.vocabulary_size,
            covered_types=int(covered.sum()),
            token_rate=float(frequencies[covered].sum() / total),
            type_rate=float(covered.mean()) if len(covered) else 0.0,
            exact_token_rate=found_by_tokens["exact"] / total,
            found_by=dict(sorted(found_by.items())),
            found_by_tokens=dict(sorted(found_by_tokens.items())),
            top_uncovered=tuple((self.types[i], int(frequencies[i])) for i in uncovered),
            class_token_rate=class_rate,
            key_word_rate=key_rate,
            key_words_uncovered=tuple(self.types[i] for i in keys if not covered[i]),
            unseen_covered_tokens=int(unseen.heldout_counts[unseen_covered].sum()),
            unseen_covered_types=int(unseen_covered.sum()),
            probe_accuracy=accuracy,
            probe_reading=reading,
            load_seconds=vectors.load_seconds,
            cache_file=vectors.cache_file,
            cache_hit=vectors.cache_hit,
            warnings=vectors.warnings,
            neighbours=self.neighbours(vectors, queries, covered),
        )
        return _with_coverage_warnings(coverage, len(keys))


class _ProbeFeatures:
    """The probe's documents, labels and folds, shared by every vectors source."""

    def __init__(self, counts: sparse.csr_matrix, y: np.ndarray, folds: Any) -> None:
        self.counts = counts
        self.y = y
        self.folds = folds

    def averaged_vectors_accuracy(
        self, vectors: Vectors, types: list[str], covered: np.ndarray
    ) -> float:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import cross_val_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        table = np.zeros((len(types), vectors.dim), dtype=np.float64)
        for i in np.flatnonzero(covered).tolist():
            table[i] = vectors.lookup(types[i])[0]
        found = self.counts @ covered.astype(np.float64)
        features = (self.counts @ table) / np.maximum(found, 1)[:, None]
        # tol 1e-3: the probe needs tenths of a point, and 384 dimensions converge slowly
        model = make_pipeline(
            StandardScaler(), LogisticRegression(C=VECTORS_C, tol=1e-3, max_iter=1000)
        )
        return float(cross_val_score(model, features, self.y, cv=self.folds).mean())


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct integers of `values`, sorted: np.unique's hash table took 16 times as long
    as a sort on millions of them (numpy 2.4)."""
    ordered = np.sort(values)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


def _stratified_sample(rows: np.ndarray, y: np.ndarray, limit: int) -> np.ndarray:
    """All rows when there are at most `limit`; else the same share of every class (at least two
    each, so cross-validation still sees every class), drawn with a fixed seed."""
    if len(rows) <= limit:
        return rows
    rng = np.random.default_rng(0)
    kept = []
    for label in np.unique(y):
        members = rows[y == label]
        size = min(len(members), max(2, round(len(members) * limit / len(rows))))
        kept.append(rng.choice(members, size, replace=False))
    return np.sort(np.concatenate(kept))


def _probe_reading(accuracy: float, probe: Probe, key_word_rate: float) -> str:
    """What the two scores suggest, as a share of the lift bag of words gets over the majority
    class (thresholds 90% and 60%: a reading aid, not a decision rule)."""
    lift = probe.bag_of_words_accuracy - probe.majority_accuracy
    if lift < 0.02:
        return "bag of words barely beats the majority class: the probe cannot tell"
    share = (accuracy - probe.majority_accuracy) / lift
    kept = f"averaged vectors keep {share:.0%} of the bag-of-words gain over the majority class"
    if share >= 0.9:
        return f"{kept}: they carry what this task needs (frozen vectors may do)"
    if share >= 0.6:
        return f"{kept}: fine-tuning or a learned layer may recover the rest"
    if key_word_rate < POOR_KEY_WORD_COVERAGE:
        why = f"only {key_word_rate:.0%} of the key words have vectors"
    else:
        why = "the vectors blur what separates these classes, as word2vec puts 'ugly' next to "
        why += "'beautiful'"
    return f"{kept}: {why}; frozen vectors are unlikely to win"


def _with_coverage_warnings(coverage: Coverage, key_words: int) -> Coverage:
    notes = list(coverage.warnings)
    name = coverage.vectors
    if coverage.token_rate < POOR_TOKEN_COVERAGE:
        notes.append(
            f"{name} covers only {coverage.token_rate:.1%} of tokens: the rest get random vectors"
        )
    if key_words and coverage.key_word_rate < POOR_KEY_WORD_COVERAGE:
        notes.append(
            f"{name} covers only {coverage.key_word_rate:.0%} of the {key_words} words that best "
            f"separate the classes (missing: {', '.join(coverage.key_words_uncovered[:8])})"
        )
    poor = sorted(
        (rate, label)
        for label, rate in coverage.class_token_rate.items()
        if rate < coverage.token_rate - CLASS_COVERAGE_GAP
    )
    if poor:
        listed = ", ".join(f"{label!r} {rate:.1%}" for rate, label in poor[:5])
        more = f" and {len(poor) - 5} more" if len(poor) > 5 else ""
        notes.append(
            f"{_count(len(poor), 'class', 'classes')} poorly covered by {name} (token coverage "
            f"{CLASS_COVERAGE_GAP:.0%} or more below the {coverage.token_rate:.1%} overall): "
            f"{listed}{more}"
        )
    return replace(coverage, warnings=tuple(notes))


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"
