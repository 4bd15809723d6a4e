"""The decision rule on evidence records: clear wins, equivalent options (the cheaper one wins),
and leads the evidence cannot judge (never settled by cost)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from recommender.decide import decide
from recommender.evidence import (
    CandidateEvidence,
    Cost,
    SeedRun,
    macro_f1,
    paired_difference,
    t_interval,
)


def _evidence(
    name: str,
    truth: np.ndarray,
    accuracy: float,
    *,
    seed_rng: int,
    trainable: int,
    seconds: float = 10.0,
) -> CandidateEvidence:
    """Seed runs whose predictions are right on about `accuracy` of the documents."""
    rng = np.random.default_rng(seed_rng)
    runs = []
    for seed in range(3):
        right = rng.random(len(truth)) < accuracy
        predictions = np.where(right, truth, 1 - truth)
        runs.append(
            SeedRun(
                seed,
                float(np.mean(right)),
                macro_f1(truth, predictions, 2),
                3,
                seconds,
                tuple(int(p) for p in predictions),
            )
        )
    cost = Cost(trainable, 0, trainable * 4, 1.0, name != "learned")
    return CandidateEvidence(name, {"encoder": "cnn"}, tuple(runs), cost)


def _near(
    base: CandidateEvidence,
    name: str,
    flips: int,
    *,
    trainable: int,
    seconds: float = 10.0,
    seed_rng: int = 0,
) -> CandidateEvidence:
    """`base` with `flips` of each run's predictions changed: two options that agree on almost
    every document, as well-trained models of one task do."""
    rng = np.random.default_rng(seed_rng)
    runs = []
    for run in base.runs:
        predictions = np.array(run.predictions)
        changed = rng.choice(len(predictions), size=flips, replace=False)
        predictions[changed] = 1 - predictions[changed]
        accuracy = float(np.mean(predictions == TRUTH[: len(predictions)]))
        runs.append(SeedRun(run.seed, accuracy, run.macro_f1, 3, seconds, tuple(predictions)))
    cost = Cost(trainable, 0, trainable * 4, 1.0, name != "learned")
    return CandidateEvidence(name, {"encoder": "cnn"}, tuple(runs), cost)


TRUTH = np.random.default_rng(0).integers(0, 2, size=2000)


def test_a_large_lead_is_a_clear_win() -> None:
    strong = _evidence("fine-tuned:glove", TRUTH, 0.85, seed_rng=1, trainable=900_000)
    weak = _evidence("learned", TRUTH, 0.75, seed_rng=2, trainable=500_000)
    decision = decide([weak, strong], TRUTH)
    assert decision.verdict == "clear winner"
    assert decision.recommended == "fine-tuned:glove" and decision.runner_up == "learned"
    (comparison,) = decision.comparisons
    assert comparison.clear and 8 < comparison.lead.difference < 12
    assert comparison.lead.ci_low > 0 and comparison.lead.p_value < 0.01


def test_equivalent_options_tie_and_the_cheaper_option_wins() -> None:
    best = _evidence("fine-tuned:glove", TRUTH, 0.80, seed_rng=3, trainable=900_000)
    cheap = _near(best, "frozen:glove", 6, trainable=20_000)
    decision = decide([best, cheap], TRUTH)
    (comparison,) = decision.comparisons
    assert comparison.relation == "equivalent"
    assert comparison.lead.ci_low >= -0.5 and comparison.lead.ci_high <= 0.5
    assert decision.verdict == "tie" and set(decision.tied) == {"fine-tuned:glove", "frozen:glove"}
    assert decision.recommended == "frozen:glove"
    assert "cheapest" in decision.reason and "frozen:glove" in decision.reason
    assert decision.undecided() == ()


def test_a_wide_interval_is_inconclusive_and_never_settled_by_cost() -> None:
    """The CR case: options within the noise of a small test split, the weaker one far cheaper.
    'Tied, so the cheapest' picked an option 10 points worse on a real set."""
    truth = TRUTH[:60]  # a tiny test split: a 2-point lead is well inside the noise
    best = _evidence("fine-tuned:glove", truth, 0.80, seed_rng=5, trainable=900_000)
    cheap = _evidence("frozen:glove", truth, 0.78, seed_rng=6, trainable=5_000)
    decision = decide([best, cheap], truth, min_effect=0.5)
    (comparison,) = decision.comparisons
    assert comparison.lead.ci_low < 0 < comparison.lead.ci_high
    assert comparison.relation == "undecided"
    assert decision.verdict == "inconclusive"
    assert decision.recommended == "fine-tuned:glove"  # the best scorer, not the cheaper one
    assert decision.undecided() == ("fine-tuned:glove", "frozen:glove")
    assert "cannot tell" in decision.reason


def test_a_slower_option_is_not_cheaper_even_with_fewer_parameters() -> None:
    best = _evidence("learned", TRUTH, 0.80, seed_rng=7, trainable=500_000, seconds=10)
    slow = _near(best, "frozen:glove", 4, trainable=20_000, seconds=40)
    decision = decide([best, slow], TRUTH)
    assert decision.verdict == "tie" and decision.recommended == "learned"


def test_a_gap_of_a_second_or_two_is_noise_and_parameters_decide() -> None:
    """Three times as long, but 0.6 s against 0.2 s: a loaded machine makes such gaps."""
    best = _evidence("learned", TRUTH, 0.80, seed_rng=7, trainable=500_000, seconds=0.2)
    slow = _near(best, "frozen:glove", 4, trainable=20_000, seconds=0.6)
    decision = decide([best, slow], TRUTH)
    assert decision.verdict == "tie" and decision.recommended == "frozen:glove"


def test_min_effect_raises_the_bar_for_a_clear_win() -> None:
    strong = _evidence("fine-tuned:glove", TRUTH, 0.85, seed_rng=1, trainable=900_000)
    weak = _evidence("learned", TRUTH, 0.75, seed_rng=2, trainable=500_000)
    assert decide([strong, weak], TRUTH, min_effect=20).verdict == "tie"


def test_identical_options_differ_by_zero() -> None:
    one = _evidence("learned", TRUTH, 0.8, seed_rng=9, trainable=1)
    same = CandidateEvidence("frozen:glove", {}, one.runs, one.cost)
    lead = paired_difference(one, same, TRUTH)
    assert lead.difference == 0 and lead.p_value == 1.0
    # documents and repetitions are resampled jointly for both: nothing is left to differ
    assert lead.ci_low == 0 == lead.ci_high


def test_repetitions_pair_up_by_seed_and_a_single_run_pairs_with_each() -> None:
    """After more evidence, the leader has more repetitions than a beaten option: only the
    shared ones are compared; a yardstick's single run is set against every repetition."""
    many = _evidence("learned", TRUTH, 0.8, seed_rng=10, trainable=1)
    more = CandidateEvidence("learned", {}, many.runs * 2, many.cost)  # seeds 0,1,2 twice
    few = CandidateEvidence("frozen:glove", {}, many.runs[:2], many.cost)
    assert paired_difference(many, few, TRUTH).difference == pytest.approx(0.0)
    single = CandidateEvidence("yardstick:x", {}, many.runs[:1], many.cost)
    lead = paired_difference(more, single, TRUTH)
    expected = (more.accuracy_mean - many.runs[0].accuracy) * 100
    assert lead.difference == pytest.approx(expected)


