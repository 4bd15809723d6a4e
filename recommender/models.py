"""Keras models: an embedding strategy x an encoder x a softmax head, on integer token ids.

Only built-in Keras layers and `keras.ops` are used, so a saved model loads anywhere Keras does
and trains under the TensorFlow, JAX and PyTorch backends alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

LEARNED, FROZEN, FINE_TUNED = "learned", "frozen", "fine-tuned"
MULTICHANNEL, FROZEN_THEN_TUNED, FROZEN_OOV = "multichannel", "frozen-then-tuned", "frozen-oov"
# No embedding layer at all: a logistic regression on TF-IDF of words (and word pairs), the
# bag-of-words peer as a Keras model, so the verdict can recommend it and the export serve it.
TFIDF = "tf-idf"
STRATEGIES = (LEARNED, FROZEN, FINE_TUNED, MULTICHANNEL, FROZEN_THEN_TUNED, FROZEN_OOV, TFIDF)
# Strategies with no vectors source, built once per run.
OWN_STRATEGIES = (LEARNED, TFIDF)
ENCODERS = ("pool", "cnn", "rnn")
LINEAR = "linear"  # the tf-idf model's "encoder": a weighted sum, searched like no other
OOV_INITS = ("random", "zeros", "mean")
CELLS = ("gru", "lstm")
# The layers whose rows are the pretrained vectors (divided by the learning-rate scale, see
# `_embedding`): the rows a vocabulary extension appends to them are pretrained rows too.
PRETRAINED_LAYERS = ("embedding", "embedding_tuned")
# Training steps per call into the backend (TensorFlow and JAX): see `compile_model`.
STEPS_PER_EXECUTION = 16
# Subtracted from the padding's vectors before a max-pooling, so that the padding never wins.
PADDING_PENALTY = 1e9
# Beyond any position of a row (`token_counts`): positions that are not a run's edge sort after.
RUN_SENTINEL = 2**30
# A word pair (a, b) of ids goes to bucket ((a mod B) * BIGRAM_MULTIPLIER + b mod B) mod B, plus 1
# (0 is the padding). For B up to 2**21 the sum is at most (2**21 - 1) * 1022 < 2**31 whatever
# the ids, so int32 arithmetic (JAX's default) never overflows; a prime multiplier spreads the
# pairs of the frequent words (small ids) over the buckets. 2**21 is fastText's default count.
BIGRAM_MULTIPLIER = 1021
MAX_BIGRAM_BUCKETS = 2**21
# `bigram_buckets = "auto"`: rows for PAIR_ROOM times the training split's distinct pairs (a power
# of two, from MIN_AUTO_BUCKETS to MAX_BIGRAM_BUCKETS), so that few pairs share a row: on MR
# (79k distinct pairs) a tf-idf model scored 74.4 with 65,536 rows, 75.9 with 262,144 and 76.5
# with 1,048,576, against 75.9 without pairs (benchmarks/bench_pairs.py --buckets).
AUTO_BUCKETS = "auto"
PAIR_ROOM = 8
MIN_AUTO_BUCKETS = 2**14
# Documents whose word pairs are counted at once: the arrays built for a chunk are a few times
# its ids, so their memory stays bounded however large the training split.
CHUNK_DOCUMENTS = 20_000


@dataclass(frozen=True)
class Candidate:
    """One embedding option under comparison: a strategy, with its vectors source if pretrained."""

    strategy: str
    vectors: str | None = None

    @property
    def key(self) -> str:
        return self.strategy if self.vectors is None else f"{self.strategy}:{self.vectors}"

    @property
    def pretrained(self) -> bool:
        return self.vectors is not None

    @classmethod
    def from_key(cls, key: str) -> Candidate:
        strategy, _, vectors = key.partition(":")
        return cls(strategy, vectors or None)


def candidates_for(strategies: tuple[str, ...], vectors_names: tuple[str, ...]) -> list[Candidate]:
    """Learned and tf-idf once; each pretrained strategy once per vectors source."""
    found: list[Candidate] = []
    for strategy in strategies:
        if strategy in OWN_STRATEGIES:
            found.append(Candidate(strategy))
        else:
            found.extend(Candidate(strategy, name) for name in vectors_names)
    return found


def build_model(
    candidate: Candidate,
    config: dict[str, Any],
    *,
    vocabulary_size: int,
    num_classes: int,
    embedding_matrix: np.ndarray | None,
    covered: np.ndarray | None,
    training_ids: np.ndarray | None = None,
) -> Any:
    """A compiled `keras.Model` mapping right-padded int ids, (batch, any length), to class
    probabilities. The padding never changes the answer (every pooling is masked), so training
    may cut each batch to its longest text (`batches.py`) and serving pad to a fixed length.

    Pretrained strategies need the matrix and `covered` (True for the rows the vectors know);
    tf-idf needs the `training_ids` its document frequencies come from."""
    import keras

    ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    weights: dict[str, np.ndarray] = {}
    if candidate.strategy == TFIDF:
        if training_ids is None:
            raise ValueError("tf-idf needs the training ids for its document frequencies")
        model = _tfidf_model(keras, ids, config, vocabulary_size, num_classes, training_ids)
        # fitted by `linear.fit_tfidf`, never by gradient steps: compiled to be scored only
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model
    if candidate.pretrained:
        if embedding_matrix is None or covered is None:
            raise ValueError(f"{candidate.key} needs an embedding matrix and its covered rows")
        matrix = initial_matrix(embedding_matrix, covered, config.get("oov_init", "random"))
        vectors = _pretrained_embedding(
            keras, ids, candidate.strategy, matrix, covered, config, weights
        )
    else:
        vectors = keras.layers.Embedding(
            vocabulary_size, int(config["embedding_dim"]), name="embedding"
        )(ids)
    encoder = config["encoder"]
    dropout = float(config["dropout"])
    if encoder == "pool":
        features = _pool_encoder(
            keras, ids, vectors, config, dropout, bucket_count(config, training_ids)
        )
    elif encoder == "cnn":
        features = _cnn_encoder(keras, ids, vectors, config)
    elif encoder == "rnn":
        features = _rnn_encoder(keras, ids, vectors, config)
    else:
        raise ValueError(f"unknown encoder {encoder!r}")
    features = keras.layers.Dropout(dropout)(features)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(
        features
    )
    model = keras.Model(ids, probabilities, name=candidate.key.replace(":", "_"))
    for name, value in weights.items():
        model.get_layer(name).set_weights([value])
    compile_model(model, config)
    return model


def compile_model(model: Any, config: dict[str, Any]) -> None:
    """(Re)compile with a fresh Adam: Keras 3 needs it after a layer's `trainable` changes, and
    an optimizer cannot take on variables it was not built with. Several training steps run per
    call into the backend where it allows (not PyTorch): small models spend much of each step
    in the per-step call overhead. Adam is applied by one fused kernel under TensorFlow
    (`optimizers.adam`): Keras' own update of a trainable embedding dominated the step."""
    import keras

    from recommender.optimizers import adam

    model.compile(
        optimizer=adam(float(config["learning_rate"])),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=1 if keras.backend.backend() == "torch" else STEPS_PER_EXECUTION,
    )


