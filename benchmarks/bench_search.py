"""How much faster embrec's search is than the same search written naively, in one run.

embrec: `recommend` on the data with the given space (learning curve off), timed from the start
of the search to its end (the search stage) and from start to recommendation (the whole run).
Its search preprocesses once (read, tokenise, vocabulary, padded ids, embedding matrices) and
every trial reuses that; trials stop at convergence (early stopping, best weights kept) and
hopeless ones are pruned (median pruner).

naive: the very configurations embrec's search sampled, in the same order, each trained the way a
hand-written loop would: read the file, tokenise, split, read the vectors it needs (no cache),
build the vocabulary, ids and matrix again, then one Keras `fit` on the ids padded to the run's
length (Keras' default compile settings, batches shuffled by Keras) for the space's full
`max_epochs`, with no pruning and no early stopping (the best epoch's validation accuracy is
kept, as embrec keeps it). Same models (`build_model`), batch size, epochs and seeds per trial.
What embrec adds on top: preprocessing once, early stopping, pruning, batches cut to their
longest text (`recommender/batches.py`), several steps per backend call and Adam applied by
TensorFlow's fused kernel (`recommender/optimizers.py`; the naive loop uses Keras' Adam).

Printed: trials per minute of each, the search-stage times and their ratio (the target is at
least 3x), the time to recommendation (naive: its search plus embrec's time after the search,
which is the same work), and whether the two searches pick the same best configuration per
strategy and the same best strategy.

    python benchmarks/bench_search.py [DATA] [--space quick] [--workdir DIR] [--limit N]

DATA defaults to MR (../shared/data/datasets/mr/rt-polarity.all). `--limit N` replays only the
first N trials naively (the ratio then compares per-trial times).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
MR = SHARED / "datasets" / "mr" / "rt-polarity.all"


def run_embrec(data: Path, space: str, out: Path, jobs: int) -> dict[str, Any]:
    """One `recommend` run, with the clock read at each stage it announces."""
    from recommender.api import recommend
    from recommender.config import RunConfig

    marks: dict[str, float] = {}

    def events(kind: str, payload: dict[str, Any]) -> None:
        marks.setdefault(kind, time.perf_counter())

    started = time.perf_counter()
    result = recommend(
        RunConfig(data=str(data), out=str(out), space=space, seed=0, learning_curve=False),
        events,
        jobs=jobs,
    )
    ended = time.perf_counter()
    return {
        "report": result.report,
        "search_seconds": marks["evidence"] - marks["search"],
        "total_seconds": ended - started,
    }


def naive_trial(
    data: Path, config_run: dict[str, Any], trial: dict[str, Any], space: Any, seed: int
) -> float:
    """One trial done from scratch; returns its best validation accuracy."""
    from recommender.data import load_dataset, split
    from recommender.models import Candidate
    from recommender.prepare import prepare
    from recommender.text import tokenize_all
    from recommender.vectors import load_vectors

    dataset = load_dataset(str(data))
    tokens = tokenize_all(dataset.texts)
    splits = split(
        dataset.labels,
        test_fraction=config_run["test_fraction"],
        validation_fraction=config_run["validation_fraction"],
        seed=config_run["seed"],
    )
    candidate = Candidate.from_key(trial["candidate"])
    vectors = []
    if candidate.pretrained:
        needed = {token for document in tokens for token in document}
        loaded = (load_vectors(name, needed, cache=False) for name in config_run["vectors"])
        vectors = [source for source in loaded if source.name == candidate.vectors]
    prepared = prepare(
        tokens,
        dataset.labels,
        splits,
        vectors,
        max_vocabulary=config_run["max_vocabulary"],
        max_length=config_run["max_length"],
        seed=config_run["seed"],
    )
    return naive_fit(candidate, trial["config"], prepared, seed, space.max_epochs, space.batch_size)


def naive_fit(
    candidate: Any, config: dict[str, Any], prepared: Any, seed: int, epochs: int, batch_size: int
) -> float:
    """A plain Keras loop: every epoch on the padded arrays; the best validation accuracy."""
    import keras

    from recommender.models import build_model, warmup_epochs
    from recommender.search.trial import phases

    keras.utils.set_random_seed(seed)
    model = build_model(
        candidate,
        config,
        vocabulary_size=len(prepared.vocabulary),
        num_classes=len(prepared.classes),
        embedding_matrix=prepared.matrices.get(candidate.vectors) if candidate.vectors else None,
        covered=prepared.covered.get(candidate.vectors) if candidate.vectors else None,
    )
    best = 0.0
    for first, last in phases(warmup_epochs(candidate, config), epochs):
        if first:
            model.get_layer("embedding").trainable = True
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=float(config["learning_rate"])),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        history = model.fit(
            prepared.x["train"],
            prepared.y["train"],
            validation_data=(prepared.x["validation"], prepared.y["validation"]),
            initial_epoch=first,
            epochs=last,
            batch_size=batch_size,
            shuffle=True,
            verbose=0,
        )
        best = max(best, *history.history["val_accuracy"])
    return best


def _same_trials(first: dict[str, Any], other: dict[str, Any]) -> str:
    """Whether two runs sampled the same configurations and reached the same states, and how
    far apart their validation accuracies are."""
    ones, others = (run["report"]["search"]["trials"] for run in (first, other))
    keys = ("candidate", "slot", "state", "config")
    if [[t[k] for k in keys] for t in ones] != [[t[k] for k in keys] for t in others]:
        return "no"
    gaps = [
        abs(a["value"] - b["value"])
        for a, b in zip(ones, others, strict=True)
        if a["value"] is not None and b["value"] is not None
    ]
    return f"yes (validation accuracies within {max(gaps, default=0.0):.4f})"


def best_by_candidate(values: Sequence[tuple[str, int, float]]) -> dict[str, tuple[int, float]]:
    """candidate -> (position of its best trial, best value); ties keep the earlier trial."""
    best: dict[str, tuple[int, float]] = {}
    for candidate, position, value in values:
        if candidate not in best or value > best[candidate][1]:
            best[candidate] = (position, value)
    return best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=MR)
    parser.add_argument("--space", default="quick")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="replay only N trials naively")
    parser.add_argument(
        "--jobs", type=int, nargs="+", default=[1, 2], help="embrec runs, one per --jobs value"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from recommender.space import load_space

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    print(f"data: {args.data}; space: {args.space}; cpus: {os.cpu_count()}; work: {workdir}")

    runs = {}
    for jobs in args.jobs:
        runs[jobs] = run_embrec(args.data, args.space, workdir / f"embrec-jobs-{jobs}", jobs)
        trials = [t for t in runs[jobs]["report"]["search"]["trials"] if t["config"]]
        print(
            f"embrec --jobs {jobs}: {len(trials)} trials "
            f"({sum(t['state'] == 'pruned' for t in trials)} pruned) in "
            f"{runs[jobs]['search_seconds']:.0f} s; whole run {runs[jobs]['total_seconds']:.0f} s; "
            f"same trials as --jobs {args.jobs[0]}: {_same_trials(runs[args.jobs[0]], runs[jobs])}"
        )
    ours = runs[args.jobs[0]]
    report = ours["report"]
    trials = [t for t in report["search"]["trials"] if t["config"]]
    replay = trials[: args.limit] if args.limit else trials
    space = load_space(args.space)

    naive_values = []
    started = time.perf_counter()
    per_candidate: dict[str, int] = {}
    for position, trial in enumerate(replay):
        slot = per_candidate.get(trial["candidate"], 0)
        per_candidate[trial["candidate"]] = slot + 1
        seed = report["config"]["seed"] + slot
        value = naive_trial(args.data, report["config"], trial, space, seed)
        naive_values.append((trial["candidate"], position, value))
        print(f"  naive {position + 1}/{len(replay)} {trial['candidate']}: {value:.3f}")
    naive_seconds = time.perf_counter() - started

    naive_per_trial = naive_seconds / len(replay)
    per_trial = {jobs: run["search_seconds"] / len(trials) for jobs, run in runs.items()}
    columns = [f"--jobs {jobs}" for jobs in runs] + ["naive"]
    print()
    print(f"{'':24}" + "".join(f" {column:>10}" for column in columns))
    print(f"{'trials':24}" + f" {len(replay):>10}" * len(columns))
    rates = [60 / seconds for seconds in (*per_trial.values(), naive_per_trial)]
    print(f"{'trials per minute':24}" + "".join(f" {rate:>10.2f}" for rate in rates))
    searched = [seconds * len(replay) for seconds in per_trial.values()]  # the replayed trials
    print(f"{'search seconds':24}" + "".join(f" {s:>10.0f}" for s in (*searched, naive_seconds)))
    rest = ours["total_seconds"] - ours["search_seconds"]  # profile, evidence, export: shared
    if not args.limit:
        totals = [run["total_seconds"] for run in runs.values()] + [naive_seconds + rest]
        print(f"{'to recommendation, s':24}" + "".join(f" {t:>10.0f}" for t in totals))
    for jobs, seconds in per_trial.items():
        print(
            f"speed-up of the search, --jobs {jobs}: {naive_per_trial / seconds:.1f}x (target: 3x)"
        )

    ours_values = [
        (t["candidate"], position, t["value"])
        for position, t in enumerate(replay)
        if t["state"] == "complete" and t["value"] is not None
    ]
    ours_best = best_by_candidate(ours_values)
    naive_best = best_by_candidate(naive_values)
    for candidate in sorted(naive_best):
        mine = ours_best.get(candidate)
        same = mine is not None and mine[0] == naive_best[candidate][0]
        print(
            f"{candidate:28} best trial embrec #{mine[0] if mine else '-'} "
            f"({mine[1] if mine else float('nan'):.3f}), naive #{naive_best[candidate][0]} "
            f"({naive_best[candidate][1]:.3f}): {'same' if same else 'different'}"
        )
    top_ours = max(ours_best, key=lambda c: ours_best[c][1])
    top_naive = max(naive_best, key=lambda c: naive_best[c][1])
    print(
        f"best strategy by validation: embrec {top_ours}, naive {top_naive}: "
        f"{'same' if top_ours == top_naive else 'different'}; "
        f"embrec recommended {report['recommendation']['recommended']}"
    )


if __name__ == "__main__":
    main()
