"""The compact text store reads exactly as the tuple of str it replaced, on awkward texts too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.text import ASCII_RULES, DEFAULT_RULES, Rules, TokenIds
from recommender.textstore import Texts

AWKWARD = (
    "",
    "plain words",
    "café “great”",
    "日本語のテキストです",
    "emoji 😀👍🏽 and a flag 🇫🇷",
    "lines\nand\r\nends\r",
    "a NUL \x00 byte and C1 \x85 \x96 controls",
    "a lone \ud800 surrogate from JSON",
    "",
    "long " * 200_000,
)


def test_texts_read_as_the_tuple_they_replace() -> None:
    texts = Texts.from_strings(AWKWARD)
    assert len(texts) == len(AWKWARD)
    assert texts == AWKWARD and tuple(texts) == AWKWARD and list(texts) == list(AWKWARD)
    assert [texts[i] for i in range(len(AWKWARD))] == list(AWKWARD)
    assert texts[-1] == AWKWARD[-1] and texts[np.int64(3)] == AWKWARD[3]
    for cut in (slice(None, 3), slice(2, None, 3), slice(None, None, -1), slice(5, 2)):
        assert texts[cut] == AWKWARD[cut]
    assert [text for text in texts if "é" in text] == ["café “great”"]
    assert texts.index("") == 0 and texts.count("") == 2 and "plain words" in texts
    for outside in (len(AWKWARD), -len(AWKWARD) - 1):
        with pytest.raises(IndexError):
            texts[outside]
    assert texts != AWKWARD[:-1] and texts != (*AWKWARD[:-1], "other")
    assert list(texts.encoded()) == [text.encode("utf-8", "surrogatepass") for text in AWKWARD]
    assert texts.character_lengths().tolist() == [len(text) for text in AWKWARD]
    assert repr(texts) == "Texts(['', 'plain words', 'café “great”', ...], 10 texts)"


def test_texts_taken_and_joined_keep_their_order() -> None:
    texts = Texts.from_strings(AWKWARD)
    rows = np.array([9, 0, 3, 3], dtype=np.int64)
    assert texts.take(rows) == tuple(AWKWARD[i] for i in rows)
    assert texts.take(rows[:0]) == ()
    joined = Texts.concatenate([texts, Texts.from_strings(["x", ""]), Texts.from_strings([])])
    assert joined == (*AWKWARD, "x", "")
    assert joined == Texts.from_strings([*AWKWARD, "x", ""])


def test_the_store_holds_the_bytes_and_an_offset_a_text() -> None:
    texts = Texts.from_strings(["ab", "é", ""])
    assert texts.nbytes == len("abé".encode()) + 4 * 8


@pytest.mark.parametrize(
    "rules", [DEFAULT_RULES, ASCII_RULES, Rules(characters=True), Rules(lowercase=False)]
)
def test_tokenising_the_store_gives_the_tokens_of_its_strings(rules: Rules) -> None:
    texts = (*AWKWARD[:-1], "Self-Conscious MOVIE, isn't it?", "1990\x962000 don\x92t")
    from_store = TokenIds.tokenize(Texts.from_strings(texts), rules)
    from_strings = TokenIds.tokenize(texts, rules)
    assert from_store.words == from_strings.words
    assert np.array_equal(from_store.ids, from_strings.ids)
    assert np.array_equal(from_store.starts, from_strings.starts)


def test_a_large_store_lives_in_a_file_and_reads_as_one_in_memory(monkeypatch) -> None:
    """Past SPILL_BYTES the texts, the token ids and the encoded rows go to a memory-mapped file
    (made small here): every reading gives what the in-memory store gives, and passes drop the
    pages they read."""
    import recommender.spill as spill
    import recommender.text as text

    strings = [f"Review {i}: {AWKWARD[i % len(AWKWARD)][:500]} it's GREAT!" for i in range(3000)]
    in_memory = Texts.from_strings(strings)
    corpus = TokenIds.tokenize(in_memory, DEFAULT_RULES)
    monkeypatch.setattr(spill, "SPILL_BYTES", 1 << 14)
    monkeypatch.setattr(spill, "FLUSH_BYTES", 1 << 12)
    monkeypatch.setattr(text, "TOKEN_CHUNK", 997)
    mapped = Texts.from_strings(strings)
    assert mapped.mapped and not in_memory.mapped
    assert mapped == in_memory and list(mapped) == strings and mapped[1234] == strings[1234]
    rows = np.random.default_rng(0).permutation(len(strings))
    assert mapped.take(rows) == in_memory.take(rows)
    assert Texts.concatenate([mapped, in_memory]) == (*strings, *strings)
    spilled = TokenIds.tokenize(mapped, DEFAULT_RULES)
    assert spilled.words == corpus.words
    assert np.array_equal(spilled.ids, corpus.ids) and not spilled.ids.flags.writeable
    assert np.array_equal(spilled.starts, corpus.starts)
    assert np.array_equal(spilled.counts(), corpus.counts())
    assert np.array_equal(spilled.counts(rows[:700]), corpus.counts(rows[:700]))
    assert (spilled.document_keys() == corpus.document_keys()).all()
    counted = zip(corpus.words, corpus.counts().tolist(), strict=True)
    vocabulary = text.Vocabulary.from_counts(counted, 50)
    encoded = spilled.encode(vocabulary, rows, 30)  # 3,000 x 30 ids: past SPILL_BYTES too
    assert not encoded.flags.writeable and _resident_kib(encoded) == 0  # in the file, not held
    assert np.array_equal(encoded, corpus.encode(vocabulary, rows, 30))
    assert np.array_equal(encoded, vocabulary.encode([corpus[int(r)] for r in rows], 30))
    assert np.array_equal(spilled.gather(rows[::7]), corpus.gather(rows[::7]))
    assert _resident_kib(spilled.ids) == 0  # the passes above dropped what they read


def _resident_kib(ids: np.ndarray) -> int:
    """Resident KiB of the mapping that holds `ids`, from /proc/self/smaps."""
    start = ids.__array_interface__["data"][0]
    lines = iter(Path("/proc/self/smaps").read_text().splitlines())
    for line in lines:
        first = line.split()[0]
        if "-" in first and int(first.split("-")[0], 16) == start:
            return next(int(r.split()[1]) for r in lines if r.startswith("Rss:"))
    raise AssertionError("no mapping starts at the ids")


def test_gathered_documents_are_their_ids_in_order() -> None:
    corpus = TokenIds.tokenize(Texts.from_strings(AWKWARD[:-1] * 30), DEFAULT_RULES)
    rows = np.array([5, 0, 5, 200, 7], dtype=np.int64)
    expected = [corpus.ids[corpus.starts[r] : corpus.starts[r + 1]] for r in rows]
    assert np.array_equal(corpus.gather(rows), np.concatenate(expected))
    assert corpus.gather(rows[:0]).dtype == np.int32 and len(corpus.gather(rows[:0])) == 0