def warmup_epochs(candidate: Candidate, config: dict[str, Any]) -> int:
    """Epochs trained with the embedding frozen before `unfreeze()`; 0 when never frozen first."""
    return int(config["warmup_epochs"]) if candidate.strategy == FROZEN_THEN_TUNED else 0


def unfreeze(model: Any, config: dict[str, Any]) -> None:
    """End a frozen-then-tuned model's warm-up: its embedding trains from now on."""
    model.get_layer("embedding").trainable = True
    compile_model(model, config)


def initial_matrix(matrix: np.ndarray, covered: np.ndarray, oov_init: str) -> np.ndarray:
    """`matrix` with the rows the vectors do not cover (the out-of-vocabulary id 1 included) set
    as `oov_init` says: `random` keeps the uniform rows `prepare()` drew (seeded by the run);
    `zeros`, or the `mean` of the covered rows (a typical word). Padding row 0 stays zero."""
    if oov_init == "random":
        return matrix
    uncovered = ~covered
    uncovered[0] = False
    result = matrix.copy()
    if oov_init == "zeros":
        result[uncovered] = 0.0
    elif oov_init == "mean":
        result[uncovered] = matrix[covered].mean(axis=0) if covered.any() else 0.0
    else:
        raise ValueError(f"unknown oov_init {oov_init!r}")
    return result


