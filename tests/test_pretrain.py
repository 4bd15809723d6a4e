"""Domain vectors: the corpus readers and tokeniser, the files `pretrain` writes and how
`vectors.py` reads them back, the leakage guard of `recommend --unlabeled`, the run-folder cache,
the nearest-word part of the profile, and one end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from recommender.cli import app
from recommender.data import load_dataset, split
from recommender.decide import domain_verdict
from recommender.evidence import CandidateEvidence, Cost, SeedRun
from recommender.pretrain import (
    Corpus,
    Settings,
    choose_epochs,
    domain_vectors,
    held_out_lines,
    run_corpus,
    save,
    spool,
    train,
)
from recommender.profile import profile_dataset
from recommender.text import tokenize, tokenize_all
from recommender.vectors import load_vectors
from tests.conftest import EXAMPLES
from tests.helpers import write_reviews_sample, write_tiny_space

ENV = {"NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}
TINY = Settings(dim=8, epochs=2, min_count=1)


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


@pytest.fixture(scope="module")
def tweets(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 2,000 real tweets of TweetEval emoji's training split, one a line."""
    lines = (shared_data / "datasets/tweeteval_emoji/train_text.txt").read_bytes().split(b"\n")
    path = tmp_path_factory.mktemp("tweets") / "tweets.txt"
    path.write_bytes(b"\n".join(lines[:2000]) + b"\n")
    return path


def spooled_lines(corpus: Corpus, folder: Path, **options) -> list[list[str]]:
    result = spool(corpus, folder, **options)
    lines = [line.split(" ") for line in result.path.read_text(encoding="utf-8").splitlines()]
    result.path.unlink()
    return lines


