"""The Python API behind the CLI: `profile()`, `recommend()`, `export()`, `predict()`.

Stages run in one direction: load -> profile -> search -> evidence -> decide -> report/export.
Progress is announced through an optional `events(kind, payload)` callback; nothing here prints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from recommender.budget import RunClock, members_within, reserve_rounds
from recommender.config import RunConfig, lock_run, open_run
from recommender.data import Dataset, Splits, load_dataset, load_splits
from recommender.decide import Recommendation, decide, domain_verdict, explain
from recommender.errors import ConfigError, DataError, UserError
from recommender.evidence import (
    CandidateEvidence,
    Spread,
    gather_until_decided,
    method_words,
    per_class_results,
    redraw,
    redraws,
    trial_runs,
)
from recommender.export import DEFAULT_EXTENSION
from recommender.files import write_json, write_text
from recommender.models import Candidate, candidates_for, final_trainings
from recommender.prepare import Prepared
from recommender.pretrain import Corpus, Settings, domain_vectors, run_corpus
from recommender.profile import DatasetProfile, profile_dataset
from recommender.space import SearchSpace
from recommender.text import Rules, TokenIds, choose_rules, has_words
from recommender.vectors import Vectors, is_cased, load_vectors

Events = Callable[[str, dict[str, Any]], None]


def _quiet(kind: str, payload: dict[str, Any]) -> None:
    """The default events callback: say nothing."""


@dataclass(frozen=True)
class Inputs:
    """A loaded dataset, its tokens, and the vectors rows that its vocabulary needs."""

    dataset: Dataset
    tokens: TokenIds
    vectors: tuple[Vectors, ...]
    rules: Rules  # how the texts became tokens (and how the exported model will tokenise)
    rules_reason: str  # why, when chosen automatically


def load_inputs(
    data: str,
    text_column: str | None,
    label_column: str | None,
    vectors: Sequence[str],
    *,
    dataset: Dataset | None = None,
    tokenizer: str = "unicode",
    lowercase: bool | None = None,
    split: str = "auto",
    punctuation: str = "auto",
) -> Inputs:
    """`dataset` (from `load_splits`, with the user's test/validation rows) instead of DATA;
    `tokenizer`, `lowercase`, `split` and `punctuation` as `text.choose_rules` takes them."""
    if dataset is None:
        dataset = load_dataset(data, text_column=text_column, label_column=label_column)
    cased = None if lowercase is not None else next((v for v in vectors if is_cased(v)), None)
    rules, reason = choose_rules(dataset.texts, tokenizer, lowercase, split, cased, punctuation)
    tokens = TokenIds.tokenize(dataset.texts, rules)
    needed = set(tokens.words)
    if not has_words(needed, rules):
        column = f" in column '{dataset.text_column}'" if dataset.text_column else ""
        raise DataError(
            f"none of the {len(tokens):,} texts{column} has a word: all are empty or punctuation",
            where=data,
            fix="pass --text-column NAME with the column that holds the text"
            if column
            else "check that the file holds the texts",
        )
    loaded = tuple(load_vectors(name, needed, rules=rules) for name in vectors)
    names = [v.name for v in loaded]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"two vectors sources share the name '{max(names, key=names.count)}'",
            fix="rename one of the files",
        )
    return Inputs(dataset, tokens, loaded, rules, reason)


def profile(
    data: str,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    vectors: Sequence[str] = ("glove-6b-50d",),
    test: str | None = None,
    validation: str | None = None,
    tokenizer: str = "unicode",
    lowercase: bool | None = None,
    split: str = "auto",
    punctuation: str = "auto",
) -> DatasetProfile:
    """Size, lengths and vocabulary coverage of a dataset, without training anything; with
    `test`/`validation` files, of DATA and them, split as `recommend` splits them."""
    rules = dict(tokenizer=tokenizer, lowercase=lowercase, split=split, punctuation=punctuation)
    if test is None and validation is None:
        inputs = load_inputs(data, text_column, label_column, vectors, **rules)
        return _with_rules(
            profile_dataset(
                data, inputs.tokens, inputs.dataset.labels, inputs.vectors, inputs.dataset.warnings
            ),
            inputs,
        )
    dataset, splits = load_splits(
        data, test=test, validation=validation, text_column=text_column, label_column=label_column
    )
    inputs = load_inputs(data, text_column, label_column, vectors, dataset=dataset, **rules)
    result = _with_rules(
        profile_dataset(
            data, inputs.tokens, dataset.labels, inputs.vectors, dataset.warnings, splits
        ),
        inputs,
    )
    files = (("validation", validation), ("test", test))
    given = ", ".join(f"{part} {path}" for part, path in files if path)
    return replace(result, split_origin=f"{given}; the rest from DATA as recommend splits it")


def _with_rules(result: DatasetProfile, inputs: Inputs) -> DatasetProfile:
    """The profile, saying how its texts were tokenised and why."""
    reason = f" ({inputs.rules_reason})" if inputs.rules_reason else ""
    return replace(result, tokenizer=inputs.rules.describe() + reason)


def _config_inputs(config: RunConfig, dataset: Dataset) -> Inputs:
    """The inputs of a run: its data, tokenised by the rules its options choose."""
    return load_inputs(
        config.data,
        config.text_column,
        config.label_column,
        config.vectors,
        dataset=dataset,
        tokenizer=config.tokenizer,
        lowercase=config.lowercase,
        split=config.split,
        punctuation=config.punctuation,
    )


@dataclass(frozen=True)
class RunResult:
    config: RunConfig
    profile: DatasetProfile
    evidence: tuple[CandidateEvidence, ...]
    recommendation: Recommendation
    model_dir: Path
    report: dict[str, Any]  # the content of report.json


def recommend(
    config: RunConfig,
    events: Events = _quiet,
    *,
    export_vocab: int = DEFAULT_EXTENSION,
    jobs: int = 1,
) -> RunResult:
    """Profile, search, gather evidence, decide and export; resumes a run with the same options.

    `export_vocab` bounds the vocabulary extension of the exported model (see `export_model`);
    `jobs` is how many processes run the search's trials (`search.workers.LocalWorkers`).
    Neither changes the run's answer, so neither is part of its configuration. The run
    directory stays locked against other processes until the run ends."""
    with ExitStack() as run_lock:
        return _recommend(config, events, export_vocab, jobs, run_lock)


def _recommend(
    config: RunConfig, events: Events, export_vocab: int, jobs: int, run_lock: ExitStack
) -> RunResult:
    from recommender.export import write_model_card
    from recommender.learning_curve import FRACTIONS, curve_report, curve_seconds, wants_curve
    from recommender.prepare import prepare
    from recommender.report.assemble import build_report, splits_sizes
    from recommender.report.files import write_reports
    from recommender.search.engine import (
        OUTCOME_FILE,
        TRIAL_RUNS,
        Budget,
        best_trials,
        check_jobs,
        engine_for,
        search,
    )
    from recommender.search.queue import job_queue
    from recommender.search.workers import local_workers
    from recommender.space import load_space
    from recommender.yardsticks import yardsticks_against

    check_jobs(jobs, config.engine)
    clock = RunClock(config.time_budget)
    clock.begin("read and profile")
    space = load_space(config.space)
    dataset, splits = _load_splits(config)
    inputs = _config_inputs(config, dataset)
    labels = inputs.dataset.labels
    corpus = _domain_corpus(config.unlabeled, config, inputs, splits) if config.unlabeled else None
    resumed = run_lock.enter_context(open_run(config))  # once the inputs are known usable
    run_dir = config.run_dir
    # --jobs: the workers start now, so that loading their backend overlaps the profiling
    searched = (run_dir / OUTCOME_FILE).exists()  # a resumed run whose search is over
    helpers = run_lock.enter_context(local_workers(run_dir, 1 if searched else jobs))
    events("run", {"dir": str(run_dir), "resumed": resumed})
    domain: dict[str, Any] | None = None
    if corpus is not None:
        inputs, domain = _with_domain_vectors(config, inputs, splits, corpus, events)
    data_profile = profile_dataset(  # the run's split: key words and probe see training only
        config.data, inputs.tokens, labels, inputs.vectors, inputs.dataset.warnings, splits
    )
    data_profile = _with_rules(data_profile, inputs)
    write_json(run_dir / "profile.json", data_profile.to_dict())
    events("profile", {"profile": data_profile})

    clock.begin("prepare")
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
    clock.begin("search")
    engine = engine_for(config.engine, run_dir, config.storage)
    queue = job_queue(engine)
    if queue is not None:
        queue.set_state("pending")  # workers wait for the evidence once the search is over
    outcome = search(
        engine,
        run_dir,
        prepared,
        candidates,
        space,
        Budget(
            trials_per_candidate,
            None if config.time_budget is None else clock.left(),
            reserve_rounds=reserve_rounds(config.seeds, jobs, len(candidates)),
        ),
        seed=config.seed,
        on_trial=lambda record: events("trial", {"record": record}),
        helpers=helpers,
    )
    records = list(outcome.records)
    write_json(run_dir / "trials.json", [r.to_dict() for r in records])
    finalists = best_trials(records)
    redrawn = redraws(data_profile.regime, splits)
    spread = None  # the workers hold the run's own split only: a redrawn one stays here
    if queue is not None:
        queue.set_state("open" if finalists and not redrawn else "over")
        if finalists and not redrawn:
            spread = Spread(queue, lambda: helpers is None or not helpers.alive(), prepared)
    if helpers is not None and spread is None:
        helpers.stop()  # they leave as the search ends
    if not finalists:
        raise UserError(
            "no trial of any strategy completed", fix="see trials.json for the errors, or --debug"
        )

    seeds = [config.seed + offset for offset in range(config.seeds)]
    events("evidence", {"total": len(finalists) * len(seeds)})
    clock.begin("evidence")
    truth = prepared.y["test"]

    def prepared_for(repetition: int) -> Prepared:
        if not redrawn or repetition == 0:
            return prepared
        return prepare(
            inputs.tokens,
            labels,
            redraw(splits, np.asarray(labels), repetition, config.seed),
            inputs.vectors,
            max_vocabulary=config.max_vocabulary,
            max_length=config.max_length,
            seed=config.seed,
        )

    def undecided(evidence: list[CandidateEvidence]) -> tuple[str, ...]:
        return decide(evidence, truth, min_effect=config.min_effect, seed=config.seed).undecided()

    from_search = trial_runs(run_dir / TRIAL_RUNS, finalists, records, config.seed)
    evidence = gather_until_decided(
        finalists,
        prepared_for,
        space,
        repetitions=config.seeds,
        more=config.more_seeds,
        seed=config.seed,
        cache_dir=run_dir / "evidence",
        undecided=undecided,
        on_run=lambda key, run: events("seed_run", {"candidate": key, "run": run}),
        on_more=lambda keys, total: events("more_evidence", {"candidates": keys, "total": total}),
        clock=clock,
        spread=spread,
        known=from_search,
    )
    if queue is not None:
        queue.set_state("over")
    if helpers is not None and spread is not None:
        helpers.stop()  # they leave as the evidence ends
    recommendation = decide(evidence, truth, min_effect=config.min_effect, seed=config.seed)
    chosen = next(e for e in evidence if e.candidate == recommendation.recommended)
    yardsticks = []
    if config.yardsticks:
        events("yardsticks", {})
        clock.begin("yardsticks")
        yardsticks = yardsticks_against(
            inputs.dataset.texts,
            splits,
            prepared,
            chosen,
            min_effect=config.min_effect,
            seed=config.seed,
            rules=inputs.rules,
        )
    curve = None
    if wants_curve(config.learning_curve, data_profile.regime) and not clock.covers(
        needed := curve_seconds(evidence, config.seeds)
    ):
        clock.skip("learning curve", needed)
    elif wants_curve(config.learning_curve, data_profile.regime):
        events("learning_curve", {"total": len(FRACTIONS) * len(evidence)})
        clock.begin("learning curve")
        curve = curve_report(
            evidence,
            recommendation.recommended,
            inputs.dataset.texts,
            inputs.tokens,
            labels,
            splits,
            inputs.vectors,
            space,
            seeds=seeds,
            max_vocabulary=config.max_vocabulary,
            max_length=config.max_length,
            cache_dir=run_dir / "learning_curve",
            with_yardstick=config.yardsticks,
            on_point=lambda point: events("curve_point", {"point": point}),
            rules=inputs.rules,
        )

    events("export", {"candidate": recommendation.recommended})
    clock.begin("final model and export")
    members = members_within(
        clock,
        final_trainings(Candidate.from_key(chosen.candidate), config.final_models),
        max(run.train_seconds for run in chosen.runs),
    )
    model_summary = export_final_model(
        config,
        space,
        inputs,
        splits,
        chosen,
        run_dir / "model",
        export_vocab=export_vocab,
        members=members,
    )
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
        yardsticks=yardsticks,
        search=outcome.summary(),
        extra={
            "per_class": per_class_results(prepared.y["test"], chosen.runs, prepared.classes),
            "learning_curve": curve,
            "explanation": explain(recommendation, data_profile.to_dict()),
            "evidence_method": method_words(
                max(len(e.runs) for e in evidence),
                redrawn,
                "test" in splits.fixed,
                spread is not None,
                [e.candidate for e in from_search],
            ),
            "time_budget": clock.summary(),
            "stage_seconds": clock.stage_seconds(),
            "stage_peak_gib": clock.stage_peak_gib(),
            "domain_vectors": None
            if domain is None
            else domain_verdict(
                domain, evidence, prepared.y["test"], min_effect=config.min_effect, seed=config.seed
            ),
        },
        seconds=clock.elapsed(),
    )
    write_reports(run_dir, report)
    write_model_card(run_dir / "model", report)
    events("done", {"report": report})
    return RunResult(
        config, data_profile, tuple(evidence), recommendation, run_dir / "model", report
    )


def export_final_model(
    config: RunConfig,
    space: SearchSpace,
    inputs: Inputs,
    splits: Splits,
    chosen: CandidateEvidence,
    model_dir: Path,
    *,
    export_vocab: int,
    members: int,
) -> dict[str, Any]:
    """Retrain a finalist for the median best epoch of its evidence runs and export it into
    `model_dir`; returns report.json's "model" section. `recommend()` and `export()` both go
    through here, so a runner-up is exported exactly as the winner is. With `members` above 1
    it is retrained that many times, with seeds `config.seed`, `config.seed + 1`, ..., and the
    exported model averages their probabilities (`models.final_trainings` says how many a
    candidate takes: tf-idf's is one).

    With `--final all` (the default) it trains on every labelled document, test split included
    (a user's own `--test` file excepted): the evidence has already measured the option, and on
    small data a fifth more labels is accuracy the user paid for. Its expected accuracy is then
    the evidence's. `--final holdout` keeps the test split out and scores the model on it."""
    import keras

    from recommender.export import export_model

    parts = final_parts(config, splits)
    candidate = Candidate.from_key(chosen.candidate)
    seeds = list(range(config.seed, config.seed + members))
    final, models = train_final_models(config, space, inputs, splits, chosen, seeds)
    vectors = next((v for v in inputs.vectors if v.name == candidate.vectors), None)
    exported = export_model(
        models,
        final.vocabulary,
        final.sequence_length,
        final.classes,
        model_dir,
        test_texts=[inputs.dataset.texts[i] for i in splits.test],
        test_labels=final.y["test"],
        rules=inputs.rules,
        vectors=vectors,
        extension_limit=export_vocab,
        details={"candidate": chosen.candidate, "config": chosen.config},
        held_out="test" not in parts,
    )
    place = _relative(model_dir, config.run_dir)
    return {
        "path": f"{place}/model.keras",
        "saved_model": f"{place}/saved_model",
        "labels": f"{place}/labels.json",
        "card": f"{place}/model_card.md",
        "candidate": chosen.candidate,
        "config": chosen.config,
        "trained_on": "+".join(parts),
        "documents": int(sum(len(getattr(splits, part)) for part in parts)),
        "expected_accuracy": chosen.accuracy_mean,
        "backend": keras.backend.backend(),
        "epochs": chosen.median_best_epoch,
        "member_seeds": seeds,
        "vocabulary_size": len(final.vocabulary.words),
        "exported_vocabulary_size": exported.vocabulary_size,
        "sequence_length": final.sequence_length,
        "tokenizer": inputs.rules.as_dict(),
        "vectors": None
        if vectors is None
        else {"name": vectors.name, "source": vectors.source, "licence": vectors.licence},
        "test_accuracy": exported.test_accuracy,
        "raw_text_vs_token_ids_max_abs_diff": exported.max_abs_diff,
        "vocabulary_extension": exported.extension,
        "model_bytes": exported.model_bytes,
        "saved_model_bytes": exported.saved_model_bytes,
    }


def train_final_models(
    config: RunConfig,
    space: SearchSpace,
    inputs: Inputs,
    splits: Splits,
    chosen: CandidateEvidence,
    seeds: Sequence[int],
) -> tuple[Prepared, list[Any]]:
    """The final model's preparation (on `final_parts`) and one training of the finalist per
    seed, each for the median best epoch of its evidence runs: what `export_final_model` exports
    and `benchmarks/bench_members.py` scores."""
    from recommender.prepare import prepare
    from recommender.search.trial import fit_candidate

    parts = final_parts(config, splits)
    final = prepare(
        inputs.tokens,
        inputs.dataset.labels,
        splits,
        inputs.vectors,
        fit_on=parts,
        max_vocabulary=config.max_vocabulary,
        max_length=config.max_length,
        seed=config.seed,
    )
    candidate = Candidate.from_key(chosen.candidate)
    models = [
        fit_candidate(
            candidate,
            chosen.config,
            final,
            seed=seed,
            max_epochs=chosen.median_best_epoch,
            patience=space.patience,
            batch_size=space.batch_size,
            epoch_tokens=space.epoch_tokens,
            train_splits=parts,
            fixed_epochs=chosen.median_best_epoch,
        ).model
        for seed in seeds
    ]
    return final, models


def final_parts(config: RunConfig, splits: Splits) -> tuple[str, ...]:
    """The splits the exported model trains on: all of them with `--final all`, except a test
    split the user gave as a file (it is their benchmark's; its score must stay honest)."""
    if config.final == "all" and "test" not in splits.fixed:
        return ("train", "validation", "test")
    return ("train", "validation")


def _relative(path: Path, run_dir: Path) -> str:
    """A path inside the run directory relative to it (as report.json names files), else whole."""
    resolved = path.resolve()
    if resolved.is_relative_to(run_dir.resolve()):
        return resolved.relative_to(run_dir.resolve()).as_posix()
    return str(resolved)


def export(
    run_dir: str | Path,
    candidate: str,
    *,
    out: str | Path | None = None,
    export_vocab: int = DEFAULT_EXTENSION,
    events: Events = _quiet,
) -> Path:
    """Export a finalist of a finished run other than (or as well as) the recommended one.

    `candidate` is its key in report.json's evidence (`learned`, `frozen:glove-6b-50d`, ...). It
    is retrained from the run's config.json and its evidence configuration into
    RUN_DIR/model-<key> (or `out`), as `recommend()` trains the winner; returns that folder.
    The run directory stays locked against other processes until the export ends."""
    with ExitStack() as run_lock:
        return _export(run_dir, candidate, out, export_vocab, events, run_lock)


def _export(
    run_dir: str | Path,
    candidate: str,
    out: str | Path | None,
    export_vocab: int,
    events: Events,
    run_lock: ExitStack,
) -> Path:
    from collections import Counter

    from recommender.export import check_model_dir, write_model_card
    from recommender.space import load_space

    run = Path(run_dir)
    config, report = _finished_run(run)
    run_lock.enter_context(lock_run(run))
    entries = {entry["candidate"]: entry for entry in report["evidence"]}
    if candidate not in entries:
        raise UserError(
            f"'{candidate}' is not a finalist of this run; the finalists are " + ", ".join(entries),
            where=str(run / "report.json"),
            fix="pass --strategy with one of those names",
        )
    space = load_space(config.space)
    if json.loads(json.dumps(space.to_dict())) != report["search"]["space"]:
        raise ConfigError(
            "the search space has changed since the run",
            where=config.space,
            fix="restore the file the run used (report.json keeps its content)",
        )
    for path in (config.data, config.validation, config.test):
        if path is not None and not Path(path).exists():
            raise DataError(
                "the run's data file is not found",
                where=path,
                fix="run embrec export from the folder the run was started in, or restore the file",
            )
    dataset, splits = _load_splits(config)
    inputs = _config_inputs(config, dataset)
    if dict(sorted(Counter(inputs.dataset.labels).items())) != report["profile"]["class_counts"]:
        raise DataError(
            "the data has changed since the run (its class counts differ from report.json)",
            where=config.data,
            fix="restore the data the run used, or start a new run",
        )
    if config.unlabeled:
        corpus = _domain_corpus(config.unlabeled, config, inputs, splits)
        inputs = _with_domain_vectors(config, inputs, splits, corpus, events)[0]
    model_dir = Path(out) if out is not None else run / f"model-{candidate.replace(':', '-')}"
    check_model_dir(model_dir)
    events("export", {"candidate": candidate})
    model = export_final_model(
        config,
        space,
        inputs,
        splits,
        _evidence_from_dict(entries[candidate]),
        model_dir,
        export_vocab=export_vocab,
        members=final_trainings(Candidate.from_key(candidate), config.final_models),
    )
    write_model_card(model_dir, {**report, "model": model})
    return model_dir


def _load_splits(config: RunConfig) -> tuple[Dataset, Splits]:
    """The run's data and splits: DATA plus its --validation/--test files (`load_splits`)."""
    return load_splits(
        config.data,
        test=config.test,
        validation=config.validation,
        text_column=config.text_column,
        label_column=config.label_column,
        test_fraction=config.test_fraction,
        validation_fraction=config.validation_fraction,
        seed=config.seed,
    )


def _finished_run(run: Path) -> tuple[RunConfig, dict[str, Any]]:
    """The saved configuration (pointing at `run`, wherever it now is) and report of a run."""
    from recommender.config import CONFIG_FILE

    if not (run / CONFIG_FILE).is_file():
        raise UserError(
            f"not an embrec run directory (no {CONFIG_FILE})",
            where=str(run),
            fix="pass the --out folder of an embrec recommend run",
        )
    if not (run / "report.json").is_file():
        raise UserError(
            "the run has not finished (no report.json)",
            where=str(run),
            fix="rerun its embrec recommend command to finish it",
        )
    try:
        config = RunConfig.from_dict(json.loads((run / CONFIG_FILE).read_text()))
        report = json.loads((run / "report.json").read_text())
    except (ValueError, KeyError, TypeError):
        raise ConfigError(
            "holds a config.json or report.json that embrec cannot read",
            where=str(run),
            fix="pass the folder of a finished run",
        ) from None
    return replace(config, out=str(run)), report


def _evidence_from_dict(entry: dict[str, Any]) -> CandidateEvidence:
    """A finalist's evidence from its report.json entry."""
    from recommender.evidence import Cost, SeedRun

    runs = tuple(
        SeedRun(**{**run, "predictions": tuple(run["predictions"])}) for run in entry["runs"]
    )
    return CandidateEvidence(entry["candidate"], entry["config"], runs, Cost(**entry["cost"]))


def _domain_corpus(unlabeled: str, config: RunConfig, inputs: Inputs, splits: Splits) -> Corpus:
    """The `--unlabeled` corpus, checked before the run starts (see `pretrain.run_corpus`)."""
    texts = inputs.dataset.texts
    return run_corpus(unlabeled, config.data, [texts[i] for i in splits.train])


def _with_domain_vectors(
    config: RunConfig, inputs: Inputs, splits: Splits, corpus: Corpus, events: Events
) -> tuple[Inputs, dict[str, Any]]:
    """Domain vectors pretrained on `corpus` as one more vectors source. Every line of the
    validation and test texts is kept out of the corpus: the test split scores the options, and
    the validation split picks their hyperparameters, so neither may shape the vectors."""
    texts = inputs.dataset.texts
    held_out = [texts[i] for i in np.concatenate([splits.validation, splits.test])]
    events("pretrain", {"corpus": corpus.origin})
    vectors, summary = domain_vectors(
        corpus,
        held_out,
        set(inputs.tokens.words),
        config.run_dir / "domain",
        settings=Settings(seed=config.seed),
        rules=inputs.rules,
        on_progress=lambda phase, done, total, rate: events(
            "pretrain_progress", {"phase": phase, "done": done, "total": total, "rate": rate}
        ),
    )
    if vectors.name in {v.name for v in inputs.vectors}:
        raise ConfigError(
            f"a --vectors source is already named '{vectors.name}'", fix="rename that file"
        )
    events("pretrained", {"summary": summary})
    return replace(inputs, vectors=(*inputs.vectors, vectors)), summary


def rerender(run_dir: str | Path) -> dict[str, Any]:
    """Rewrite report.md and report.html from a finished run's report.json (no training)."""
    from recommender.report.assemble import REPORT_SCHEMA_VERSION
    from recommender.report.files import write_reports

    path = Path(run_dir) / "report.json"
    if not path.is_file():
        raise UserError(
            "no report.json found",
            where=str(run_dir),
            fix="pass the directory of a finished `embrec recommend` run, or rerun it to finish",
        )
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        if report.get("schema_version") != REPORT_SCHEMA_VERSION:
            raise ValueError
    except ValueError:
        raise UserError(
            f"report.json is not an embrec report of schema version {REPORT_SCHEMA_VERSION}",
            where=str(path),
            fix="rerun `embrec recommend` with the same options to rebuild it",
        ) from None
    write_reports(Path(run_dir), report)
    return report


def predict(
    model_dir: str | Path,
    texts: Sequence[str],
    *,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[list[str], np.ndarray]:
    """(labels, probabilities) for raw texts, from an exported model directory;
    `on_batch(count)` hears of each batch done (for a progress bar)."""
    import keras

    import recommender.keras_text  # noqa: F401  (registers the unicode rules' standardize step)
    from recommender.export import predict_texts

    labels, model_file = _exported(Path(model_dir))
    model = keras.models.load_model(model_file)
    return labels, predict_texts(model, list(texts), on_batch=on_batch)


def predict_file(
    model_dir: str | Path,
    input_path: str | Path,
    output_path: str | Path,
    *,
    text_column: str | None = None,
    top_k: int = 1,
    events: Events = _quiet,
) -> int:
    """Classify every text of a file (see `recommender.data.load_texts`) and write a CSV of
    text, label, probability (and the next `top_k - 1` labels) atomically; returns the count."""
    from recommender.data import load_texts
    from recommender.export import check_top_k, predictions_csv

    labels, _ = _exported(Path(model_dir))
    check_top_k(top_k, len(labels))
    texts = load_texts(Path(input_path), text_column)
    events("predict", {"total": len(texts)})
    labels, probabilities = predict(
        model_dir, texts, on_batch=lambda count: events("predicted", {"count": count})
    )
    write_text(Path(output_path), predictions_csv(texts, labels, probabilities, top_k))
    return len(texts)


def _exported(directory: Path) -> tuple[list[str], Path]:
    """The class labels and model file of an exported model folder."""
    from recommender.export import LABELS_FILE, MODEL_FILE

    if not (directory / MODEL_FILE).is_file():
        raise UserError(
            f"no {MODEL_FILE} found", where=str(directory), fix="pass the model/ folder of a run"
        )
    return json.loads((directory / LABELS_FILE).read_text())["labels"], directory / MODEL_FILE