def _pretrained_embedding(
    keras: Any,
    ids: Any,
    strategy: str,
    matrix: np.ndarray,
    covered: np.ndarray,
    config: dict[str, Any],
    weights: dict[str, np.ndarray],
) -> Any:
    """The word vectors of `ids` for a pretrained strategy; `weights` is filled with the initial
    rows of each layer, set once the model is built (zeros first: a Constant initializer would
    also be stored, as JSON, in every saved model's config, megabytes for a real vocabulary)."""
    from keras import ops

    scale = float(config.get("embedding_lr_scale", 1.0))
    if strategy == FROZEN:
        return _embedding(keras, ids, matrix, "embedding", False, 1.0, weights)
    if strategy in (FINE_TUNED, FROZEN_THEN_TUNED):  # the latter starts frozen: see `unfreeze()`
        return _embedding(keras, ids, matrix, "embedding", strategy == FINE_TUNED, scale, weights)
    if strategy == MULTICHANNEL:
        # Kim (2014): a static and a tuned copy side by side. Concatenated on the feature axis,
        # every encoder reads them as one 2 x dim input (for the CNN this is exactly Kim's
        # two-channel convolution: each filter has its own weights per channel).
        frozen = _embedding(keras, ids, matrix, "embedding", False, 1.0, weights)
        tuned = _embedding(keras, ids, matrix, "embedding_tuned", True, scale, weights)
        return keras.layers.Concatenate(name="channels")([frozen, tuned])
    if strategy == FROZEN_OOV:
        # pretrained rows + (only for uncovered words) a learned correction, zero at first. The
        # correction has one row per uncovered word (plus row 0 for every covered one, which is
        # never used), so only those count as trainable; a fixed lookup maps a word id to its
        # correction row.
        uncovered = ~covered
        uncovered[0] = False
        slots = np.zeros((len(matrix), 1), dtype=np.float32)
        slots[uncovered, 0] = np.arange(1, int(uncovered.sum()) + 1)
        base = _embedding(keras, ids, matrix, "embedding", False, 1.0, weights)
        slot = _embedding(keras, ids, slots, "oov_slot", False, 1.0, weights)
        slot = ops.squeeze(slot, axis=-1)
        correction = keras.layers.Embedding(
            int(uncovered.sum()) + 1,
            matrix.shape[1],
            embeddings_initializer="zeros",
            name="embedding_oov",
        )(ops.cast(slot, "int32"))
        learning = ops.expand_dims(ops.cast(ops.greater(slot, 0), correction.dtype), -1)
        return keras.layers.Add(name="oov_corrected")([base, correction * learning])
    raise ValueError(f"unknown strategy {strategy!r}")


def _embedding(
    keras: Any,
    ids: Any,
    matrix: np.ndarray,
    name: str,
    trainable: bool,
    scale: float,
    weights: dict[str, np.ndarray],
) -> Any:
    """An embedding of `matrix` whose effective learning rate is `scale` times the model's: it
    stores matrix / scale and multiplies its output by `scale`. Adam's step does not depend on
    the size of the gradient, so the stored rows move as fast as any weight and the rows used
    `scale` times as far; built-in layers only, so the saved model needs no custom object."""
    weights[name] = matrix if scale == 1.0 else matrix / scale
    embedding = keras.layers.Embedding(
        matrix.shape[0],
        matrix.shape[1],
        embeddings_initializer="zeros",
        trainable=trainable,
        name=name,
    )(ids)
    if scale == 1.0:
        return embedding
    return keras.layers.Rescaling(scale, name=f"{name}_scale")(embedding)


def appended_rows(model: Any, rows: np.ndarray) -> dict[str, np.ndarray]:
    """What each layer indexed by word id appends for extra words with pretrained `rows` (the
    vocabulary extension): the pretrained layers those rows (over their learning-rate scale),
    frozen-oov's word-to-correction lookup a 0 (no correction: the words are covered)."""
    names = {layer.name for layer in model.layers}
    appended = {}
    for name in PRETRAINED_LAYERS:
        if name in names:
            scale = model.get_layer(f"{name}_scale").scale if f"{name}_scale" in names else 1.0
            appended[name] = (rows / scale).astype(np.float32)
    if "oov_slot" in names:
        appended["oov_slot"] = np.zeros((len(rows), 1), dtype=np.float32)
    return appended


