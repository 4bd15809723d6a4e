"""The profile on real data: every figure on TREC checked against counts made here, independently
of recommender.profile; the probe, the split, the warnings and the terminal and JSON output."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from typer.testing import CliRunner

from recommender import text as text_module
from recommender.cli import app
from recommender.data import Splits, load_dataset, split
from recommender.profile import (
    DEFAULT_SPLIT,
    GIVEN_SPLIT,
    KEY_WORD_MIN_Z,
    KEY_WORDS_PER_CLASS,
    PROBE_MAX_DOCUMENTS,
    DatasetProfile,
    Probe,
    _Counts,
    _probe_reading,
    _regime,
    profile_dataset,
)
from recommender.text import ASCII_RULES, TOKEN_CHUNK, Rules, TokenIds, tokenize, tokenize_all
from recommender.vectors import CACHE_ENV, load_vectors
from tests.conftest import EXAMPLES

ENV = {"NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}
TREC_NAMES = {"0": "DESC", "1": "ENTY", "2": "ABBR", "3": "HUM", "4": "LOC", "5": "NUM"}


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def trec(shared_data: Path):
    dataset = load_dataset(shared_data / "datasets/trec/TREC.train.all")
    return dataset, tokenize_all(dataset.texts)


@pytest.fixture(scope="module")
def glove_file(shared_data: Path) -> Path:
    return shared_data / "vectors/glove.6B.50d.first8880.txt"


@pytest.fixture(scope="module")
def trec_profile(trec, glove_file: Path) -> DatasetProfile:
    dataset, tokens = trec
    needed = {token for document in tokens for token in document}
    vectors = [load_vectors(str(glove_file), needed), load_vectors("glove-6b-50d", needed)]
    return profile_dataset("TREC", tokens, dataset.labels, vectors, dataset.warnings)


def test_trec_size_lengths_and_repetition(trec, trec_profile: DatasetProfile) -> None:
    dataset, tokens = trec
    profile = trec_profile
    classes = Counter(dataset.labels)
    lengths = [len(document) for document in tokens]
    words = Counter(token for document in tokens for token in document)
    assert profile.documents == len(dataset.texts) == 5_452
    assert profile.class_counts == dict(sorted(classes.items()))
    assert profile.class_counts["2"] == 86  # ABBR, the smallest
    assert profile.majority_share == pytest.approx(max(classes.values()) / 5_452)
    assert profile.imbalance == pytest.approx(max(classes.values()) / 86)
    assert profile.tokens == sum(lengths)
    assert profile.mean_length == pytest.approx(sum(lengths) / len(lengths))
    cuts = statistics.quantiles(lengths, n=100, method="inclusive")
    assert profile.length_percentiles == {
        "p50": pytest.approx(cuts[49]),
        "p90": pytest.approx(cuts[89]),
        "p95": pytest.approx(cuts[94]),
        "p99": pytest.approx(cuts[98]),
        "max": max(lengths),
    }
    assert profile.vocabulary_size == len(words)
    assert profile.type_token_ratio == pytest.approx(len(words) / sum(lengths))
    assert profile.hapax_share == pytest.approx(
        sum(1 for count in words.values() if count == 1) / len(words)
    )
    texts = Counter(tuple(document) for document in tokens if document)
    assert profile.duplicate_documents == sum(count - 1 for count in texts.values())
    assert profile.empty_documents == sum(1 for document in tokens if not document)
    labels_per_text: dict[tuple[str, ...], set[str]] = {}
    for document, label in zip(tokens, dataset.labels, strict=True):
        labels_per_text.setdefault(tuple(document), set()).add(label)
    assert profile.conflicting_duplicates == sum(1 for s in labels_per_text.values() if len(s) > 1)


def test_trec_split_regime_and_unseen_words(trec, trec_profile: DatasetProfile) -> None:
    dataset, tokens = trec
    splits = split(dataset.labels, seed=0)
    profile = trec_profile
    assert profile.split_origin == DEFAULT_SPLIT
    assert profile.split == {
        "train": len(splits.train),
        "validation": len(splits.validation),
        "test": len(splits.test),
    }
    training = Counter(dataset.labels[i] for i in splits.train)
    assert profile.training_per_class == dict(sorted(training.items()))
    assert (profile.regime, min(training.values())) == ("small", 60)  # ABBR: < 1,000
    seen = {token for i in splits.train for token in tokens[i]}
    heldout = [token for i in [*splits.validation, *splits.test] for token in tokens[i]]
    assert profile.heldout_tokens == len(heldout)
    assert profile.unseen_tokens == sum(1 for token in heldout if token not in seen)
    assert profile.unseen_types == len({token for token in heldout if token not in seen})
    train_texts = {tuple(tokens[i]) for i in splits.train if tokens[i]}
    assert profile.test_in_training == sum(
        1 for i in splits.test if tokens[i] and tuple(tokens[i]) in train_texts
    )
    assert profile.test_in_training > 0
    assert any("test documents repeat a training document" in w for w in profile.warnings)
    assert any("imbalanced (14.5:1" in w for w in profile.warnings)


def test_trec_coverage_against_the_file_read_here(
    trec, glove_file: Path, trec_profile: DatasetProfile
) -> None:
    """Coverage of the first 8,880 GloVe words, from the file read with plain Python: a word is
    covered exactly, by its lowercase form, or by a file word the tokeniser turns into it."""
    dataset, tokens = trec
    file_words = [line.split(" ", 1)[0] for line in glove_file.read_text("utf-8").splitlines()]
    exact = set(file_words)
    normalised = {}
    for word in file_words:
        made = tokenize(word)
        if len(made) == 1 and made[0] != word:
            normalised.setdefault(made[0], word)
    words = Counter(token for document in tokens for token in document)

    def how(word: str) -> str:
        if word in exact:
            return "exact"
        if word.lower() in exact:
            return "lowercase"
        return "normalised" if word in normalised else "missing"

    hows = {word: how(word) for word in words}
    covered = {word for word, found in hows.items() if found != "missing"}
    coverage = trec_profile.coverage[0]
    assert (coverage.vectors, coverage.format, coverage.dim) == (glove_file.name, "glove-text", 50)
    assert coverage.vectors_vocabulary == 8_880
    assert coverage.covered_types == len(covered)
    assert coverage.type_rate == pytest.approx(len(covered) / len(words))
    total = sum(words.values())
    assert coverage.token_rate == pytest.approx(sum(words[w] for w in covered) / total)
    found_by = Counter(found for found in hows.values() if found != "missing")
    assert coverage.found_by == dict(sorted(found_by.items()))
    assert coverage.found_by["normalised"] > 0  # e.g. "us" from "u.s."
    exact_tokens = sum(words[w] for w, found in hows.items() if found == "exact")
    assert coverage.exact_token_rate == pytest.approx(exact_tokens / total)
    uncovered = sorted((w for w in words if w not in covered), key=lambda w: (-words[w], w))
    assert coverage.top_uncovered == tuple((w, words[w]) for w in uncovered[:20])
    for label in set(dataset.labels):
        documents = [d for d, lab in zip(tokens, dataset.labels, strict=True) if lab == label]
        in_class = [token for document in documents for token in document]
        assert coverage.class_token_rate[label] == pytest.approx(
            sum(1 for token in in_class if token in covered) / len(in_class)
        )
    splits = split(dataset.labels, seed=0)
    seen = {token for i in splits.train for token in tokens[i]}
    heldout = [token for i in [*splits.validation, *splits.test] for token in tokens[i]]
    unseen_covered = [token for token in heldout if token not in seen and token in covered]
    assert coverage.unseen_covered_tokens == len(unseen_covered)
    assert coverage.unseen_covered_types == len(set(unseen_covered))
    key_words = {word for words_ in trec_profile.key_words.values() for word in words_}
    assert coverage.key_word_rate == pytest.approx(len(key_words & covered) / len(key_words))
    assert set(coverage.key_words_uncovered) == key_words - covered


def test_trec_key_words_are_the_question_words_and_come_from_training(
    trec, trec_profile: DatasetProfile
) -> None:
    dataset, tokens = trec
    key_words = {TREC_NAMES[label]: words for label, words in trec_profile.key_words.items()}
    assert "where" in key_words["LOC"] and "who" in key_words["HUM"]
    assert "abbreviation" in key_words["ABBR"] and "many" in key_words["NUM"]
    assert "why" in key_words["DESC"]
    splits = split(dataset.labels, seed=0)
    for label, words in trec_profile.key_words.items():
        inside = [set(tokens[i]) for i in splits.train if dataset.labels[i] == label]
        outside = [set(tokens[i]) for i in splits.train if dataset.labels[i] != label]
        for word in words:  # over-represented in its class's training documents
            share_in = sum(word in d for d in inside) / len(inside)
            assert share_in > sum(word in d for d in outside) / len(outside), (label, word)


def test_trec_probe_scores_and_what_they_suggest(trec, trec_profile: DatasetProfile) -> None:
    dataset, _ = trec
    probe = trec_profile.probe
    training = Counter(dataset.labels[i] for i in split(dataset.labels, seed=0).train)
    assert probe is not None and probe.folds == 5
    assert probe.documents == probe.training_documents == sum(training.values())  # no sample
    assert probe.majority_accuracy == pytest.approx(max(training.values()) / probe.documents)
    assert "3,816 training documents" in probe.method
    assert 0.7 < probe.bag_of_words_accuracy < 0.95
    for coverage in trec_profile.coverage:
        assert probe.majority_accuracy < coverage.probe_accuracy < probe.bag_of_words_accuracy
        assert coverage.probe_reading.startswith("averaged vectors keep")
    first, full = trec_profile.coverage
    assert full.token_rate > first.token_rate  # 400k words against the first 8,880


def test_trec_profile_survives_json(trec_profile: DatasetProfile) -> None:
    restored = DatasetProfile.from_dict(json.loads(json.dumps(trec_profile.to_dict())))
    assert restored == trec_profile


def test_recommends_split_is_used_and_test_labels_never_matter(trec) -> None:
    """Key words and the probe see the training split only: scrambling the test labels (and
    nothing else) leaves them unchanged."""
    dataset, tokens = trec
    labels = list(dataset.labels)
    splits = split(labels, seed=3)
    needed = {token for document in tokens for token in document}
    vectors = [load_vectors("glove-6b-50d", needed)]
    before = profile_dataset("TREC", tokens, labels, vectors, splits=splits)
    scrambled = labels.copy()
    rng = np.random.default_rng(0)
    test = splits.test.tolist()
    for i, j in zip(test, rng.permutation(test).tolist(), strict=True):
        scrambled[i] = labels[j]
    after = profile_dataset("TREC", tokens, scrambled, vectors, splits=splits)
    assert before.split_origin == GIVEN_SPLIT and before.split["train"] == len(splits.train)
    assert after.key_words == before.key_words
    assert after.probe == before.probe
    assert after.coverage[0].probe_accuracy == before.coverage[0].probe_accuracy


def test_large_training_splits_are_subsampled_for_the_probe(shared_data: Path) -> None:
    dataset = load_dataset(shared_data / "datasets/mr/rt-polarity.all")
    tokens = tokenize_all(dataset.texts)
    profile = profile_dataset("MR", tokens, dataset.labels, [])
    probe = profile.probe
    assert probe.training_documents == profile.split["train"] == 7_464
    assert abs(probe.documents - PROBE_MAX_DOCUMENTS) <= 2  # the same share of each class
    assert probe.majority_accuracy == pytest.approx(0.5, abs=1e-3)
    assert profile.regime == "medium" and profile.key_words["0"][:3] == ("too", "bad", "dull")


def test_a_poorly_covered_class_is_a_warning(shared_data: Path) -> None:
    """SMS spam: 'spam' messages are full of codes, numbers and slang that GloVe lacks."""
    dataset = load_dataset(shared_data / "datasets/sms_spam/SMSSpamCollection.tsv")
    tokens = tokenize_all(dataset.texts)
    needed = {token for document in tokens for token in document}
    profile = profile_dataset("SMS", tokens, dataset.labels, [load_vectors("glove-6b-50d", needed)])
    coverage = profile.coverage[0]
    assert coverage.class_token_rate["spam"] < coverage.token_rate - 0.05
    assert any(
        w.startswith("1 class poorly covered by glove-6b-50d") and "'spam'" in w
        for w in coverage.warnings
    )
    assert any("repeat an earlier one" in w for w in profile.warnings)  # 7.9% duplicates


def test_sentences_left_whole_by_the_ascii_rules_are_a_warning() -> None:
    """Chinese reviews split on spaces are about one token a review: the profile says why no
    option will learn, and the rules that fix it; one token per character clears it."""
    dataset = load_dataset(EXAMPLES / "chinese_reviews.csv")
    whole = profile_dataset("zh", tokenize_all(dataset.texts, ASCII_RULES), dataset.labels, [])
    assert whole.mean_length < 1.5
    assert any("--tokenizer unicode --split characters" in w for w in whole.warnings)
    tokens = tokenize_all(dataset.texts, Rules(characters=True))
    characters = profile_dataset("zh", tokens, dataset.labels, [])
    assert characters.mean_length > 30 and characters.probe.bag_of_words_accuracy > 0.8
    assert not any("--split characters" in w for w in characters.warnings)


def test_data_that_cannot_be_split_is_still_profiled(shared_data: Path) -> None:
    """A class with 2 documents: recommend refuses it, the profile says why and goes on."""
    dataset = load_dataset(shared_data / "datasets/code_language_id/code_lang.part00.csv")
    tokens = tokenize_all(dataset.texts)
    profile = profile_dataset("code", tokens, dataset.labels, [])
    assert profile.split["train"] == profile.documents and profile.heldout_tokens == 0
    assert profile.split_origin.startswith("none, all documents count as training (class ")
    assert profile.probe is None
    assert any(w.startswith("no train/validation/test split is possible") for w in profile.warnings)
    assert any(w.startswith("no probe") for w in profile.warnings)


def test_regime_thresholds() -> None:
    assert [_regime(n) for n in (0, 999, 1_000, 9_999, 10_000)] == [
        "small",
        "small",
        "medium",
        "medium",
        "large",
    ]


def test_the_split_is_stated_when_given() -> None:
    tokens = [["good", "film"], ["bad", "film"]] * 6
    labels = ["pos", "neg"] * 6
    everything = np.arange(12)
    splits = Splits(everything[:8], everything[8:10], everything[10:])
    profile = profile_dataset("tiny", tokens, labels, [], splits=splits)
    assert profile.split == {"train": 8, "validation": 2, "test": 2}
    assert profile.split_origin == GIVEN_SPLIT and profile.probe.documents == 8


def test_cli_profile_compares_sources_side_by_side(shared_data: Path) -> None:
    data = shared_data / "datasets/trec/TREC.train.all"
    minilm = shared_data / "vectors/minilm-l6-wholeword.384d.bin"
    args = ["profile", str(data), "--vectors", "glove-6b-50d", "--vectors", str(minilm)]
    result = CliRunner().invoke(app, args, env=ENV)
    assert result.exit_code == 0, result.output
    output = result.output
    assert "5,452 documents; 6 classes" in output
    assert "regime small: 60 training documents in the smallest class" in output
    assert "Kim 2014 Table 1: c 6, l 10, N 5,452, |V| 8,464, test 1,090" in output
    rows = [line for line in output.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["glove-6b-50d", minilm.name]
    assert "word2vec-binary" in output and "probe (5-fold" in output
    assert len(output.splitlines()) < 40  # compact: it prints before a long search
    result = CliRunner().invoke(app, [*args, "--json"], env=ENV)
    profile = json.loads(result.output)
    assert [c["vectors"] for c in profile["coverage"]] == ["glove-6b-50d", minilm.name]
    assert profile["coverage"][1]["dim"] == 384 and profile["vocabulary_size"] == 8_464
    assert DatasetProfile.from_dict(profile).documents == 5_452


def test_what_the_probe_suggests() -> None:
    probe = Probe("method", 100, 100, 5, majority_accuracy=0.5, bag_of_words_accuracy=0.8)
    assert _probe_reading(0.78, probe, 1.0).endswith(
        "they carry what this task needs (frozen vectors may do)"
    )
    assert _probe_reading(0.70, probe, 1.0).startswith(
        "averaged vectors keep 67% of the bag-of-words gain over the majority class: fine-tuning"
    )
    assert "'ugly' next to 'beautiful'" in _probe_reading(0.60, probe, 1.0)
    assert "only 50% of the key words have vectors" in _probe_reading(0.60, probe, 0.5)
    flat = Probe("method", 100, 100, 5, majority_accuracy=0.5, bag_of_words_accuracy=0.51)
    assert _probe_reading(0.5, flat, 1.0).endswith("the probe cannot tell")


def matrix_key_words(tokens: TokenIds, y: np.ndarray, train: np.ndarray) -> dict[int, list[int]]:
    """Key words as the profile computed them from a document x word count matrix, product and
    all (its order of a class's words broke ties in z): the reference for the piecewise code."""
    matrix = sparse.csr_matrix(
        (np.ones(len(tokens.ids), dtype=np.int32), tokens.ids.copy(), tokens.starts.copy()),
        shape=(len(tokens), len(tokens.words)),
    )
    matrix.sum_duplicates()
    present = matrix[train].sign().tocsr()
    classes = int(y.max()) + 1
    one_hot = sparse.csr_matrix(
        (np.ones(len(train)), (y[train], np.arange(len(train)))), shape=(classes, len(train))
    )
    per_class = (one_hot @ present).tocsr()
    prior = np.asarray(present.sum(axis=0)).ravel()
    totals = np.asarray(per_class.sum(axis=1)).ravel()
    chosen = {}
    for c in range(classes):
        start, end = per_class.indptr[c], per_class.indptr[c + 1]
        words, inside = per_class.indices[start:end], per_class.data[start:end]
        alpha, outside = prior[words], prior[words] - inside
        rest = prior.sum() - totals[c]
        delta = np.log((inside + alpha) / (totals[c] + prior.sum() - inside - alpha)) - np.log(
            (outside + alpha) / (rest + prior.sum() - outside - alpha)
        )
        z = delta / np.sqrt(1 / (inside + alpha) + 1 / (outside + alpha))
        best = np.argsort(-z, kind="stable")[:KEY_WORDS_PER_CLASS]
        chosen[c] = [int(words[i]) for i in best if z[i] >= KEY_WORD_MIN_Z]
    return chosen


def tied_documents() -> tuple[list[list[str]], list[str], Splits]:
    """40 words that each occur in exactly 20 of class a's 40 training documents (never in b's),
    from different first documents: all tie in z, so the order of ties picks the 20 key words."""
    documents: list[list[str]] = [[] for _ in range(80)]
    for word in range(40):
        for k in range(20):
            documents[(word * 7 + k) % 40].append(f"w{word}")
    for i in range(40, 80):  # many words in b, so that a's stand out against the prior
        documents[i] = [f"b{j}" for j in range(100)]
    documents += [["x"], ["x"], ["y"], ["y"]]
    labels = ["a"] * 40 + ["b"] * 40 + ["a", "b"] * 2
    rows = np.arange(84)
    return documents, labels, Splits(rows[:80], rows[80:82], rows[82:])


@pytest.mark.parametrize("piece", [TOKEN_CHUNK, 3])
def test_key_words_and_their_ties_are_those_of_the_count_matrix(
    trec, piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The profile reads its figures from the token ids a piece at a time (TOKEN_CHUNK tokens,
    here also 3): the key words are still those of the whole matrix, the same on ties."""
    monkeypatch.setattr(text_module, "TOKEN_CHUNK", piece)
    dataset, trec_tokens = trec
    for documents, labels, splits in (
        tied_documents(),
        (trec_tokens, dataset.labels, split(dataset.labels)),
    ):
        tokens = TokenIds.from_tokens(documents)
        counts = _Counts(tokens, labels, splits)
        key_words = counts.key_words()
        assert key_words == matrix_key_words(tokens, counts.y, splits.train)
        assert len(key_words[0]) == KEY_WORDS_PER_CLASS


def test_the_profile_read_in_small_pieces_is_the_same(
    trec, trec_profile: DatasetProfile, glove_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset, tokens = trec
    needed = {token for document in tokens for token in document}
    vectors = [load_vectors(str(glove_file), needed), load_vectors("glove-6b-50d", needed)]
    monkeypatch.setattr(text_module, "TOKEN_CHUNK", 100)
    pieces = profile_dataset("TREC", tokens, dataset.labels, vectors, dataset.warnings)

    def figures(profile: DatasetProfile) -> DatasetProfile:  # without the timings and cache
        coverage = [replace(c, load_seconds=0, cache_hit=False) for c in profile.coverage]
        return replace(profile, seconds=0, coverage=tuple(coverage))

    assert figures(pieces) == figures(trec_profile)
