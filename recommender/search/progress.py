"""How the search went per candidate: best score so far, and the expected best validation score
after n trials (Dodge et al. 2019), so a user can see whether more trials would change the answer.

The expectation uses the unbiased estimator of Tang et al. (2020): the n trials are a random
subset, without replacement, of the N trials run, so the best of them is the i-th smallest of
the N scores with probability C(i-1, n-1) / C(N, n).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import comb
from typing import Any


def expected_best(scores: Sequence[float], n: int) -> float:
    """Expected maximum of n of these scores drawn without replacement (1 <= n <= len)."""
    ordered = sorted(scores)
    total = comb(len(ordered), n)
    return sum(score * comb(rank - 1, n - 1) / total for rank, score in enumerate(ordered, start=1))


def best_so_far(scores: Sequence[float]) -> list[float]:
    best: list[float] = []
    for score in scores:
        best.append(max(score, best[-1]) if best else score)
    return best


def search_progress(trials: Sequence[dict[str, Any]]) -> dict[str, dict[str, list[float]]]:
    """Per candidate, from report.json's trial records: best so far in trial order and the
    expected best after n trials. A pruned trial counts with the last validation accuracy it
    reported; a failed one does not count."""
    scores: dict[str, list[float]] = {}
    for trial in sorted(trials, key=lambda t: (t["candidate"], t["number"])):
        if trial["state"] in ("complete", "pruned") and trial["value"] is not None:
            scores.setdefault(trial["candidate"], []).append(float(trial["value"]))
    return {
        candidate: {
            "best_so_far": best_so_far(values),
            "expected_best": [expected_best(values, n) for n in range(1, len(values) + 1)],
        }
        for candidate, values in scores.items()
    }


def against_first(
    trials: Sequence[dict[str, Any]], first_names: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, Any]]:
    """Per candidate with known-good first trials (slots 0.. of `first_names[strategy]`), those
    trials and how far the best trial of the search got beyond the best of them, in validation
    accuracy points."""
    found: dict[str, dict[str, Any]] = {}
    for trial in trials:
        names = first_names.get(trial["candidate"].partition(":")[0], ())
        if trial["value"] is None or trial["state"] != "complete" or not names:
            continue
        entry = found.setdefault(trial["candidate"], {"first": [], "best": trial["value"]})
        entry["best"] = max(entry["best"], trial["value"])
        slot = trial.get("slot")
        if slot is not None and slot < len(names):
            entry["first"].append({"name": names[slot], "value": trial["value"]})
    for entry in found.values():
        top = max((f["value"] for f in entry["first"]), default=None)
        entry["gain_points"] = None if top is None else round((entry["best"] - top) * 100, 2)
    return found