def bucket_count(config: dict[str, Any], training_ids: np.ndarray | None) -> int:
    """The configuration's `bigram_buckets` as a number of rows: 0 without word pairs, a number
    as given, or for "auto" sized from the distinct pairs of the training ids (`PAIR_ROOM`)."""
    value = config.get("bigram_buckets", 0)
    if value != AUTO_BUCKETS:
        return int(value)
    if training_ids is None:
        raise ValueError('bigram_buckets "auto" needs the training ids to count their pairs')
    wanted = max(MIN_AUTO_BUCKETS, PAIR_ROOM * distinct_pairs(training_ids))
    return min(MAX_BIGRAM_BUCKETS, 1 << (wanted - 1).bit_length())


def distinct_pairs(ids: np.ndarray) -> int:
    """How many distinct pairs of neighbouring words (no padding) the rows of `ids` hold,
    counted a chunk of documents at a time."""
    width = int(ids.max(initial=0)) + 1
    found = [np.zeros(0, dtype=np.int64)]
    for start in range(0, len(ids), CHUNK_DOCUMENTS):
        chunk = ids[start : start + CHUNK_DOCUMENTS]
        left, right = chunk[:, :-1].astype(np.int64), chunk[:, 1:].astype(np.int64)
        real = (left > 0) & (right > 0)
        found.append(np.unique(left[real] * width + right[real]))
    return len(np.unique(np.concatenate(found)))


def bigram_ids(ids: Any, buckets: int) -> Any:
    """The hashed bucket (1 to `buckets`) of each pair of neighbouring words, 0 where either is
    padding: (batch, length - 1). Computed inside the model from the word ids, so the exported
    model's pairs are the training's by construction, whatever the text."""
    from keras import ops

    if not 0 < buckets <= MAX_BIGRAM_BUCKETS:
        raise ValueError(f"bigram_buckets must be from 1 to {MAX_BIGRAM_BUCKETS}, not {buckets}")
    left, right = ids[:, :-1], ids[:, 1:]
    pair = ops.mod(left, buckets) * BIGRAM_MULTIPLIER + ops.mod(right, buckets)
    pair = ops.mod(pair, buckets) + 1
    real = ops.logical_and(ops.not_equal(left, 0), ops.not_equal(right, 0))
    return ops.where(real, pair, ops.zeros_like(pair))


def _tfidf_model(
    keras: Any,
    ids: Any,
    config: dict[str, Any],
    vocabulary_size: int,
    num_classes: int,
    training_ids: np.ndarray,
) -> Any:
    """A linear model on the TF-IDF of the words and, with `bigram_buckets`, the word pairs, as
    scikit-learn's `TfidfVectorizer(sublinear_tf=True)` computes it: each distinct token's
    1 + ln(count) times its idf, over the L2 norm of those, then each token's row of class
    scores summed with that weight, then a softmax. With these features (sublinear counts, as
    the yardstick's, and unseen rows left out) the option went from 96.95 to 97.94 on SMS and
    from 90.05 to 90.27 on IMDB, and level or up on MR, CR and TREC
    (`benchmarks/bench_tfidf.py`). The counts come from each text's
    sorted tokens (`token_counts`); the idf is a frozen one-column embedding. Its weights are
    a logistic regression's, set by `linear.fit_tfidf` (the `probabilities` layer passes the
    class scores through, plus the intercepts). Built-in layers and Keras operations only, so
    it exports like the other models."""
    from keras import ops

    buckets = bucket_count(config, training_ids)
    rows = vocabulary_size + buckets
    tokens = ops.sort(with_pairs(ids, vocabulary_size, buckets), axis=1)
    counts = ops.cast(token_counts(tokens), "float32")
    scores = keras.layers.Embedding(rows, num_classes, name="class_scores")(tokens)
    idf = keras.layers.Embedding(
        rows, 1, embeddings_initializer="zeros", trainable=False, name="idf"
    )(tokens)
    # a token of a word seen c times carries (1 + ln c) / c of its idf: c of them sum to one
    # word's sublinear weight; padding's idf is 0
    weight = idf[..., 0] * (1.0 + ops.log(counts)) / counts
    norm = ops.sqrt(ops.maximum(ops.sum(counts * ops.square(weight), axis=1), 1e-12))
    features = ops.sum(scores * ops.expand_dims(weight, -1), axis=1) / ops.expand_dims(norm, -1)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(
        features
    )
    model = keras.Model(ids, probabilities, name=TFIDF.replace("-", "_"))
    frequencies = np.zeros(rows, dtype=np.int64)
    for start in range(0, len(training_ids), CHUNK_DOCUMENTS):
        chunk = with_pairs(training_ids[start : start + CHUNK_DOCUMENTS], vocabulary_size, buckets)
        frequencies += document_frequencies(ops.convert_to_numpy(chunk), rows)
    model.get_layer("idf").set_weights([idf_weights(frequencies, len(training_ids))])
    return model


