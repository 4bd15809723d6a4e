"""The recommendation rule, applied to evidence and stated in words in every report.

Rule: the candidate with the highest mean test accuracy is the best scorer. It beats another
candidate clearly when its lead is at least `min_effect` points AND the 95% paired bootstrap
interval of the lead excludes zero. Candidates it does not beat clearly are tied with it; among
tied candidates the cheapest is recommended, cost compared in this order: training time (within
25% counts as equal), trainable parameters, model size, then needing no external vectors file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from recommender.evidence import CandidateEvidence, PairedDifference, paired_difference

TIME_TOLERANCE = 1.25


@dataclass(frozen=True)
class Comparison:
    """The best scorer against one other candidate."""

    other: str
    lead: PairedDifference
    clear: bool


@dataclass(frozen=True)
class Recommendation:
    recommended: str
    best_scoring: str
    runner_up: str | None
    verdict: str  # "clear winner" | "tie" | "single candidate"
    tied: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    min_effect: float
    rule: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["comparisons"] = [
            {"other": c.other, "clear": c.clear, **asdict(c.lead)} for c in self.comparisons
        ]
        return data


def rule_text(min_effect: float) -> str:
    return (
        "The option with the highest mean test accuracy over seeds is the best scorer. It wins "
        f"clearly over another option when its lead is at least {min_effect:g} points and the "
        "95% paired bootstrap interval of the lead (test documents resampled jointly, each "
        "option's seeds independently) excludes zero. Options it does not beat clearly are "
        "tied with it, and among tied options the cheapest is recommended: shorter training "
        "time (within 25% counts as equal), then fewer trainable parameters, then a smaller "
        "model, then no dependence on an external vectors file."
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
        clear = lead.difference >= min_effect and lead.ci_low > 0
        comparisons.append(Comparison(other.candidate, lead, clear))
    tied = [best] + [e for e, c in zip(ranked[1:], comparisons, strict=True) if not c.clear]
    if len(tied) == 1:
        lead = comparisons[0].lead
        return Recommendation(
            best.candidate,
            best.candidate,
            ranked[1].candidate,
            "clear winner",
            (best.candidate,),
            tuple(comparisons),
            min_effect,
            rule,
            f"it leads every other option by at least {min_effect:g} points with an interval "
            f"that excludes zero (over the runner-up: {lead.difference:+.1f} points, 95% CI "
            f"[{lead.ci_low:+.1f}, {lead.ci_high:+.1f}])",
        )
    cheapest = cheapest_of(tied)
    runner_up = best if cheapest is not best else tied[1]
    tied_names = ", ".join(e.candidate for e in tied)
    if cheapest is best:
        reason = (
            f"{tied_names} are tied within the noise; {best.candidate} scores highest and is "
            "also the cheapest of them"
        )
    else:
        reason = (
            f"{tied_names} are tied within the noise, so the cheapest, {cheapest.candidate}, is "
            f"recommended ({_cost_words(cheapest, best)}); {best.candidate} scored "
            f"{(best.accuracy_mean - cheapest.accuracy_mean) * 100:.1f} points higher, which "
            "this evidence cannot tell apart from noise"
        )
    return Recommendation(
        cheapest.candidate,
        best.candidate,
        runner_up.candidate,
        "tie",
        tuple(e.candidate for e in tied),
        tuple(comparisons),
        min_effect,
        rule,
        reason,
    )


def cheapest_of(options: Sequence[CandidateEvidence]) -> CandidateEvidence:
    """Training time first (within 25% counts as equal), then the remaining cost keys."""
    fastest = min(e.train_seconds_mean for e in options)
    comparable = [e for e in options if e.train_seconds_mean <= fastest * TIME_TOLERANCE]
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
