"""The Python API behind the CLI: `profile()`, `recommend()`, `predict()`.

Stages run in one direction: load -> profile -> search -> evidence -> decide -> report/export.
Progress is announced through an optional `events(kind, payload)` callback; nothing here prints.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from recommender import __version__
from recommender.config import RunConfig, open_run
from recommender.data import Dataset, load_dataset, split
from recommender.decide import Recommendation, decide
from recommender.errors import ConfigError, UserError
from recommender.evidence import CandidateEvidence, gather_evidence
from recommender.files import write_json
from recommender.models import Candidate, candidates_for
from recommender.profile import DatasetProfile, profile_dataset
from recommender.text import tokenize_all
from recommender.vectors import Vectors, load_vectors

Events = Callable[[str, dict[str, Any]], None]
REPORT_SCHEMA_VERSION = 1


def _quiet(kind: str, payload: dict[str, Any]) -> None:
    """The default events callback: say nothing."""


@dataclass(frozen=True)
class Inputs:
    """A loaded dataset, its tokens, and the vectors rows that its vocabulary needs."""

    dataset: Dataset
    tokens: list[list[str]]
    vectors: tuple[Vectors, ...]


def load_inputs(
    data: str, text_column: str | None, label_column: str | None, vectors: Sequence[str]
) -> Inputs:
    dataset = load_dataset(data, text_column=text_column, label_column=label_column)
    tokens = tokenize_all(dataset.texts)
    needed = {token for document in tokens for token in document}
    loaded = tuple(load_vectors(name, needed) for name in vectors)
    names = [v.name for v in loaded]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"two vectors sources share the name '{max(names, key=names.count)}'",
            fix="rename one of the files",
        )
    return Inputs(dataset, tokens, loaded)


def profile(
    data: str,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    vectors: Sequence[str] = ("glove-6b-50d",),
) -> DatasetProfile:
    """Size, lengths and vocabulary coverage of a dataset, without training anything."""
    inputs = load_inputs(data, text_column, label_column, vectors)
    return profile_dataset(
        data, inputs.tokens, inputs.dataset.labels, inputs.vectors, inputs.dataset.warnings
    )


@dataclass(frozen=True)
class RunResult:
    config: RunConfig
    profile: DatasetProfile
    evidence: tuple[CandidateEvidence, ...]
    recommendation: Recommendation
    model_dir: Path
    report: dict[str, Any]  # the content of report.json


def recommend(config: RunConfig, events: Events = _quiet) -> RunResult:
    """Profile, search, gather evidence, decide and export; resumes a run with the same options."""
    from recommender.export import export_model, predict_texts
    from recommender.prepare import prepare
    from recommender.report.files import write_reports
    from recommender.search.optuna_engine import best_trials, run_search
    from recommender.search.trial import fit_candidate
    from recommender.space import load_space

    started = time.perf_counter()
    space = load_space(config.space)
    inputs = load_inputs(config.data, config.text_column, config.label_column, config.vectors)
    labels = inputs.dataset.labels
    splits = split(
        labels,
        test_fraction=config.test_fraction,
        validation_fraction=config.validation_fraction,
        seed=config.seed,
    )
    resumed = open_run(config)  # only once the inputs are known to be usable
    run_dir = config.run_dir
    events("run", {"dir": str(run_dir), "resumed": resumed})
    data_profile = profile_dataset(
        config.data, inputs.tokens, labels, inputs.vectors, inputs.dataset.warnings
    )
    write_json(run_dir / "profile.json", data_profile.to_dict())
    events("profile", {"profile": data_profile})

    prepared = prepare(
        inputs.tokens,
        labels,
        splits,
        inputs.vectors,
        max_vocabulary=config.max_vocabulary,
        max_length=config.max_length,
        seed=config.seed,
    )
    candidates = candidates_for(space.strategies, tuple(v.name for v in inputs.vectors))
    trials_per_candidate = config.trials or space.trials_per_strategy
    events("search", {"total": trials_per_candidate * len(candidates), "candidates": candidates})
    records = run_search(
        prepared,
        candidates,
        space,
        trials_per_candidate=trials_per_candidate,
        storage_url=f"sqlite:///{(run_dir / 'study.db').resolve()}",
        seed=config.seed,
        on_trial=lambda record: events("trial", {"record": record}),
    )
    write_json(run_dir / "trials.json", [r.to_dict() for r in records])
    finalists = best_trials(records)
    if not finalists:
        raise UserError(
            "no trial of any strategy completed", fix="see trials.json for the errors, or --debug"
        )

    seeds = [config.seed + offset for offset in range(config.seeds)]
    events("evidence", {"total": len(finalists) * len(seeds)})
    evidence = gather_evidence(
        finalists,
        prepared,
        space,
        seeds=seeds,
        cache_dir=run_dir / "evidence",
        on_run=lambda key, run: events("seed_run", {"candidate": key, "run": run}),
    )
    recommendation = decide(
        evidence, prepared.y["test"], min_effect=config.min_effect, seed=config.seed
    )

    events("export", {"candidate": recommendation.recommended})
    chosen = next(e for e in evidence if e.candidate == recommendation.recommended)
    final = prepare(
        inputs.tokens,
        labels,
        splits,
        inputs.vectors,
        fit_on=("train", "validation"),
        max_vocabulary=config.max_vocabulary,
        max_length=config.max_length,
        seed=config.seed,
    )
    outcome = fit_candidate(
        Candidate.from_key(chosen.candidate),
        chosen.config,
        final,
        seed=config.seed,
        max_epochs=space.max_epochs,
        patience=space.patience,
        batch_size=space.batch_size,
        train_splits=("train", "validation"),
        fixed_epochs=chosen.median_best_epoch,
    )
    test_texts = [inputs.dataset.texts[i] for i in splits.test]
    text_model = export_model(
        outcome.model,
        final.vocabulary,
        final.sequence_length,
        final.classes,
        run_dir / "model",
        card={"candidate": chosen.candidate, "config": chosen.config},
    )
    from_text = predict_texts(text_model, test_texts)
    from_ids = outcome.model.predict(final.x["test"], batch_size=512, verbose=0)
    model_summary = {
        "path": "model/model.keras",
        "labels": "model/labels.json",
        "candidate": chosen.candidate,
        "config": chosen.config,
        "trained_on": "train+validation",
        "epochs": chosen.median_best_epoch,
        "vocabulary_size": len(final.vocabulary.words),
        "sequence_length": final.sequence_length,
        "test_accuracy": float(np.mean(from_text.argmax(axis=1) == final.y["test"])),
        "raw_text_vs_token_ids_max_abs_diff": float(np.abs(from_text - from_ids).max()),
    }
    report = build_report(
        config,
        space.to_dict(),
        data_profile,
        splits_sizes(splits),
        prepared.sequence_length,
        len(prepared.vocabulary.words),
        records,
        evidence,
        recommendation,
        model_summary,
        seconds=time.perf_counter() - started,
    )
    write_reports(run_dir, report)
    events("done", {"report": report})
    return RunResult(
        config, data_profile, tuple(evidence), recommendation, run_dir / "model", report
    )


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
    seconds: float,
) -> dict[str, Any]:
    """The content of report.json: every figure behind the verdict, and how to reproduce it."""
    import keras

    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(seconds, 1),
        "command": _command(config),
        "versions": _versions(),
        "backend": keras.backend.backend(),
        "config": config.to_dict(),
        "splits": split_sizes,
        "sequence_length": sequence_length,
        "vocabulary_size": vocabulary_size,
        "profile": data_profile.to_dict(),
        "search": {
            "engine": "optuna",
            "space": space,
            "trials": [r.to_dict() for r in records],
        },
        "evidence": [e.to_dict() for e in evidence],
        "recommendation": recommendation.to_dict(),
        "model": model,
    }


def _command(config: RunConfig) -> str:
    parts = ["embrec recommend", config.data]
    for name in config.vectors:
        parts += ["--vectors", name]
    if config.text_column:
        parts += ["--text-column", config.text_column]
    if config.label_column:
        parts += ["--label-column", config.label_column]
    parts += ["--space", config.space, "--seeds", str(config.seeds), "--seed", str(config.seed)]
    if config.trials:
        parts += ["--trials", str(config.trials)]
    parts += ["--min-effect", f"{config.min_effect:g}", "--out", config.out]
    return " ".join(parts)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "embrec": __version__}
    for package in ("keras", "tensorflow", "optuna", "numpy", "gensim"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    found["platform"] = f"{sys.platform}-{platform.machine()}"
    return found


def predict(model_dir: str | Path, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """(labels, probabilities) for raw texts, from an exported model directory."""
    import keras

    from recommender.export import LABELS_FILE, MODEL_FILE, predict_texts

    directory = Path(model_dir)
    if not (directory / MODEL_FILE).is_file():
        raise UserError(
            f"no {MODEL_FILE} found", where=str(directory), fix="pass the model/ folder of a run"
        )
    labels = json.loads((directory / LABELS_FILE).read_text())["labels"]
    model = keras.models.load_model(directory / MODEL_FILE)
    return labels, predict_texts(model, list(texts))