def test_every_corpus_layout_is_tokenised_as_the_models_see_text(tmp_path: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_bytes(b"First LINE, here!\r\n\r\ncaf\xe9 au lait\nself-conscious ok\n")
    folder = tmp_path / "docs"
    (folder / "a" / ".hidden").mkdir(parents=True)
    (folder / "a" / "one.txt").write_text("def f(x):\n    return x\n")
    (folder / "a" / ".hidden" / "secret.txt").write_text("never read")
    (folder / "b.md").write_text("not a text file")
    table = tmp_path / "rows.csv"
    table.write_text('text,label\n"Multi\nline row",a\nsecond,b\n')
    corpus = Corpus.from_paths([str(plain), str(folder), str(table)])
    assert list(corpus.documents()) == [
        "First LINE, here!",
        "",
        "café au lait",  # a cp1252 byte decoded as data.py decodes it
        "self-conscious ok",
        "def f(x):\n    return x",
        "Multi\nline row",
        "second",
    ]
    assert spooled_lines(corpus, tmp_path) == [
        ["first", "line", "here"],
        ["café", "au", "lait"],
        ["selfconscious", "ok"],
        ["def", "fx"],
        ["return", "x"],
        ["multi"],
        ["line", "row"],
        ["second"],
    ]


def test_held_out_lines_are_dropped_whatever_their_case_or_punctuation(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(
        "keep me\nThe SECRET test, text!\nalso the second line\nkeep too\n"
        "Multi line - also the second line\n"  # a multi-line held-out text on one line
    )
    exclude = held_out_lines(["the secret test text", "multi line\nAlso the second LINE."])
    result = spool(Corpus.from_paths([str(corpus)]), tmp_path, exclude)
    assert result.path.read_text().splitlines() == ["keep me", "keep too"]
    assert (result.dropped_lines, result.words, result.sentences) == (3, 4, 2)


def test_word2vec_kv_and_vec_read_back_as_vectors_sources(tweets: Path, tmp_path: Path) -> None:
    kv, result = train(Corpus.from_paths([str(tweets)]), TINY, tmp_path)
    assert not list(tmp_path.glob(".corpus.*"))  # the spool is gone
    assert result.documents == 2000 and result.vocabulary_size == len(kv.index_to_key)
    assert result.words == sum(len(tokenize(line)) for line in tweets.read_text().splitlines())
    assert result.words_per_second > 0 and result.workers >= 1
    words = ["love", "happy", "notawordanywhere"]
    save(kv, tmp_path / "tweets.kv")
    save(kv, tmp_path / "tweets.vec", "vec")
    pickled = load_vectors(str(tmp_path / "tweets.kv"), words, cache=False)
    text = load_vectors(str(tmp_path / "tweets.vec"), words, cache=False)
    assert (pickled.format, text.format) == ("gensim-kv", "word2vec-text")
    assert pickled.words == text.words == ("love", "happy")
    assert pickled.vocabulary_size == text.vocabulary_size == len(kv.index_to_key)
    np.testing.assert_array_equal(pickled.lookup("love")[0], kv["love"])
    np.testing.assert_allclose(text.lookup("love")[0], kv["love"], rtol=1e-5, atol=1e-6)
    assert pickled.lookup("notawordanywhere")[1] == "missing"


def test_fasttext_kv_keeps_ngrams_so_unseen_words_get_vectors(tweets: Path, tmp_path: Path) -> None:
    settings = Settings(algorithm="fasttext", dim=8, epochs=1, min_count=2)
    kv, _ = train(Corpus.from_paths([str(tweets)]), settings, tmp_path)
    save(kv, tmp_path / "tweets.kv")
    assert "lovelyyyy" not in kv.key_to_index
    vectors = load_vectors(str(tmp_path / "tweets.kv"), ["love", "lovelyyyy"], cache=False)
    assert vectors.lookup("love")[1] == "exact"
    vector, how = vectors.lookup("lovelyyyy")
    assert how == "subword" and vectors.subword_filled == 1
    np.testing.assert_allclose(vector, kv.get_vector("lovelyyyy"), rtol=1e-5)


def test_epochs_grow_for_small_corpora_only() -> None:
    assert [choose_epochs(n) for n in (0, 50_000, 500_000, 1_000_000, 10**8)] == [20, 20, 10, 5, 5]


def labelled(tmp_path: Path) -> tuple[Path, list[str], list[str]]:
    """A small 'LABEL text' file in which one test text holds a word found nowhere else."""
    path = write_reviews_sample(EXAMPLES / "customer_reviews.txt", tmp_path / "cr.txt", every=12)
    dataset = load_dataset(path)
    return path, list(dataset.texts), list(dataset.labels)


def test_test_texts_in_the_corpus_never_reach_the_vectors(tmp_path: Path) -> None:
    path, texts, labels = labelled(tmp_path)
    splits = split(labels)
    texts[splits.test[0]] += " zqxtestonly"  # a word only this test text has
    corpus_file = tmp_path / "corpus.txt"  # every text, the test ones included, plus one more
    corpus_file.write_text("\n".join([*texts, "an unlabelled zqxcorpusonly line"]) + "\n")
    held_out = [texts[i] for i in np.concatenate([splits.validation, splits.test])]
    vectors, summary = domain_vectors(
        Corpus.from_paths([str(corpus_file)]),
        held_out,
        ["zqxtestonly", "the"],
        tmp_path / "run" / "domain",
        settings=TINY,
    )
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load(str(tmp_path / "run" / "domain" / summary["file"]))
    training_words = {w for i in splits.train for w in tokenize(texts[i])}
    test_only = {w for text in held_out for w in tokenize(text)} - training_words
    assert "zqxtestonly" in test_only and "zqxtestonly" not in kv.key_to_index
    assert not test_only & set(kv.key_to_index)
    assert "zqxcorpusonly" in kv.key_to_index  # the unlabelled line is kept
    exclude = held_out_lines(held_out)
    assert summary["dropped_lines"] == sum(tuple(tokenize(t)) in exclude for t in texts)
    assert summary["dropped_lines"] >= len(held_out) - 5  # duplicates aside, all are dropped
    assert vectors.name == "domain-word2vec" and vectors.lookup("the")[1] == "exact"


def test_the_labelled_file_as_corpus_stands_for_its_training_split(tmp_path: Path) -> None:
    path, texts, labels = labelled(tmp_path)
    splits = split(labels)
    training = [texts[i] for i in splits.train]
    corpus = run_corpus(str(tmp_path / "." / "cr.txt"), str(path), training)
    assert list(corpus.documents()) == training and "training split only" in corpus.origin
    other = run_corpus(str(EXAMPLES / "customer_reviews.txt"), str(path), training)
    assert other.paths == (str(EXAMPLES / "customer_reviews.txt"),)


def test_a_resumed_run_reuses_its_domain_vectors(tmp_path: Path, tweets: Path) -> None:
    corpus, folder = Corpus.from_paths([str(tweets)]), tmp_path / "domain"
    first = domain_vectors(corpus, ["not in the corpus"], ["love"], folder, settings=TINY)[1]
    again = domain_vectors(corpus, ["not in the corpus"], ["love"], folder, settings=TINY)[1]
    assert (first["cache_hit"], again["cache_hit"], again["dropped_lines"]) == (False, True, 0)
    assert again["file"] == first["file"] and again["train_seconds"] == first["train_seconds"]
    a_tweet = tweets.read_text(encoding="utf-8").split("\n")[0]
    changed = domain_vectors(corpus, [a_tweet], ["love"], folder, settings=TINY)[1]
    assert not changed["cache_hit"] and changed["file"] != first["file"]
    assert changed["dropped_lines"] >= 1


def test_profile_shows_each_sources_nearest_words(tmp_path: Path) -> None:
    texts = ["beautiful day"] * 30 + ["pretty day"] * 3 + ["ugly day"] * 30 + ["awful day"] * 3
    labels = ["pos"] * 33 + ["neg"] * 33
    rows = {
        "beautiful": [1.0, 0.0, 0.0],
        "pretty": [1.0, 0.05, 0.0],
        "ugly": [0.9, 0.1, 0.0],
        "awful": [0.0, 0.2, 1.0],
        "day": [0.0, 1.0, 0.0],
    }
    vectors_file = tmp_path / "tiny.txt"
    vectors_file.write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in rows.items()))
    tokens = tokenize_all(texts)
    needed = {w for document in tokens for w in document}
    vectors = load_vectors(str(vectors_file), needed, cache=False)
    coverage = profile_dataset("tiny", tokens, labels, [vectors]).coverage[0]
    assert coverage.neighbours["beautiful"][:3] == ("pretty", "ugly", "day")
    assert coverage.neighbours["ugly"][:2] == ("pretty", "beautiful")
    assert list(coverage.neighbours)[:2] == ["ugly", "beautiful"]  # the classes in turn


