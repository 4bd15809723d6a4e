"""The recommendation rule, applied to evidence and stated in words in every report.

Rule: the candidate with the highest mean test accuracy is the best scorer. Against each other
candidate, the 95% paired bootstrap interval of its lead says one of three things: it wins
clearly (a lead of at least `min_effect` points and an interval that excludes zero), the two
are equivalent (the whole interval lies within +/- `min_effect` points: whatever the difference
is, it is too small to matter), or the evidence cannot tell (anything else: a wide interval).
Cost may choose only among equivalent options: the cheapest of the best scorer and the options
equivalent to it is recommended (training time, only when one takes under half as long and at
least 5 s less; then trainable parameters, model size, no external vectors file). An option the
evidence cannot tell apart from the best scorer is never preferred for being cheaper: it calls
for more repetitions (`undecided()`), and when they run out the verdict says "inconclusive".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from recommender.evidence import CandidateEvidence, PairedDifference, paired_difference
from recommender.models import TFIDF, Candidate

# Measured times vary by more than 25% between runs on a shared machine, and by whole multiples
# for runs of a second or two: a tie broken on a smaller gap than 2x, or than a few seconds,
# would name a different option run to run (and a few seconds is no cost anyone weighs).
TIME_TOLERANCE = 2.0
TIME_FLOOR_SECONDS = 5.0


@dataclass(frozen=True)
class Comparison:
    """The best scorer against one other candidate."""

    other: str
    lead: PairedDifference
    relation: str  # "clear" | "equivalent" | "undecided"

    @property
    def clear(self) -> bool:
        return self.relation == "clear"


def relation(lead: PairedDifference, min_effect: float) -> str:
    """What a lead's interval says: a clear win, equivalence within `min_effect`, or neither."""
    if lead.difference >= min_effect and lead.ci_low > 0:
        return "clear"
    if -min_effect <= lead.ci_low and lead.ci_high <= min_effect:
        return "equivalent"
    return "undecided"


@dataclass(frozen=True)
class Recommendation:
    recommended: str
    best_scoring: str
    runner_up: str | None
    verdict: str  # "clear winner" | "tie" | "inconclusive" | "single candidate"
    tied: tuple[str, ...]  # the best scorer and the options equivalent to it
    comparisons: tuple[Comparison, ...]
    min_effect: float
    rule: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["comparisons"] = [
            {"other": c.other, "clear": c.clear, "relation": c.relation, **asdict(c.lead)}
            for c in self.comparisons
        ]
        data["undecided"] = list(self.undecided())
        return data

    def undecided(self) -> tuple[str, ...]:
        """The options the evidence cannot yet tell apart from the best scorer, and the best
        scorer itself when there are any: those more repetitions should be spent on."""
        open_ = tuple(c.other for c in self.comparisons if c.relation == "undecided")
        return (self.best_scoring, *open_) if open_ else ()


def rule_text(min_effect: float) -> str:
    return (
        "The option with the highest mean test accuracy over repetitions is the best scorer. "
        "Against each other option, the 95% paired bootstrap interval of its lead (test "
        "documents and repetitions resampled jointly for both) decides: a clear win when the "
        f"lead is at least {min_effect:g} points and the interval excludes zero; equivalent "
        f"when the whole interval lies within +/-{min_effect:g} points; otherwise the evidence "
        "cannot tell them apart, and more repetitions are run up to the run's limit. Among the "
        "best scorer and the options equivalent to it the cheapest is recommended: shorter "
        "training time (counted only when one option takes under half as long and at least "
        "5 s less), then fewer trainable parameters, then a smaller model, then no dependence "
        "on an external vectors file. An option the evidence cannot tell apart is never chosen "
        "for being cheaper; if any remain, the verdict is inconclusive."
    )