def token_counts(tokens: Any) -> Any:
    """For each token of rows sorted ascending, how often its id occurs in its row: the length
    of its run of equal ids, from the positions where runs start and end (Keras operations on
    any backend, no per-row loop; a row of L tokens costs a sort of L, not L x L)."""
    from keras import ops

    position = ops.cumsum(ops.ones_like(tokens), axis=1) - 1
    change = ops.not_equal(tokens[:, 1:], tokens[:, :-1])
    edge = ops.ones_like(tokens[:, :1], dtype="bool")
    starts = ops.concatenate([edge, change], axis=1)
    ends = ops.concatenate([change, edge], axis=1)
    run = ops.cumsum(ops.cast(starts, "int32"), axis=1) - 1
    beyond = ops.full_like(position, RUN_SENTINEL)
    first = ops.sort(ops.where(starts, position, beyond), axis=1)  # run k's start at k
    last = ops.sort(ops.where(ends, position, beyond), axis=1)
    return ops.take_along_axis(last, run, axis=1) - ops.take_along_axis(first, run, axis=1) + 1


def with_pairs(ids: Any, vocabulary_size: int, buckets: int) -> Any:
    """The word ids, followed (with `buckets`) by each word pair's bucket as a row after the
    vocabulary's: rows vocabulary_size to vocabulary_size + buckets - 1; padding stays 0."""
    from keras import ops

    if not buckets:
        return ids
    ids = ops.cast(ids, "int32")  # prepared ids may be uint16, whose pair arithmetic overflows
    pairs = bigram_ids(ids, buckets)
    pairs = ops.where(ops.greater(pairs, 0), pairs + (vocabulary_size - 1), pairs)
    return ops.concatenate([ids, pairs], axis=1)


def document_frequencies(tokens: np.ndarray, rows: int) -> np.ndarray:
    """In how many documents (rows of `tokens`) each id occurs; padding (0) counts none."""
    ordered = np.sort(tokens, axis=1)
    first = np.ones_like(ordered, dtype=bool)
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    kept = ordered[first & (ordered > 0)]
    return np.bincount(kept, minlength=rows)[:rows]


def idf_weights(frequencies: np.ndarray, documents: int) -> np.ndarray:
    """scikit-learn's smoothed idf, ln((1 + n) / (1 + df)) + 1, as a (rows, 1) column. The
    padding row and every row no training text uses (a word pair first seen at prediction,
    unless its hash bucket was used) are 0, so they add nothing to a sum or a norm: scikit-
    learn's vectoriser leaves a term it never saw out of both."""
    idf = np.log((1.0 + documents) / (1.0 + frequencies)) + 1.0
    idf[frequencies == 0] = 0.0
    idf[0] = 0.0
    return idf.astype(np.float32).reshape(-1, 1)


