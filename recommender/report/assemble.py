"""report.json's content, assembled from what the stages measured: every figure behind the
verdict, and the command and versions to reproduce it."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from recommender import __version__
from recommender.config import RunConfig
from recommender.decide import Recommendation, YardstickVerdict
from recommender.evidence import CandidateEvidence
from recommender.export import DEFAULT_EXTENSION
from recommender.profile import DatasetProfile
from recommender.search.progress import against_first, search_progress
from recommender.space import space_from_dict

REPORT_SCHEMA_VERSION = 1


def splits_sizes(splits: Any) -> dict[str, int]:
    return {name: len(getattr(splits, name)) for name in ("train", "validation", "test")}


def build_report(
    config: RunConfig,
    space: dict[str, Any],
    data_profile: DatasetProfile,
    split_sizes: dict[str, int],
    sequence_length: int,
    vocabulary_size: int,
    records: Sequence[Any],
    evidence: Sequence[CandidateEvidence],
    recommendation: Recommendation,
    model: dict[str, Any],
    *,
    yardsticks: Sequence[tuple[CandidateEvidence, YardstickVerdict]] = (),
    search: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    seconds: float,
) -> dict[str, Any]:
    """The content of report.json: every figure behind the verdict, and how to reproduce it."""
    import keras

    searched = space_from_dict(space)
    first_names = {strategy: searched.first_names(strategy) for strategy in searched.strategies}
    evidence_dicts = [e.to_dict() for e in evidence]
    yardstick_dicts = [
        {**result.to_dict(), "comparison": verdict.to_dict()} for result, verdict in yardsticks
    ]
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(seconds, 1),
        "command": command_line(config, model["vocabulary_extension"]["limit"]),
        "versions": versions(),
        "backend": keras.backend.backend(),
        "config": config.to_dict(),
        "splits": split_sizes,
        "sequence_length": sequence_length,
        "vocabulary_size": vocabulary_size,
        "profile": data_profile.to_dict(),
        "search": {
            "engine": config.engine,
            "time_budget_seconds": config.time_budget,
            **(search or {}),
            "space": space,
            "trials": [r.to_dict() for r in records],
        },
        "evidence": evidence_dicts,
        "recommendation": recommendation.to_dict(),
        "at_majority_rate": at_majority_rate(
            evidence_dicts, yardstick_dicts, data_profile.majority_share, config.min_effect
        ),
        "yardsticks": yardstick_dicts,
        "search_progress": search_progress([r.to_dict() for r in records]),
        "first_trials": against_first([r.to_dict() for r in records], first_names),
        **(extra or {}),
        "model": model,
    }


NO_SIGNAL_SHARE = 0.05  # a lead over the majority rate below this share of the room above it


def at_majority_rate(
    evidence: Sequence[dict[str, Any]],
    yardsticks: Sequence[dict[str, Any]],
    majority_share: float,
    min_effect: float,
) -> dict[str, Any]:
    """Whether every option scores at the rate of always predicting the most frequent class: then
    none learned anything from the texts, and a verdict between them means nothing.

    An option is at that rate when its 95% interval reaches down to it, or when it leads it by
    less than `min_effect` points or by less than `NO_SIGNAL_SHARE` of the way from it to 100%
    (on balanced classes, 51.7% against 50%: a model that predicts one class for nearly every
    text). The rate is the majority yardstick's test accuracy, or the data's majority share
    without yardsticks."""
    majority = next(
        (y["accuracy_mean"] for y in yardsticks if y["candidate"] == "yardstick:majority"),
        majority_share,
    )

    def at_rate(entry: dict[str, Any]) -> bool:
        interval = entry["accuracy_ci95"]
        lead = entry["accuracy_mean"] - majority
        return (
            bool(interval and interval[0] <= majority)
            or lead * 100 < min_effect
            or lead < NO_SIGNAL_SHARE * (1 - majority)
        )

    flag = bool(evidence) and all(at_rate(entry) for entry in evidence)
    sentence = (
        f"every option scores at the rate of always predicting the most frequent class "
        f"({majority * 100:.1f}%): none learned anything from the texts, so the verdict "
        "between them means nothing; check the text column, the labels and the profile's "
        "tokeniser line (text in a script written without spaces needs --tokenizer unicode "
        "and --split characters)"
        if flag
        else ""
    )
    return {"flag": flag, "majority_accuracy": majority, "sentence": sentence}


def command_line(config: RunConfig, export_vocab: int = DEFAULT_EXTENSION) -> str:
    parts = ["embrec recommend", config.data]
    if config.validation:
        parts += ["--validation", config.validation]
    if config.test:
        parts += ["--test", config.test]
    for name in config.vectors:
        parts += ["--vectors", name]
    if config.unlabeled:
        parts += ["--unlabeled", config.unlabeled]
    if config.text_column:
        parts += ["--text-column", config.text_column]
    if config.label_column:
        parts += ["--label-column", config.label_column]
    parts += ["--space", config.space, "--seeds", str(config.seeds), "--seed", str(config.seed)]
    if config.more_seeds != RunConfig.more_seeds:
        parts += ["--more-seeds", str(config.more_seeds)]
    if config.final != RunConfig.final:
        parts += ["--final", config.final]
    if config.trials:
        parts += ["--trials", str(config.trials)]
    if config.engine != "optuna":
        parts += ["--engine", config.engine]
    if config.time_budget is not None:
        parts += ["--time-budget", f"{config.time_budget:g}s"]
    if config.storage is not None:
        parts += ["--storage", config.storage]
    parts += ["--min-effect", f"{config.min_effect:g}"]
    if not config.yardsticks:
        parts.append("--no-yardsticks")
    if config.learning_curve is not None:
        parts.append("--learning-curve" if config.learning_curve else "--no-learning-curve")
    if export_vocab != DEFAULT_EXTENSION:
        parts += ["--export-vocab", str(export_vocab)]
    if config.tokenizer != RunConfig.tokenizer:
        parts += ["--tokenizer", config.tokenizer]
    if config.lowercase is not None:
        parts.append("--lowercase" if config.lowercase else "--no-lowercase")
    if config.split != RunConfig.split:
        parts += ["--split", config.split]
    parts += ["--out", config.out]
    return " ".join(parts)


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "embrec": __version__}
    for package in ("keras", "tensorflow", "optuna", "numpy", "gensim"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    found["platform"] = f"{sys.platform}-{platform.machine()}"
    # TensorFlow's CPU kernels split work by thread count: the same seed on another number of
    # cores can train a (CNN) model to different weights, so the count is part of the recipe.
    usable = getattr(os, "sched_getaffinity", None)
    found["cpus"] = str(len(usable(0)) if usable else os.cpu_count())
    return found