def decide(
    evidence: Sequence[CandidateEvidence],
    truth: np.ndarray,
    *,
    min_effect: float = 0.5,
    seed: int = 0,
) -> Recommendation:
    ranked = sorted(evidence, key=lambda e: -e.accuracy_mean)
    best = ranked[0]
    rule = rule_text(min_effect)
    if len(ranked) == 1:
        return Recommendation(
            best.candidate,
            best.candidate,
            None,
            "single candidate",
            (best.candidate,),
            (),
            min_effect,
            rule,
            "only one option was compared",
        )
    comparisons = []
    for other in ranked[1:]:
        lead = paired_difference(best, other, truth, seed=seed)
        comparisons.append(Comparison(other.candidate, lead, relation(lead, min_effect)))
    by_name = {e.candidate: e for e in ranked}
    tied = [best] + [by_name[c.other] for c in comparisons if c.relation == "equivalent"]
    undecided = [c for c in comparisons if c.relation == "undecided"]
    cheapest = cheapest_of(tied)
    runner_up = ranked[1] if cheapest is best else best
    if undecided:
        verdict = "inconclusive"
        names = ", ".join(c.other for c in undecided)
        widest = max(undecided, key=lambda c: c.lead.ci_high - c.lead.ci_low)
        reason = (
            f"the evidence cannot tell {best.candidate} apart from {names}: "
            f"{_lead_words(widest)} is neither a clear lead nor within +/-{min_effect:g} "
            f"points; {cheapest.candidate} is recommended as "
            + ("the best scorer" if cheapest is best else "the cheapest option equivalent to it")
            + ", never an option the evidence could not judge"
        )
    elif len(tied) == 1:
        verdict = "clear winner"
        reason = (
            f"it leads every other option by at least {min_effect:g} points with an interval "
            f"that excludes zero (over the runner-up: {_lead_words(comparisons[0])})"
        )
    else:
        verdict = "tie"
        names = ", ".join(e.candidate for e in tied)
        if cheapest is best:
            reason = (
                f"{names} are equivalent (each lead's interval within +/-{min_effect:g} "
                f"points); {best.candidate} scores highest and is also the cheapest of them"
            )
        else:
            reason = (
                f"{names} are equivalent (each lead's interval within +/-{min_effect:g} "
                f"points), so the cheapest, {cheapest.candidate}, is recommended "
                f"({_cost_words(cheapest, best)}); {best.candidate} scored "
                f"{(best.accuracy_mean - cheapest.accuracy_mean) * 100:.1f} points higher"
            )
    return Recommendation(
        cheapest.candidate,
        best.candidate,
        runner_up.candidate,
        verdict,
        tuple(e.candidate for e in tied),
        tuple(comparisons),
        min_effect,
        rule,
        reason,
    )


def _lead_words(comparison: Comparison) -> str:
    lead = comparison.lead
    return (
        f"{lead.difference:+.1f} points over {comparison.other}, 95% CI "
        f"[{lead.ci_low:+.1f}, {lead.ci_high:+.1f}]"
    )


def cheapest_of(options: Sequence[CandidateEvidence]) -> CandidateEvidence:
    """Training time first (only a gap of 2x and of `TIME_FLOOR_SECONDS` counts), then the
    remaining cost keys."""
    fastest = min(e.train_seconds_mean for e in options)
    comparable = [
        e
        for e in options
        if e.train_seconds_mean <= fastest * TIME_TOLERANCE
        or e.train_seconds_mean - fastest < TIME_FLOOR_SECONDS
    ]
    return min(
        comparable,
        key=lambda e: (e.cost.trainable_params, e.cost.model_bytes, e.cost.needs_vectors_file),
    )


def _cost_words(cheap: CandidateEvidence, other: CandidateEvidence) -> str:
    return (
        f"{cheap.train_seconds_mean:.0f} s to train vs {other.train_seconds_mean:.0f} s, "
        f"{cheap.cost.trainable_params:,} trainable parameters vs "
        f"{other.cost.trainable_params:,}"
    )


@dataclass(frozen=True)
class YardstickVerdict:
    """A yardstick against the recommended option: does the recommended model pay for itself?"""

    yardstick: str
    lead: PairedDifference  # yardstick minus recommended, in points
    verdict: str  # "beats" | "within the noise of" | "behind"
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "yardstick": self.yardstick,
            "verdict": self.verdict,
            "sentence": self.sentence,
            **asdict(self.lead),
        }


YARDSTICK_NAMES = {
    "yardstick:tfidf-logreg": "a linear bag-of-words model (TF-IDF + logistic regression)",
    "yardstick:majority": "always predicting the most frequent class",
}