def test_macro_f1_matches_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    truth, predicted = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    assert macro_f1(truth, predicted, 4) == pytest.approx(
        f1_score(truth, predicted, average="macro")
    )


def test_t_interval_of_three_seeds() -> None:
    low, high = t_interval(np.array([0.80, 0.81, 0.82]))
    assert low == pytest.approx(0.81 - 4.302653 * 0.01 / np.sqrt(3), abs=1e-6)
    assert high == pytest.approx(0.81 + 4.302653 * 0.01 / np.sqrt(3), abs=1e-6)
    assert t_interval(np.array([0.8])) is None


def test_per_class_results_by_hand() -> None:
    from recommender.evidence import per_class_results

    truth = np.array([0, 0, 1, 1, 2])
    runs = [
        SeedRun(0, 0.6, 0.0, 1, 1.0, (0, 1, 1, 1, 0)),
        SeedRun(1, 1.0, 1.0, 1, 1.0, (0, 0, 1, 1, 2)),
    ]
    result = per_class_results(truth, runs, ["a", "b", "c"])
    assert result["support"] == [2, 2, 1]
    # seed 0: class a P=1/2 R=1/2; class b P=2/3 R=1; class c P=0 R=0. seed 1: all perfect
    assert result["precision"] == pytest.approx([0.75, round((2 / 3 + 1) / 2, 4), 0.5], abs=1e-4)
    assert result["f1"][2] == pytest.approx(0.5)
    assert result["confusion"] == [[3, 1, 0], [0, 4, 0], [1, 0, 1]]


def _decision(best: str, verdict: str) -> object:
    from recommender.decide import Recommendation

    return Recommendation(best, best, None, verdict, (best,), (), 0.5, "", "")


def _profile(token_rate: float, regime: str, probe_accuracy: float) -> dict:
    return {
        "regime": regime,
        "probe": {"majority_accuracy": 0.5, "bag_of_words_accuracy": 0.8},
        "coverage": [
            {
                "vectors": "glove",
                "token_rate": token_rate,
                "key_word_rate": token_rate,
                "probe_accuracy": probe_accuracy,
            }
        ],
    }


def test_explanation_agrees_when_pretrained_wins_on_small_well_covered_data() -> None:
    from recommender.decide import explain

    (sentence,) = explain(
        _decision("fine-tuned:glove", "clear winner"), _profile(0.99, "small", 0.78)
    )
    assert sentence.startswith("The profile favours pretrained vectors: glove covers 99.0%")
    assert "the evidence agrees: the pretrained option wins" in sentence


def test_explanation_says_when_the_evidence_contradicts_the_profile() -> None:
    from recommender.decide import explain

    (sentence,) = explain(_decision("frozen:glove", "clear winner"), _profile(0.80, "large", 0.55))
    assert "The profile favours a learned layer: glove covers only 80.0% of the tokens" in sentence
    assert "keep only 17% of what the words themselves give" in sentence
    assert (
        "the evidence contradicts it: the pretrained option wins. Trust the measurement" in sentence
    )


def test_explanation_when_no_embedding_layer_scores_best() -> None:
    from recommender.decide import explain

    (sentence,) = explain(_decision("tf-idf", "clear winner"), _profile(0.99, "small", 0.78))
    assert sentence.startswith("The profile favours pretrained vectors")
    assert "the evidence finds no embedding layer needed: the tf-idf model" in sentence


def test_a_tf_idf_model_equivalent_to_an_embedding_and_far_cheaper_is_recommended() -> None:
    """Bag of words and embeddings often tie on small data; then the one without an embedding
    layer, with a fraction of the parameters, is the answer."""
    best = _evidence("learned", TRUTH, 0.80, seed_rng=3, trainable=900_000)
    bag = _near(best, "tf-idf", 6, trainable=20_000)
    decision = decide([best, bag], TRUTH)
    assert decision.verdict == "tie" and decision.recommended == "tf-idf"


def test_explanation_of_a_tie() -> None:
    from recommender.decide import explain

    (sentence,) = explain(_decision("learned", "tie"), _profile(0.97, "medium", 0.75))
    assert "the evidence ties the options" in sentence
