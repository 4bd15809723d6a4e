"""Yardsticks: fitted on training documents only, and named in the verdict when they win."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from recommender.cli import app
from recommender.data import load_dataset, split
from recommender.text import tokenize
from recommender.yardsticks import MAJORITY, TFIDF, run_yardsticks
from tests.conftest import EXAMPLES
from tests.helpers import write_tiny_space


@pytest.fixture(scope="module")
def reviews():
    dataset = load_dataset(EXAMPLES / "customer_reviews.txt")
    splits = split(dataset.labels, seed=0)
    labels = np.array([int(label) for label in dataset.labels])
    development = np.concatenate([splits.train, splits.validation])
    return dataset, splits, labels, development


def _run(dataset, development, labels, test_rows, test_labels):
    return run_yardsticks(
        [dataset.texts[i] for i in development],
        labels[development],
        [dataset.texts[i] for i in test_rows],
        test_labels,
        2,
        seed=0,
    )


def test_test_labels_do_not_reach_the_yardsticks_training(reviews) -> None:
    dataset, splits, labels, development = reviews
    honest = _run(dataset, development, labels, splits.test, labels[splits.test])
    shuffled_labels = np.random.default_rng(0).permutation(labels[splits.test])
    shuffled = _run(dataset, development, labels, splits.test, shuffled_labels)
    for a, b in zip(honest, shuffled, strict=True):
        assert a.candidate == b.candidate
        assert a.config == b.config  # the same C, chosen by the same cross-validation
        assert a.runs[0].predictions == b.runs[0].predictions
    tfidf = {e.candidate: e for e in honest}[TFIDF]
    assert tfidf.accuracy_mean > 0.75  # a real bag-of-words model on real reviews


def test_majority_predicts_the_most_frequent_training_class(reviews) -> None:
    dataset, splits, labels, development = reviews
    results = {
        e.candidate: e for e in _run(dataset, development, labels, splits.test, labels[splits.test])
    }
    majority = results[MAJORITY]
    assert set(majority.runs[0].predictions) == {1}  # 2,407 of 3,775 reviews are positive
    assert majority.accuracy_mean == pytest.approx(np.mean(labels[splits.test] == 1))


def test_many_classes_cap_the_linear_models_features(reviews, monkeypatch) -> None:
    """Its weights are classes x features: with hundreds of classes an uncapped bigram
    vocabulary took over 10 GB, so the features shrink as the classes grow."""
    import recommender.yardsticks as yardsticks

    dataset, splits, labels, development = reviews
    uncapped = _run(dataset, development, labels, splits.test, labels[splits.test])[0]
    assert uncapped.config["features"] > 300
    monkeypatch.setattr(yardsticks, "COEFFICIENT_BUDGET", 2 * 300)  # 2 classes: 300 features
    capped = _run(dataset, development, labels, splits.test, labels[splits.test])[0]
    assert capped.config["features"] == 300
    assert capped.accuracy_mean > 0.6  # still a working model on the 300 most frequent n-grams


def test_large_data_scores_the_yardsticks_c_on_one_held_out_fifth(reviews, monkeypatch) -> None:
    """Five folds of a 1-2 gram vocabulary on 225k reviews took 22 minutes: above
    `HOLDOUT_DOCUMENTS` each C is fitted once, on four fifths, and still chosen on training
    texts only."""
    import recommender.linear as linear

    dataset, splits, labels, development = reviews
    monkeypatch.setattr(linear, "HOLDOUT_DOCUMENTS", 1000)
    tfidf = _run(dataset, development, labels, splits.test, labels[splits.test])[0]
    assert len(development) > 1000
    assert tfidf.config["cv_folds"] == 1 and tfidf.config["C"] in tfidf.config["C_grid"]
    assert tfidf.accuracy_mean > 0.75


def test_large_data_fits_the_yardstick_on_a_bounded_sample(reviews, monkeypatch) -> None:
    """Past `FIT_TOKENS` training tokens the yardstick fits on a stratified sample holding
    about that many (its vocabulary and features would otherwise grow with the corpus), says
    so in its config, and is still scored on the whole test split."""
    import recommender.linear as linear

    dataset, splits, labels, development = reviews
    whole = _run(dataset, development, labels, splits.test, labels[splits.test])[0]
    assert whole.config["documents"] == len(development)
    tokens = sum(len(tokenize(dataset.texts[i])) for i in development)
    monkeypatch.setattr(linear, "FIT_TOKENS", tokens // 4)
    sampled = _run(dataset, development, labels, splits.test, labels[splits.test])[0]
    assert abs(sampled.config["documents"] - len(development) / 4) <= 2
    assert sampled.config["features"] < whole.config["features"]
    assert len(sampled.runs[0].predictions) == len(splits.test)
    assert sampled.accuracy_mean > 0.6


@pytest.mark.slow
def test_report_names_the_yardstick_when_it_beats_the_winner_on_mr(
    shared_data: Path, tmp_path: Path
) -> None:
    """MR sentences are classic ground for bag-of-words; a one-epoch embedding search loses."""
    space = write_tiny_space(tmp_path)
    space.write_text(
        space.read_text()
        .replace("trials_per_strategy = 2", "trials_per_strategy = 1")
        .replace("max_epochs = 2", "max_epochs = 1")
        .replace('encoders = ["pool", "cnn"]', 'encoders = ["cnn"]')
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "recommend",
            str(shared_data / "datasets/mr/rt-polarity.all"),
            "--space",
            str(space),
            "--more-seeds",
            "0",
            "--seeds",
            "2",
            "--no-learning-curve",
            "--out",
            str(out),
        ],
        env={"NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    tfidf = next(y for y in report["yardsticks"] if y["candidate"] == TFIDF)
    assert tfidf["comparison"]["verdict"] == "beats"
    assert tfidf["comparison"]["ci_low"] > 0
    assert "A linear bag-of-words model (TF-IDF + logistic regression) scores" in result.output
    assert "prefer it unless" in (out / "report.md").read_text()