def compare_yardstick(
    recommended: CandidateEvidence,
    yardstick: CandidateEvidence,
    truth: np.ndarray,
    *,
    min_effect: float,
    seed: int = 0,
) -> YardstickVerdict:
    """The same rule as between embedding options: a lead counts when it is at least
    `min_effect` points and its 95% paired bootstrap interval excludes zero."""
    lead = paired_difference(yardstick, recommended, truth, seed=seed)
    name = YARDSTICK_NAMES.get(yardstick.candidate, yardstick.candidate)
    ours = f"{recommended.accuracy_mean * 100:.1f} for the recommended {recommended.candidate}"
    theirs = f"{name} scores {yardstick.accuracy_mean * 100:.1f} vs {ours}"
    interval = f"({lead.difference:+.1f} points, 95% CI [{lead.ci_low:+.1f}, {lead.ci_high:+.1f}])"
    gives = "a Keras model on raw strings"
    if Candidate.from_key(recommended.candidate).pretrained:
        gives += ", vectors for words never seen in training"
    if lead.difference >= min_effect and lead.ci_low > 0:
        verdict = "beats"
        sentence = (
            f"{theirs} {interval}: prefer it unless you need what only the recommended model "
            f"gives ({gives}); {_yardstick_cost(yardstick, recommended)}"
        )
    elif -lead.difference >= min_effect and lead.ci_high < 0:
        verdict = "behind"
        sentence = f"{theirs} {interval}: the recommended model is worth it here"
    else:
        verdict = "within the noise of"
        sentence = (
            f"{theirs} {interval}: within the noise, so the recommended model buys no accuracy "
            f"over it here; {_yardstick_cost(yardstick, recommended)}"
        )
    return YardstickVerdict(yardstick.candidate, lead, verdict, sentence[0].upper() + sentence[1:])


def _yardstick_cost(yardstick: CandidateEvidence, recommended: CandidateEvidence) -> str:
    return (
        f"it trains in {yardstick.train_seconds_mean:.0f} s vs "
        f"{recommended.train_seconds_mean:.0f} s and predicts 1,000 texts in "
        f"{yardstick.cost.predict_ms_per_1000:.0f} ms vs "
        f"{recommended.cost.predict_ms_per_1000:.0f} ms"
    )


def domain_verdict(
    summary: dict[str, Any],
    evidence: Sequence[CandidateEvidence],
    truth: np.ndarray,
    *,
    min_effect: float,
    seed: int,
) -> dict[str, Any]:
    """report.json's `domain_vectors`: did pretraining pay for its cost? The best option on the
    domain vectors against the best without them (general vectors or learned), by the decision
    rule's standard: a lead of `min_effect` points whose 95% paired bootstrap interval excludes
    zero."""
    name = summary["name"]
    domain = [e for e in evidence if name in e.candidate.partition(":")[2]]
    others = [e for e in evidence if e not in domain]
    general = [e for e in others if e.candidate != "learned"]
    learned = [e for e in others if e.candidate == "learned"]
    cost = (
        f"{summary['seconds']:.0f} s of pretraining on {summary['workers']} core(s), "
        f"{summary['words']:,} words x {summary['epochs']} passes"
    )

    def best(options: Sequence[CandidateEvidence]) -> dict[str, Any] | None:
        top = max(options, key=lambda e: e.accuracy_mean, default=None)
        return None if top is None else {"candidate": top.candidate, "accuracy": top.accuracy_mean}

    result = {
        **summary,
        "best_domain": best(domain),
        "best_general": best(general),
        "learned": best(learned),
        "comparison": None,
    }
    if not domain or not others:
        missing = "option on the domain vectors" if not domain else "option without them"
        verdict = "not compared"
        sentence = f"Domain pretraining ({cost}) is not judged: no {missing} finished the search"
        return {**result, "verdict": verdict, "sentence": sentence}
    mine = max(domain, key=lambda e: e.accuracy_mean)
    theirs = max(others, key=lambda e: e.accuracy_mean)
    lead = paired_difference(mine, theirs, truth, seed=seed)
    runner = max(
        learned if theirs in general else general, key=lambda e: e.accuracy_mean, default=None
    )
    also = "" if runner is None else f"; then {runner.candidate} {runner.accuracy_mean * 100:.1f}%"
    scores = (
        f"{mine.candidate} {mine.accuracy_mean * 100:.1f}% vs {theirs.candidate} "
        f"{theirs.accuracy_mean * 100:.1f}% (the best option without domain vectors{also}), "
        f"{lead.difference:+.1f} points (95% CI [{lead.ci_low:+.1f}, {lead.ci_high:+.1f}])"
    )
    if lead.difference >= min_effect and lead.ci_low > 0:
        verdict, sentence = "paid off", f"Domain pretraining paid off: {scores}, for {cost}"
    elif -lead.difference >= min_effect and lead.ci_high < 0:
        verdict, sentence = "worse", f"Domain pretraining did not pay off: {scores}; {cost} spent"
    else:
        verdict = "no clear gain"
        sentence = f"Domain pretraining bought no clear gain: {scores}; {cost} spent"
    return {**result, "verdict": verdict, "sentence": sentence, "comparison": asdict(lead)}


