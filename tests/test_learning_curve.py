"""The learning curve's sentences: what a user reads about more labelled data."""

from __future__ import annotations

from recommender.learning_curve import CurvePoint, describe_curves


def _curve(candidate: str, shares: list[float], full: list[float]) -> list[CurvePoint]:
    documents = [100, 250, 500]
    points = [
        CurvePoint(candidate, fraction, n, (accuracy,))
        for fraction, n, accuracy in zip((0.1, 0.25, 0.5), documents, shares, strict=True)
    ]
    return [*points, CurvePoint(candidate, 1.0, 1000, tuple(full))]


def test_sentences_name_the_crossing_and_the_noise_of_one_training() -> None:
    """Frozen vectors lead on little data, a learned layer on all of it: the crossing is named,
    and since each share is one training, so is how much one training varies."""
    points = [
        *_curve("learned", [0.60, 0.66, 0.72], [0.760, 0.770, 0.765]),
        *_curve("frozen:glove", [0.66, 0.68, 0.70], [0.71, 0.71]),
    ]
    sentences = describe_curves(points, "learned")
    assert sentences[0].startswith("learned vs frozen:glove: the gap goes from -6.0 points")
    assert "the curves cross between 250 and 500 documents" in sentences[0]
    assert sentences[-1] == (
        "each share's point is one training; on all the data one training of learned varied "
        "by 0.5 points (sd), so a gap or crossing smaller than that is noise"
    )


def test_no_noise_sentence_without_repetitions_to_measure_it() -> None:
    points = [*_curve("learned", [0.6, 0.7, 0.72], [0.76]), *_curve("tf-idf", [0.7] * 3, [0.7])]
    sentences = describe_curves(points, "learned")
    assert len(sentences) == 1 and "noise" not in sentences[0]
