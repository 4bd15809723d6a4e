"""Expected best validation score after n trials, checked against hand-computed values; the
search against its known-good first trials."""

from __future__ import annotations

import itertools

import pytest

from recommender.search.progress import against_first, best_so_far, expected_best, search_progress


def test_expected_best_of_one_is_the_mean_and_of_all_is_the_max() -> None:
    scores = [0.70, 0.74, 0.72, 0.80]
    assert expected_best(scores, 1) == pytest.approx(0.74)
    assert expected_best(scores, 4) == pytest.approx(0.80)


def test_expected_best_of_two_by_hand() -> None:
    # pairs of (0.1, 0.2, 0.4): maxima 0.2, 0.4, 0.4 -> mean 1.0 / 3
    assert expected_best([0.2, 0.1, 0.4], 2) == pytest.approx(1.0 / 3)


def test_expected_best_equals_the_average_over_all_subsets() -> None:
    scores = [0.61, 0.75, 0.70, 0.72, 0.66, 0.74]
    for n in range(1, len(scores) + 1):
        subsets = list(itertools.combinations(scores, n))
        assert expected_best(scores, n) == pytest.approx(sum(map(max, subsets)) / len(subsets))


def test_progress_skips_failed_trials_and_counts_pruned_ones() -> None:
    trials = [
        {"candidate": "learned", "number": 0, "state": "complete", "value": 0.7},
        {"candidate": "learned", "number": 1, "state": "pruned", "value": 0.6},
        {"candidate": "learned", "number": 2, "state": "failed", "value": None},
        {"candidate": "learned", "number": 3, "state": "complete", "value": 0.8},
    ]
    progress = search_progress(trials)["learned"]
    assert progress["best_so_far"] == [0.7, 0.7, 0.8]
    assert progress["expected_best"][-1] == pytest.approx(0.8)
    assert best_so_far([0.3, 0.1, 0.5]) == [0.3, 0.3, 0.5]


def test_each_strategy_is_measured_against_its_own_known_good_first_trials() -> None:
    """The embedding strategies against Kim's CNN and SWEM, tf-idf against its words-and-pairs
    first trial: how far the search got beyond the best of them, in validation points."""
    trials = [
        {"candidate": c, "state": "complete", "value": v, "slot": slot}
        for c, v, slot in [
            ("frozen:v", 0.70, 0),
            ("frozen:v", 0.72, 1),
            ("frozen:v", 0.75, 2),
            ("tf-idf", 0.78, 0),
            ("tf-idf", 0.77, 1),
        ]
    ]
    names = {"frozen": ["Kim", "SWEM"], "tf-idf": ["pairs"], "learned": ["Kim", "SWEM"]}
    found = against_first(trials, names)
    assert found["frozen:v"]["first"] == [
        {"name": "Kim", "value": 0.70},
        {"name": "SWEM", "value": 0.72},
    ]
    assert found["frozen:v"]["gain_points"] == 3.0
    assert found["tf-idf"]["first"] == [{"name": "pairs", "value": 0.78}]
    assert found["tf-idf"]["gain_points"] == 0.0  # the first trial stayed the best
    assert "tf-idf" not in against_first(trials, {"frozen": ["Kim"]})  # a strategy without any
