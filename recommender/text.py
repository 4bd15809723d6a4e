"""The one tokeniser and vocabulary, shared by profile, training and export.

Two sets of rules (`Rules`), each reproduced exactly by the exported model's front:

- "unicode" (the default): each character is mapped on its own to its NFKC form, lowercased by
  Unicode rules (unless `lowercase` is off, for cased vectors); Unicode punctuation and symbols
  are deleted, or become a space where they separate words (`_map_character`); emoji are kept,
  each its own token, and any Unicode space splits words. With
  `characters` on, every character of a script written without spaces (Chinese, Japanese, Thai,
  Lao, Khmer, Myanmar) is a token of its own; other words stay whole. The mapping is one table
  per code point, so the exported model applies the very same table with TensorFlow string ops.
- "ascii": exactly Keras' `TextVectorization(standardize="lower_and_strip_punctuation",
  split="whitespace")` (or "strip_punctuation" without lowercasing): ASCII letters lowercased,
  ASCII punctuation deleted, split on ASCII whitespace. Its exported model needs no embrec code.

Index 0 is padding and index 1 stands for any word outside the vocabulary, as in
`TextVectorization`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from recommender.errors import ConfigError
from recommender.spill import SpillBuffer, release
from recommender.textstore import Texts

PAD_TOKEN = ""
OOV_TOKEN = "[UNK]"
TOKENIZERS = ("unicode", "ascii")
SPLITS = ("auto", "words", "characters")
PUNCTUATION = ("auto", "keep", "drop")  # auto: keep, but drop with the ascii rules
# Keras' DEFAULT_STRIP_REGEX: r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_PUNCTUATION = re.compile(r"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']")
_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
# Characters the ASCII rules delete, lowercase or split on (also used as an RE2 pattern).
TOKENIZER_CHANGES = r"[A-Z!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~' \t\n\r\f\v]"
# The ASCII characters the unicode rules change: the same and the other ASCII spaces.
_UNICODE_CHANGES = TOKENIZER_CHANGES[:-1] + r"\x1c-\x1f]"

# Scripts written without spaces between words: with `characters`, one token per character.
UNSPACED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3005, 0x3007),  # ideographic iteration mark, closing mark, number zero
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x323AF),  # CJK extensions B to H
)
# Emoji are symbols, but carry meaning in reviews and tweets: kept, each a token of its own.
EMOJI_RANGES: tuple[tuple[int, int], ...] = (
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats
    (0x1F000, 0x1F3FA),  # game pieces, pictographs (up to the skin-tone modifiers)
    (0x1F400, 0x1FAFF),  # pictographs, emoticons, transport, supplemental symbols
)
# Joiners and variation selectors only glue emoji together: deleted, like a symbol; but with
# `--punctuation keep` a variation selector is a token of its own, as the whitespace tokenisers of
# fastText and TF-IDF keep it: where a data set removed the emoji, the selector left behind is
# the trace of which kind it was ("❤️" and "☀️" carry one, "😂" does not; on TweetEval's emoji
# prediction it was worth 9 points of a TF-IDF model's accuracy, docs/benchmarks.md).
_GLUE = frozenset("\u200d\ufe0e\ufe0f")
SELECTOR_RANGES = ((0xFE0E, 0xFE0F),)
_APOSTROPHES = frozenset("'\u2018\u2019\uff07")  # deleted, inside words or not


@dataclass(frozen=True)
class Rules:
    """How texts become tokens: chosen once per run, saved with it and with the exported model."""

    tokenizer: str = "unicode"  # or "ascii": Keras' built-in rules
    lowercase: bool = True  # off for cased vectors (fastText cc.* files)
    characters: bool = False  # one token per character of the scripts written without spaces
    punctuation: str = "drop"  # or "keep": each punctuation mark or symbol a token of its own

    def describe(self) -> str:
        """A few words for the profile and the model card."""
        case = "lowercase" if self.lowercase else "case kept"
        if self.tokenizer == "ascii":
            return f"ascii (Keras' built-in rules), {case}"
        marks = ", punctuation kept" if self.punctuation == "keep" else ""
        return f"unicode, {case}, {'characters' if self.characters else 'words'}{marks}"

    def as_dict(self) -> dict[str, object]:
        return {
            "tokenizer": self.tokenizer,
            "lowercase": self.lowercase,
            "characters": self.characters,
            "punctuation": self.punctuation,
        }


DEFAULT_RULES = Rules()
ASCII_RULES = Rules(tokenizer="ascii")


def _in(ranges: tuple[tuple[int, int], ...], code: int) -> bool:
    return any(low <= code <= high for low, high in ranges)


def _map_character(character: str, lowercase: bool, marks: bool = False) -> str:
    """What the unicode rules make of one character, before words are split.

    ASCII punctuation is deleted as Keras deletes it ("self-conscious" -> "selfconscious", the
    form vectors' keys meet); so are other marks used inside words (dashes, connectors,
    apostrophes). Any other non-ASCII punctuation or symbol separates words, as the full-width
    commas and stops of Chinese and Japanese text do. With `marks` (`--punctuation keep`), every
    punctuation mark and symbol is kept in its NFKC form instead, to stand as a token of its own
    (`separated_pattern`), as fastText's, GloVe's and Kim's CNN's tokenisers keep "!" and "?";
    only apostrophes are still deleted, so "don't" stays one word. The C1 controls (U+0080 to
    U+009F) are read as the Windows-1252 characters they almost always are in real text (bytes
    of that encoding decoded as Latin-1: "don\x92t", "1990\x962000"), so they do not become
    tokens."""
    if 0x80 <= ord(character) <= 0x9F:
        try:
            meant = character.encode("latin-1").decode("cp1252")
        except UnicodeDecodeError:
            return " "  # five bytes that Windows-1252 leaves undefined
        return _map_character(meant, lowercase, marks)
    if character in _APOSTROPHES:
        return ""
    category = unicodedata.category(character)
    if (
        not marks
        and not character.isascii()
        and category[0] in "PS"
        and not _in(EMOJI_RANGES, ord(character))
    ):
        return "" if category in ("Pd", "Pc") else " "
    form = unicodedata.normalize("NFKC", character)
    if lowercase:
        form = form.lower()
    kept = []
    for char in form:
        if char.isspace():
            kept.append(" ")
        elif (char not in _GLUE or (marks and _in(SELECTOR_RANGES, ord(char)))) and (
            unicodedata.category(char)[0] not in "PS"
            or _in(EMOJI_RANGES, ord(char))
            or (marks and char not in _APOSTROPHES)
        ):
            kept.append(char)
    return "".join(kept)


@cache
def character_table(lowercase: bool, marks: bool = False) -> dict[int, str]:
    """Code point -> replacement, for every assigned character the unicode rules change
    (about 11,000; built in a quarter second from this Python's Unicode database)."""
    table = {}
    for code in range(0x110000):
        character = chr(code)
        if unicodedata.category(character) in ("Cn", "Cs", "Co"):
            continue
        mapped = _map_character(character, lowercase, marks)
        if mapped != character:
            table[code] = mapped
    return table


def _class(ranges: tuple[tuple[int, int], ...], re2: bool) -> str:
    """A character class of code point ranges, for RE2 (TensorFlow) or Python's `re`."""
    if re2:
        return "[" + "".join(f"\\x{{{low:X}}}-\\x{{{high:X}}}" for low, high in ranges) + "]"
    return "[" + "".join(f"\\U{low:08X}-\\U{high:08X}" for low, high in ranges) + "]"


@cache
def _mark_ranges() -> tuple[tuple[int, int], ...]:
    """Code point ranges of this Python's punctuation and symbols (categories P* and S*)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x110000):
        if unicodedata.category(chr(code))[0] in "PS":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return tuple(ranges)


def separated_pattern(characters: bool, re2: bool = True, marks: bool = False) -> str:
    """The characters that become tokens of their own: emoji, with `characters` those of the
    scripts written without spaces, and with `marks` punctuation, symbols and the variation
    selectors."""
    ranges = EMOJI_RANGES + (UNSPACED_RANGES if characters else ())
    return _class(ranges + (_mark_ranges() + SELECTOR_RANGES if marks else ()), re2)


@cache
def _separated(characters: bool, marks: bool = False) -> re.Pattern[str]:
    return re.compile(separated_pattern(characters, re2=False, marks=marks))


# Share of a data set's letters in the scripts written without spaces from which `--split auto`
# makes one token per character: Chinese or Japanese text with some Latin words is far above it,
# a Latin text quoting a few characters far below.
CHARACTERS_FROM = 0.3


def unspaced_share(texts: Sequence[str], sample: int = 5000) -> float:
    """Share of the letters of (up to `sample` of) `texts` written in scripts without spaces."""
    letters = unspaced = 0
    pattern = re.compile(_class(UNSPACED_RANGES, re2=False))
    for text in texts[:sample]:
        letters += sum(1 for character in text if character.isalpha())
        unspaced += len(pattern.findall(text))
    return unspaced / letters if letters else 0.0


def check_options(tokenizer: str, split: str, punctuation: str = "drop") -> None:
    """Refuse tokeniser options that name no rules, or rules that cannot work together."""
    for option, value, allowed in (
        ("--tokenizer", tokenizer, TOKENIZERS),
        ("--split", split, SPLITS),
        ("--punctuation", punctuation, PUNCTUATION),
    ):
        if value not in allowed:
            raise ConfigError(
                f"{option} must be {' or '.join(allowed)}, got {value!r}",
                fix=f"pass {option} {allowed[0]}",
            )
    if tokenizer == "ascii" and split == "characters":
        raise ConfigError(
            "--split characters needs --tokenizer unicode (the ascii rules split on spaces)",
            fix="drop --tokenizer ascii, or pass --split words",
        )
    if tokenizer == "ascii" and punctuation == "keep":  # "auto" drops with them
        raise ConfigError(
            "--punctuation keep needs --tokenizer unicode (the ascii rules delete punctuation)",
            fix="drop --tokenizer ascii, or pass --punctuation drop",
        )


def choose_rules(
    texts: Sequence[str],
    tokenizer: str,
    lowercase: bool | None,
    split: str,
    cased: str | None,
    punctuation: str = "auto",
) -> tuple[Rules, str]:
    """The run's rules and why: `split` "auto" looks at the texts, `lowercase` None at the
    vectors (`cased` names a vectors source whose keys keep case, or is None)."""
    check_options(tokenizer, split, punctuation)
    reasons = []
    if lowercase is None:
        lowercase = cased is None
        reasons.append(f"{cased} keeps case" if cased else "the vectors are lowercase")
    if punctuation == "auto":  # the ascii rules delete punctuation; the unicode rules need not
        punctuation = "drop" if tokenizer == "ascii" else "keep"
    characters = split == "characters"
    if split == "auto" and tokenizer == "unicode":
        share = unspaced_share(texts)
        characters = share >= CHARACTERS_FROM
        reasons.append(f"{share:.0%} of the letters are in scripts written without spaces")
    return Rules(tokenizer, lowercase, characters, punctuation), "; ".join(reasons)


def has_words(words: Collection[str], rules: Rules) -> bool:
    """Whether a data set's distinct tokens hold a word: a token other than a mark that
    `--punctuation keep` keeps (punctuation, symbol or variation selector; emoji are words), so
    that texts of punctuation alone (a wrong text column, most likely) are refused whichever way
    the marks are treated."""
    if rules.punctuation != "keep":
        return bool(words)
    marks = _mark_ranges() + SELECTOR_RANGES
    return any(
        len(word) > 1 or not _in(marks, ord(word)) or _in(EMOJI_RANGES, ord(word)) for word in words
    )


def tokenize(text: str, rules: Rules = DEFAULT_RULES) -> list[str]:
    """Split one text into tokens exactly as the exported model's front does."""
    if rules.tokenizer == "ascii":
        cleaned = text.translate(_ASCII_UPPER) if rules.lowercase else text
        cleaned = _PUNCTUATION.sub("", cleaned)
        return [token for token in _ASCII_WHITESPACE.split(cleaned) if token]
    marks = rules.punctuation == "keep"
    if text.isascii() and (fast := _ascii_rules(rules.lowercase, rules.characters, marks)):
        return _ascii_tokens(text.encode("ascii"), *fast)
    mapped = text.translate(character_table(rules.lowercase, marks))
    mapped = _separated(rules.characters, marks).sub(r" \g<0> ", mapped)
    return mapped.split()


def tokenize_utf8(text: bytes, rules: Rules = DEFAULT_RULES) -> list[str]:
    """`tokenize` of a text given as UTF-8 bytes; an ASCII text under the unicode rules is
    translated as it is, without decoding it first."""
    if rules.tokenizer == "unicode" and text.isascii():
        fast = _ascii_rules(rules.lowercase, rules.characters, rules.punctuation == "keep")
        if fast:
            return _ascii_tokens(text, *fast)
    return tokenize(text.decode("utf-8", "surrogatepass"), rules)


def _ascii_tokens(
    text: bytes, mapping: bytes, deleted: bytes, alone: tuple[tuple[bytes, bytes], ...]
) -> list[str]:
    translated = text.translate(mapping, deleted)
    for mark, spaced in alone:  # twice as fast as one pattern's sub on IMDB's reviews
        if mark in translated:
            translated = translated.replace(mark, spaced)
    return translated.decode("ascii").split()


@cache
def _ascii_rules(
    lowercase: bool, characters: bool, marks: bool
) -> tuple[bytes, bytes, tuple[tuple[bytes, bytes], ...]] | None:
    """The unicode rules on ASCII text as a bytes table, the bytes to delete and the bytes that
    stand alone (each with its spaced-out form), read off `character_table` and
    `separated_pattern` (so the same rules; 3 times faster than str.translate, whose deletions
    leave its ASCII fast path); None if they ever map ASCII to more than one byte."""
    table = character_table(lowercase, marks)
    mapping, deleted = bytearray(range(256)), bytearray()
    for code in range(128):
        mapped = table.get(code, chr(code))
        if mapped == "":
            deleted.append(code)
        elif len(mapped) == 1 and mapped.isascii():
            mapping[code] = ord(mapped)
        else:
            return None
    alone = _separated(characters, marks).findall("".join(map(chr, range(128))))
    spaced = tuple((c.encode("ascii"), f" {c} ".encode("ascii")) for c in alone)
    return bytes(mapping), bytes(deleted), spaced


def normalize_word(word: str, rules: Rules = DEFAULT_RULES) -> str | None:
    """The single token this tokeniser makes of `word` ("Self-Conscious" -> "selfconscious"),
    or None when it makes none or several: how a vectors file's keys meet the data's tokens."""
    tokens = tokenize(word, rules)
    return tokens[0] if len(tokens) == 1 else None


def changes_pattern(rules: Rules = DEFAULT_RULES) -> str:
    """A class of the ASCII characters the rules change (also an RE2 pattern); under the
    unicode rules any other character may change a word too."""
    return TOKENIZER_CHANGES if rules.tokenizer == "ascii" else _UNICODE_CHANGES


@cache
def _changes(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def changed_by_tokenize(word: str, rules: Rules = DEFAULT_RULES) -> bool:
    """Whether the tokeniser may alter this word (cheap pre-check before `normalize_word`)."""
    if rules.tokenizer == "unicode" and not word.isascii():
        return True
    return _changes(changes_pattern(rules)).search(word) is not None


def tokenize_all(texts: Iterable[str], rules: Rules = DEFAULT_RULES) -> list[list[str]]:
    return [tokenize(text, rules) for text in texts]


class _FirstSeen(dict[str, int]):
    """Word -> id, a new word getting the next id when it is first looked up."""

    def __missing__(self, word: str) -> int:
        self[word] = position = len(self)
        return position


# Tokens handled at once by the operations over a whole corpus, so that their temporary arrays
# (8 bytes a token) stay at some 8 MB however large the corpus.
TOKEN_CHUNK = 1 << 20
# Documents read between two drops of a mapped corpus's pages by `TokenIds.gather`.
GATHER_DOCUMENTS = 64


class TokenIds(Sequence[list[str]]):
    """Tokenised documents as one int32 id per token into `words` (the distinct tokens in order of
    first appearance), and where each document starts. A list of strings per document costs some
    60 bytes a token (250k reviews took 5.8 GB); this costs 4, so a run's memory grows with its
    vocabulary rather than its corpus. Indexing still gives a document's tokens. The operations
    over many documents work TOKEN_CHUNK tokens at a time, never on a copy of all the ids; the
    ids of a large corpus lie in a memory-mapped file (`recommender.spill`), whose pages those
    operations drop as they go."""

    def __init__(self, words: list[str], ids: np.ndarray, starts: np.ndarray) -> None:
        self.words = words
        self.ids = ids  # int32, every token of every document in order
        self.starts = starts  # int64, len(documents) + 1: document i is ids[starts[i]:starts[i+1]]

    @classmethod
    def tokenize(cls, texts: Iterable[str] | Texts, rules: Rules = DEFAULT_RULES) -> TokenIds:
        """One streaming pass: each text's tokens become ids as it is read (a `Texts` store's
        ASCII texts straight from their bytes)."""
        if isinstance(texts, Texts):
            return cls.from_tokens(tokenize_utf8(text, rules) for text in texts.encoded())
        return cls.from_tokens(tokenize(text, rules) for text in texts)

    @classmethod
    def from_tokens(cls, token_lists: Iterable[Sequence[str]]) -> TokenIds:
        index = _FirstSeen()
        ids, starts, stored = array("i"), array("q", [0]), SpillBuffer()
        for tokens in token_lists:
            ids.extend(map(index.__getitem__, tokens))  # no Python frame per token
            if len(ids) >= TOKEN_CHUNK:
                stored.append(ids)
                ids = array("i")
            starts.append(len(stored) // 4 + len(ids))
        stored.append(ids)
        token_ids = np.frombuffer(stored.finish(), np.int32)
        document_starts = np.frombuffer(starts, np.int64)
        token_ids.flags.writeable = document_starts.flags.writeable = False  # shared by stages
        return cls(list(index), token_ids, document_starts)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i: int) -> list[str]:  # type: ignore[override]
        words = self.words
        return [words[j] for j in self.ids[self.starts[i] : self.starts[i + 1]].tolist()]

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    def pieces(self, rows: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """`rows` in order, in consecutive pieces of about TOKEN_CHUNK tokens (a longer document
        is a piece of its own): each piece's rows and where its tokens lie in `ids`."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.starts[rows + 1] - self.starts[rows]
        ends = np.cumsum(lengths)
        first = 0
        while first < len(rows):
            done = int(ends[first - 1]) if first else 0
            last = max(first + 1, int(np.searchsorted(ends, done + TOKEN_CHUNK, side="right")))
            piece, sizes = rows[first:last], lengths[first:last]
            before = np.cumsum(sizes) - sizes
            positions = np.repeat(self.starts[piece] - before, sizes) + np.arange(int(sizes.sum()))
            yield piece, positions
            self._release()  # a piece's tokens lie anywhere: drop all pages read so far
            first = last

    def gather(self, rows: np.ndarray) -> np.ndarray:
        """The ids of the documents `rows`, one after the other. From mapped ids, a few documents
        at a time with their pages dropped between: the kernel maps a file's page cache in large
        blocks, so reading the profile's 5,000 documents scattered over 2.5M at once took its peak
        from 0.73 to 2.79 GiB (of 2.7 GiB of ids)."""
        parts = [np.zeros(0, dtype=np.int32)]
        starts = self.starts
        for first in range(0, len(rows), GATHER_DOCUMENTS):
            for row in np.asarray(rows[first : first + GATHER_DOCUMENTS]).tolist():
                parts.append(self.ids[starts[row] : starts[row + 1]].copy())
            self._release()
        return np.concatenate(parts)

    def _release(self, start: int = 0, end: int | None = None) -> None:
        """Drop the resident pages of tokens `start:end` of mapped ids."""
        release(self.ids, 4 * start, None if end is None else 4 * end)

    def document_keys(self) -> np.ndarray:
        """A 16-byte digest (numpy "V16") of each document's tokens: equal keys, equal token
        sequences."""
        ids, keys, step = self.ids, bytearray(), 1 << 16  # digests joined 65,536 at a time
        for first in range(0, len(self), step):
            starts = self.starts[first : first + step + 1].tolist()
            keys += b"".join(
                hashlib.blake2b(ids[a:b].tobytes(), digest_size=16).digest()
                for a, b in zip(starts[:-1], starts[1:], strict=True)
            )
            self._release(starts[0], starts[-1])
        return np.frombuffer(keys, dtype="V16")

    def counts(self, rows: np.ndarray | None = None) -> np.ndarray:
        """How often each of `words` occurs in the documents `rows` (None: in all of them)."""
        total = np.zeros(len(self.words), dtype=np.int64)
        if rows is None:  # every token: the ids as they lie
            for start in range(0, len(self.ids), TOKEN_CHUNK):
                chunk = self.ids[start : start + TOKEN_CHUNK]
                total += np.bincount(chunk, minlength=len(self.words))
                self._release(start, start + TOKEN_CHUNK)
            return total
        for _, positions in self.pieces(rows):
            total += np.bincount(self.ids[positions], minlength=len(self.words))
        return total

    def per_document(self, values: np.ndarray) -> np.ndarray:
        """The sum of `values[word]` over each document's tokens (int64 for integer or boolean
        `values`)."""
        sums = []
        for piece, positions in self.pieces(np.arange(len(self))):
            cumulative = np.concatenate([[0], np.cumsum(values[self.ids[positions]])])
            ends = np.cumsum(self.starts[piece + 1] - self.starts[piece])
            sums.append(np.diff(cumulative[np.concatenate([[0], ends])]))
        return np.concatenate(sums) if sums else np.zeros(0, dtype=np.int64)

    def encode(self, vocabulary: Vocabulary, rows: np.ndarray, length: int) -> np.ndarray:
        """`vocabulary.encode` of the documents `rows`, without making their tokens strings; as
        uint16 when the vocabulary fits (it is capped at 50,000 by default), which halves the
        largest arrays a run holds (2.5M reviews x 400 ids: 3.7 GiB as int32). The models take
        them as they are: a Keras model casts its input to its int32 `Input`. Encoded a piece
        at a time into a `SpillBuffer`, so past `SPILL_BYTES` the array is a read-only map of a
        temporary file: the process holds the rows a batch reads, and the kernel the rest."""
        dtype = np.uint16 if len(vocabulary) <= 1 << 16 else np.int32
        to_vocabulary = np.fromiter(
            (vocabulary.index(word) for word in self.words), dtype=dtype, count=len(self.words)
        )
        out = SpillBuffer()
        for piece, positions in self.pieces(rows):
            lengths = self.starts[piece + 1] - self.starts[piece]
            row_of = np.repeat(np.arange(len(piece)), lengths)
            column = positions - np.repeat(self.starts[piece], lengths)
            # a document longer than `length` keeps its head and its tail (`head_length`)
            size = np.repeat(lengths, lengths)  # each token's document length
            after_head = (size > length) & (column >= head_length(length))
            column = np.where(after_head, column - (size - length), column)
            inside = np.where(after_head, column >= head_length(length), column < length)
            block = np.zeros((len(piece), length), dtype=dtype)
            block[row_of[inside], column[inside]] = to_vocabulary[self.ids[positions[inside]]]
            out.append(block)
        return np.frombuffer(out.finish(), dtype=dtype).reshape(len(rows), length)


def head_length(length: int) -> int:
    """Of a document longer than the sequence `length`, the tokens kept from its start: a
    quarter of the length; the rest are its last tokens. Reviews end on their verdict and
    articles open on their subject: head and tail together beat the head alone on IMDB and on
    Sogou news (Sun et al. 2019, "How to Fine-Tune BERT for Text Classification?", which kept
    the first 128 and last 382 of 512 tokens)."""
    return length // 4


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
        return cls.from_counts(counts.items(), max_size)

    @classmethod
    def from_counts(
        cls, counts: Iterable[tuple[str, int]], max_size: int | None = None
    ) -> Vocabulary:
        """`build` from (word, count) pairs; words counted 0 are left out."""
        # numpy (and so Keras' vocabulary) drops trailing NULs from strings: a word with NUL
        # could reach the exported model as another word, so such words stay out-of-vocabulary.
        ranked = sorted(
            ((word, count) for word, count in counts if count > 0 and "\x00" not in word),
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
        """Ids padded with 0 to `length`, int32; a longer document keeps its first
        `head_length(length)` tokens and its last ones."""
        ids = np.zeros((len(token_lists), length), dtype=np.int32)
        lookup = self._index
        head = head_length(length)
        for row, tokens in enumerate(token_lists):
            if len(tokens) > length:
                tokens = [*tokens[:head], *tokens[len(tokens) - (length - head) :]]
            kept = [lookup.get(token, 1) for token in tokens]
            ids[row, : len(kept)] = kept
        return ids
