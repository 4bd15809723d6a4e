"""The one tokeniser: identical to the exported model's TextVectorization, on any text."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.backend import import_keras
from recommender.text import Vocabulary, normalize_word, tokenize

AWKWARD_TEXTS = [
    "Hello, World! It's  ÉCOLE café\u00a0nbsp\x85nel tab\there",
    "",
    "   ",
    "don't-stop... 3.5% ünïcödé ΑΒΓ",
    "a\u2003b\u3000c",
    "émoji 😀!!",
    "UPPER lower MiXeD",
    "x\x00y",
    "\x00",
    "nul\x00 end",
    "simplistic , silly and tedious . ",
]


def _keras_ids(texts: list[str], vocabulary: Vocabulary, length: int) -> np.ndarray:
    keras = import_keras()
    import tensorflow as tf

    layer = keras.layers.TextVectorization(
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        output_sequence_length=length,
        vocabulary=list(vocabulary.words),
    )
    return layer(tf.constant(texts)).numpy()


def test_tokenize_splits_words_and_drops_punctuation_like_keras() -> None:
    assert tokenize("It's a GREAT film, isn't it?") == ["its", "a", "great", "film", "isnt", "it"]
    assert tokenize("") == []


def test_encoding_equals_textvectorization_on_awkward_texts() -> None:
    tokens = [tokenize(t) for t in AWKWARD_TEXTS]
    vocabulary = Vocabulary.build(tokens[:4])  # later texts have words outside the vocabulary
    ours = vocabulary.encode(tokens, 6)
    np.testing.assert_array_equal(ours, _keras_ids(AWKWARD_TEXTS, vocabulary, 6))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=5))
def test_encoding_equals_textvectorization_on_arbitrary_text(texts: list[str]) -> None:
    tokens = [tokenize(t) for t in texts]
    vocabulary = Vocabulary.build(tokens)
    if not vocabulary.words:
        return
    np.testing.assert_array_equal(vocabulary.encode(tokens, 8), _keras_ids(texts, vocabulary, 8))


def test_vocabulary_orders_by_frequency_and_reserves_padding_and_oov() -> None:
    vocabulary = Vocabulary.build([["b", "a", "b"], ["c", "a", "b"]])
    assert vocabulary.words == ("b", "a", "c")
    assert len(vocabulary) == 5  # padding + OOV + 3 words
    assert vocabulary.index("b") == 2 and vocabulary.index("unseen") == 1


def test_encode_pads_and_truncates_keeping_the_first_tokens() -> None:
    vocabulary = Vocabulary.build([["a", "b", "c"]])
    ids = vocabulary.encode([["a"], ["a", "b", "c", "zzz"]], 3)
    assert ids.tolist() == [[2, 0, 0], [2, 3, 4]]
    assert ids.dtype == np.int32


def test_max_size_keeps_the_most_frequent_words() -> None:
    vocabulary = Vocabulary.build([["x", "y", "y", "z", "z", "z"]], max_size=2)
    assert vocabulary.words == ("z", "y")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_tokenize_is_idempotent_on_its_own_output(text: str) -> None:
    tokens = tokenize(text)
    assert tokenize(" ".join(tokens)) == tokens
    assert all(normalize_word(token) == token for token in tokens)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=8), st.integers(1, 12))
def test_encoded_ids_map_back_to_their_words(texts: list[str], length: int) -> None:
    tokens = [tokenize(text) for text in texts]
    vocabulary = Vocabulary.build(tokens)
    ids = vocabulary.encode(tokens, length)
    assert ids.shape == (len(texts), length) and ids.min(initial=0) >= 0
    assert ids.max(initial=0) < len(vocabulary)
    for row, document in zip(ids, tokens, strict=True):
        kept = document[:length]
        expected = [token if "\x00" not in token else "[UNK]" for token in kept]
        names = ["[UNK]" if i == 1 else vocabulary.words[i - 2] for i in row[: len(kept)]]
        assert names == expected and not row[len(kept) :].any()