def test_pretrain_command_writes_readable_vectors(tweets: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "tweets.vec"
    result = invoke(
        "pretrain", str(tweets), "--out", str(out), "--dim", "8", "--epochs", "1", "--format", "vec"
    )
    assert result.exit_code == 0, result.output
    assert "words/s on" in result.output and "in 2,000 documents" in result.output
    assert load_vectors(str(out), ["love"], cache=False).dim == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.txt"], "missing.txt: corpus not found. Pass a plain text file"),
        (["CORPUS", "--algorithm", "glove"], "unknown algorithm 'glove'. Pass one of word2vec"),
        (["CORPUS", "--format", "bin"], "unknown --format 'bin'. Pass one of kv, vec"),
        (["CORPUS", "--dim", "0"], "--dim must be at least 1"),
        (["PUNCTUATION"], "the corpus has no words. Pass a plain text file"),
        (["CORPUS", "--min-count", "50"], "no word occurs 50 times in the corpus (3 words)"),
    ],
)
def test_pretrain_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "corpus.txt").write_text("just three words\n")
    (tmp_path / "punctuation.txt").write_text("!!! ...\n---\n")
    names = {"CORPUS": "corpus.txt", "PUNCTUATION": "punctuation.txt"}
    paths = [str(tmp_path / names[a]) if a in names else a for a in args]
    result = invoke("pretrain", *paths, "--out", str(tmp_path / "v.kv"))
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "v.kv").exists()


def option(candidate: str, correct: int, truth: np.ndarray) -> CandidateEvidence:
    """A finalist whose two seed runs each get the first `correct` test documents right."""
    predictions = tuple(int(c) if i < correct else 1 - int(c) for i, c in enumerate(truth))
    runs = tuple(SeedRun(seed, correct / len(truth), 0.0, 1, 1.0, predictions) for seed in (0, 1))
    return CandidateEvidence(candidate, {"encoder": "pool"}, runs, Cost(1, 0, 1, 1.0, True))


