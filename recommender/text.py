"""The one tokeniser and vocabulary, shared by profile, training and export.

The rules are exactly those of Keras' `TextVectorization(standardize="lower_and_strip_punctuation",
split="whitespace")`, so the exported model can tokenise raw strings with a built-in layer and
needs no custom code to load: ASCII letters are lowercased (other characters are kept as they are),
the ASCII punctuation below is deleted, and text is split on ASCII whitespace. Index 0 is padding
and index 1 stands for any word outside the vocabulary, as in `TextVectorization`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

PAD_TOKEN = ""
OOV_TOKEN = "[UNK]"
# Keras' DEFAULT_STRIP_REGEX: r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_PUNCTUATION = re.compile(r"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']")
_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
# Characters the tokeniser deletes, lowercases or splits on (also used as an RE2 pattern).
TOKENIZER_CHANGES = r"[A-Z!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~' \t\n\r\f\v]"
_CHANGES = re.compile(TOKENIZER_CHANGES)


def tokenize(text: str) -> list[str]:
    """Split one text into tokens exactly as the exported model's TextVectorization does."""
    cleaned = _PUNCTUATION.sub("", text.translate(_ASCII_UPPER))
    return [token for token in _ASCII_WHITESPACE.split(cleaned) if token]


def normalize_word(word: str) -> str | None:
    """The single token this tokeniser makes of `word` ("Self-Conscious" -> "selfconscious"),
    or None when it makes none or several: how a vectors file's keys meet the data's tokens."""
    tokens = tokenize(word)
    return tokens[0] if len(tokens) == 1 else None


def changed_by_tokenize(word: str) -> bool:
    """Whether the tokeniser would alter this word (cheap pre-check before `normalize_word`)."""
    return _CHANGES.search(word) is not None


def tokenize_all(texts: Iterable[str]) -> list[list[str]]:
    return [tokenize(text) for text in texts]


@dataclass(frozen=True)
class Vocabulary:
    """Words in index order; index 0 is padding and 1 is out-of-vocabulary."""

    words: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_index", {word: position + 2 for position, word in enumerate(self.words)}
        )

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], max_size: int | None = None) -> Vocabulary:
        """Most frequent words first (ties alphabetical, so the order is reproducible)."""
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        # numpy (and so Keras' vocabulary) drops trailing NULs from strings: a word with NUL
        # could reach the exported model as another word, so such words stay out-of-vocabulary.
        ranked = sorted(
            ((word, count) for word, count in counts.items() if "\x00" not in word),
            key=lambda item: (-item[1], item[0]),
        )
        if max_size is not None:
            ranked = ranked[:max_size]
        return cls(tuple(word for word, _ in ranked))

    def __len__(self) -> int:
        """Rows of an embedding matrix for this vocabulary: words plus padding and OOV."""
        return len(self.words) + 2

    def index(self, word: str) -> int:
        return self._index.get(word, 1)

    def encode(self, token_lists: Sequence[Sequence[str]], length: int) -> np.ndarray:
        """Ids padded with 0 and truncated to `length` (the first tokens kept), int32."""
        ids = np.zeros((len(token_lists), length), dtype=np.int32)
        lookup = self._index
        for row, tokens in enumerate(token_lists):
            kept = [lookup.get(token, 1) for token in tokens[:length]]
            ids[row, : len(kept)] = kept
        return ids