def _pool_encoder(
    keras: Any, ids: Any, vectors: Any, config: dict[str, Any], dropout: float, buckets: int
) -> Any:
    """SWEM pooling over real tokens only; both are zero for an empty text (Keras' masked
    average would divide by zero there). With `bigram_buckets`, word pairs join the words in
    the pool, fastText style (Joulin et al. 2017): each pair's vector is learned (hashed into
    `buckets` rows, the same width as the word vectors), whatever the strategy of the words."""
    from keras import ops

    if buckets:
        pairs = bigram_ids(ids, buckets)
        pair_vectors = keras.layers.Embedding(
            buckets + 1, int(vectors.shape[-1]), name="bigram_embedding"
        )(pairs)
        ids = ops.concatenate([ids, pairs], axis=1)
        vectors = ops.concatenate([vectors, pair_vectors], axis=1)
    pooling = config["pooling"]
    pooled = []
    present = ops.expand_dims(ops.cast(ops.not_equal(ids, 0), vectors.dtype), -1)
    count = ops.sum(present, axis=1)
    if pooling in ("mean", "mean-max"):
        pooled.append(ops.sum(vectors * present, axis=1) / ops.maximum(count, 1))
    if pooling in ("max", "mean-max"):
        largest = ops.max(vectors - (1 - present) * PADDING_PENALTY, axis=1)
        pooled.append(largest * ops.cast(ops.greater(count, 0), vectors.dtype))
    if not pooled:
        raise ValueError(f"unknown pooling {pooling!r}")
    features = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate()(pooled)
    hidden_units = int(config.get("hidden_units", 0))
    if hidden_units:
        features = keras.layers.Dropout(dropout)(features)
        features = keras.layers.Dense(hidden_units, activation="relu")(features)
    return features


def _cnn_encoder(keras: Any, ids: Any, vectors: Any, config: dict[str, Any]) -> Any:
    """Kim's CNN, max-pooled over the windows that start on a real token (a window may run on
    into the padding, as it would at the end of any text). Windows that start in the padding
    are left out, so the answer is the same however far a text is padded, provided the padding
    is at least the widest window less one (`batches.trailing_padding`). The ReLU outputs are
    never negative, so zeroing the left-out windows leaves the maximum as it is."""
    from keras import ops

    branches = []
    for width in kernel_widths(config["kernel_sizes"]):
        windows = keras.layers.Conv1D(int(config["filters"]), width, activation="relu")(vectors)
        starts = ids[:, : 1 - width] if width > 1 else ids  # the first token of each window
        real = ops.expand_dims(ops.cast(ops.not_equal(starts, 0), windows.dtype), -1)
        branches.append(ops.max(windows * real, axis=1))
    return branches[0] if len(branches) == 1 else keras.layers.Concatenate()(branches)


def _rnn_encoder(keras: Any, ids: Any, vectors: Any, config: dict[str, Any]) -> Any:
    """A bidirectional GRU or LSTM; the features are the final states of both directions. The
    mask (from the ids, so it holds for every strategy's layers) makes those the states after
    the last real token (forward) and the first (backward): padding never enters, and an empty
    text keeps the zero initial state. Max-pooling the outputs would need padded steps masked
    out by hand; the final states need nothing more. Ids are right-padded, so the TensorFlow
    backend may use cuDNN on a GPU."""
    from keras import ops

    layer = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[config["cell"]]
    return keras.layers.Bidirectional(layer(int(config["units"])))(
        vectors, mask=ops.not_equal(ids, 0)
    )


def final_trainings(candidate: Candidate, requested: int) -> int:
    """How many trainings an exported model of `candidate` averages (`--final-models`): tf-idf's
    is one, as its fit (a convex solution) gives the same model for every seed."""
    return 1 if candidate.strategy == TFIDF else requested


def averaged(members: list[Any]) -> Any:
    """One model on token ids whose probabilities are the mean of `members`' (models of one
    configuration trained with different seeds): averaging independently trained networks
    lowers the variance one training leaves in the answer. One member is returned as it is.
    The members are renamed `member_0`, `member_1`, ... (a model's layer names must differ)."""
    import keras

    if len(members) == 1:
        return members[0]
    for number, member in enumerate(members):
        member.name = f"member_{number}"
    ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    probabilities = keras.layers.Average(name="probabilities")([m(ids) for m in members])
    return keras.Model(ids, probabilities, name="average")


def kernel_widths(value: str | int) -> tuple[int, ...]:
    """ "3,4,5" -> (3, 4, 5); the TOML keeps widths as a string so a set is one choice."""
    return tuple(int(part) for part in str(value).split(","))


def parameter_counts(model: Any) -> tuple[int, int]:
    """(trainable, non-trainable) parameter counts."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return trainable, frozen