def test_the_report_says_whether_pretraining_paid_for_its_cost() -> None:
    truth = np.zeros(400, dtype=int)
    summary = {
        "name": "domain-word2vec",
        "seconds": 41.0,
        "workers": 2,
        "words": 1_000_000,
        "epochs": 5,
    }
    general = option("fine-tuned:glove-6b-50d", 280, truth)
    learned = option("learned", 300, truth)
    domain = option("frozen:domain-word2vec", 360, truth)
    verdict = domain_verdict(summary, [general, learned, domain], truth, min_effect=0.5, seed=0)
    assert verdict["verdict"] == "paid off"
    assert verdict["comparison"]["b"] == "learned" and verdict["comparison"][
        "difference"
    ] == pytest.approx(15)
    assert verdict["best_general"] == {"candidate": "fine-tuned:glove-6b-50d", "accuracy": 0.7}
    assert verdict["sentence"].startswith(
        "Domain pretraining paid off: frozen:domain-word2vec 90.0% vs learned 75.0% (the best "
        "option without domain vectors; then fine-tuned:glove-6b-50d 70.0%), +15.0 points"
    )
    assert verdict["sentence"].endswith(
        "for 41 s of pretraining on 2 core(s), 1,000,000 words x 5 passes"
    )
    behind = option("frozen:domain-word2vec", 200, truth)
    assert (
        domain_verdict(summary, [learned, behind], truth, min_effect=0.5, seed=0)["verdict"]
        == "worse"
    )
    level = option("frozen:domain-word2vec", 300, truth)
    assert (
        domain_verdict(summary, [learned, level], truth, min_effect=0.5, seed=0)["verdict"]
        == "no clear gain"
    )
    alone = domain_verdict(summary, [learned], truth, min_effect=0.5, seed=0)
    assert (alone["verdict"], alone["comparison"], alone["best_domain"]) == (
        "not compared",
        None,
        None,
    )


def test_recommend_refuses_a_missing_corpus_before_creating_the_run(tmp_path: Path) -> None:
    path, _, _ = labelled(tmp_path)
    out = tmp_path / "run"
    result = invoke("recommend", str(path), "--unlabeled", "nowhere.txt", "--out", str(out))
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: nowhere.txt: corpus not found. Pass a plain text file (one document a line), a "
        "folder of .txt files, or a CSV/TSV/JSONL/Parquet file with a text column."
    )
    assert not out.exists()


@pytest.mark.slow
def test_recommend_with_unlabeled_compares_domain_vectors(tmp_path: Path) -> None:
    path, texts, _ = labelled(tmp_path)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(texts) + "\n")  # the test texts too: the guard must drop them
    out = tmp_path / "run"
    args = [
        "recommend",
        str(path),
        "--unlabeled",
        str(corpus),
        "--space",
        str(write_tiny_space(tmp_path)),
        "--trials",
        "1",
        "--more-seeds",
        "0",
        "--seeds",
        "2",
        "--no-yardsticks",
        "--no-learning-curve",
        "--out",
        str(out),
    ]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    domain = report["domain_vectors"]
    splits = report["splits"]
    assert 0 < domain["dropped_lines"] <= splits["validation"] + splits["test"]
    assert domain["verdict"] in ("paid off", "no clear gain", "worse")
    assert {"frozen:domain-word2vec", "fine-tuned:domain-word2vec"} <= {
        e["candidate"] for e in report["evidence"]
    }
    assert [c["vectors"] for c in report["profile"]["coverage"]][-1] == "domain-word2vec"
    assert f"--unlabeled {corpus}" in report["command"]
    assert "domain vectors: Domain pretraining" in result.output
    assert "## Domain vectors" in (out / "report.md").read_text()
    again = invoke(*args)  # a finished run resumed: the vectors come from the run folder
    assert again.exit_code == 0, again.output
    assert json.loads((out / "report.json").read_text())["domain_vectors"]["cache_hit"]