# Reading aids for linking the verdict to the profile, stated in the report; not decision rules.
HIGH_COVERAGE, LOW_COVERAGE = 0.95, 0.90  # share of running tokens with a vector
WEAK_PROBE = 0.6  # averaged vectors keep under 60% of the bag of words' gain over the majority


def explain(recommendation: Recommendation, profile: dict[str, Any]) -> list[str]:
    """Sentences linking the verdict to the profile: what the data predicted, what the evidence
    found, and whether the two agree."""
    best = recommendation.best_scoring
    vectors = best.partition(":")[2] or None
    coverages = profile.get("coverage", [])
    coverage = next((c for c in coverages if c["vectors"] == vectors), None)
    if coverage is None and coverages:
        coverage = max(coverages, key=lambda c: c["token_rate"])
    if coverage is None:
        return []
    signals_pretrained, signals_learned = [], []
    rate = coverage["token_rate"]
    name = coverage["vectors"]
    if rate >= HIGH_COVERAGE:
        signals_pretrained.append(f"{name} covers {rate:.1%} of the tokens")
    elif rate < LOW_COVERAGE:
        signals_learned.append(f"{name} covers only {rate:.1%} of the tokens")
    key_rate = coverage.get("key_word_rate")
    if key_rate is not None and key_rate < LOW_COVERAGE:
        signals_learned.append(f"only {key_rate:.0%} of the class-separating words have a vector")
    probe, vectors_probe = profile.get("probe"), coverage.get("probe_accuracy")
    if probe and vectors_probe is not None:
        gain = probe["bag_of_words_accuracy"] - probe["majority_accuracy"]
        kept = (vectors_probe - probe["majority_accuracy"]) / gain if gain > 0 else 1.0
        if kept < WEAK_PROBE:
            signals_learned.append(
                f"averaged {name} vectors keep only {max(kept, 0):.0%} of what the words "
                "themselves give a linear model"
            )
    regime = profile.get("regime")
    if regime == "small":
        signals_pretrained.append("the data is small")
    elif regime == "large":
        signals_learned.append("the data is large")
    if signals_pretrained and not signals_learned:
        expected = "pretrained"
        expectation = "The profile favours pretrained vectors: " + "; ".join(signals_pretrained)
    elif signals_learned and not signals_pretrained:
        expected = "learned"
        expectation = "The profile favours a learned layer: " + "; ".join(signals_learned)
    else:
        expected = "either"
        expectation = "The profile gives mixed signals: " + "; ".join(
            signals_pretrained + signals_learned
        )
    found = "pretrained" if vectors else "learned"
    if Candidate.from_key(best).strategy == TFIDF:
        outcome = (
            "the evidence finds no embedding layer needed: the tf-idf model (words and word "
            "pairs, no vectors) scores best"
        )
        agreement = ""
    elif recommendation.verdict == "tie":
        outcome = "the evidence ties the options, so this data does not reward either choice"
        agreement = ""
    elif expected == "either":
        outcome = f"the evidence settles it for the {found} option"
        agreement = ""
    elif expected == found:
        outcome = f"the evidence agrees: the {found} option wins"
        agreement = ""
    else:
        outcome = f"the evidence contradicts it: the {found} option wins"
        agreement = (
            " Trust the measurement, which was made on this data; the profile only says "
            "what usually happens."
        )
    return [f"{expectation}; {outcome}.{agreement}"]
