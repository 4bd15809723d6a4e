"""embrec against the tools a user would pick instead, on the same splits, in one run.

The fixed splits of ../shared/ANCHORS.md (written by `../shared/data/given_splits.py` into
WORKDIR/splits): TREC's official train and test files; MR, CR and SMS stratified 80/20 with
seed 0; and with `--datasets tweets`, TweetEval emoji's official train and test splits (45,000
and 50,000 tweets, 20 classes; no ground truth in ANCHORS.md). Every tool trains on train.csv
only and is scored once on test.csv, so its figures sit beside the measured ground truth there:

    embrec SPACE      the default command as a user runs it (`embrec recommend train.csv`, plus
                      `--space SPACE` for another space than quick), then `embrec predict` of the
                      exported model on test.csv: the run as `bench_verdicts.py` makes it (a run
                      folder in WORKDIR is shared with it and reused); one exported model, and the
                      run's seconds to recommendation
    tfidf-logreg      embrec's yardstick: TF-IDF word 1-2 grams (sublinear tf) + logistic
                      regression, C by 5-fold CV, on embrec's unicode tokens with punctuation
                      marks kept as tokens, as ANCHORS.md's regex and fastText's tutorial keep
                      them (with marks dropped it scored 30.9 on tweets, 41.8 with them: a
                      mark left where an emoji was removed tells the class)
    fasttext          fastText supervised, dimension 50, on text lowercased and split
                      as its tutorial does (punctuation kept as tokens): its defaults (5 epochs)
                      and its tutorial's settings (25 epochs, lr 1.0, word bigrams), each
                      without and with the built-in GloVe 6B 50d vectors as -pretrainedVectors;
                      its training file shuffled; its default threads; 3 seeds. The fastText
                      build for NumPy 2 stops with "Encountered NaN" in many runs here, at any
                      thread count and at dimension 50 too: such a run is retried with another
                      seed, up to 20 tries, and the retries counted
    autokeras         AutoKeras TextClassifier with as many trials as embrec's search ran, at most
                      the space's epochs per trial, validated on 10% of train.csv (stratified)

    python benchmarks/bench_peers.py [--datasets mr trec cr sms] [--spaces quick]
        [--tools embrec tfidf fasttext autokeras] [--workdir DIR] [--json FILE]
        (--datasets also takes tweets)

fastText and AutoKeras come from the `bench` extra (`pip install -e ".[bench]"`); a tool that
is not installed is reported as such and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_verdicts import (  # noqa: E402  (beside this file)
    FURTHER,
    SETS,
    recommended,
    run_set,
    write_further_splits,
)

SEEDS = (0, 1, 2)
# fastText's tutorial preprocessing: lowercase, punctuation split off as its own tokens
FASTTEXT_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
FASTTEXT_SETTINGS = {
    "defaults": {"epoch": 5},
    "tutorial": {"epoch": 25, "lr": 1.0, "wordNgrams": 2},
}


@dataclass
class Score:
    """One tool on one dataset: test accuracies (one per seed) and wall time."""

    tool: str
    dataset: str
    accuracies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.accuracies) if self.accuracies else None

    @property
    def sd(self) -> float:
        return statistics.stdev(self.accuracies) if len(self.accuracies) > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "dataset": self.dataset,
            "accuracies": self.accuracies,
            "mean": self.mean,
            "sd": self.sd,
            "seconds": self.seconds,
            "note": self.note,
        }


@dataclass(frozen=True)
class Task:
    """A dataset's fixed split read once, shared by every tool."""

    name: str
    splits: Path  # the folder holding NAME/train.csv and NAME/test.csv
    texts: list[str]  # train.csv's rows, then test.csv's
    labels: list[str]
    train: np.ndarray
    test: np.ndarray

    def rows(self, indices: np.ndarray) -> tuple[list[str], list[str]]:
        return [self.texts[i] for i in indices], [self.labels[i] for i in indices]


def load_task(name: str, splits: Path) -> Task:
    from recommender.data import load_splits

    folder = splits / name
    dataset, parts = load_splits(folder / "train.csv", test=folder / "test.csv")
    return Task(
        name,
        splits,
        list(dataset.texts),
        list(dataset.labels),
        np.concatenate([parts.train, parts.validation]),
        parts.test,
    )


def run_embrec(task: Task, space: str, workdir: Path) -> tuple[Score, int, int]:
    """(score of the exported model, trials the search ran, the space's max epochs)."""
    extra = [] if space == "quick" else ["--space", space]
    slug = "current" if not extra else f"current-{Path(space).stem}"
    code = {
        "label": "current",
        "slug": slug,
        "command": [str(Path(sys.executable).with_name("embrec"))],
        "env": {},
        "cwd": None,
    }
    row = run_set(task.name, code, task.splits, workdir, extra, fresh=False)
    report = json.loads((Path(row["run"]) / "report.json").read_text())
    score = Score(
        f"embrec {Path(space).stem}",
        task.name,
        [row["exported"] / 100],
        row["seconds"],
        f"{recommended(row)}, {len(report['search']['trials'])} trials",
    )
    space_epochs = int(report["search"]["space"]["search"]["max_epochs"])
    return score, len(report["search"]["trials"]), space_epochs


def run_tfidf(task: Task) -> Score:
    from recommender.text import Rules
    from recommender.yardsticks import run_yardsticks

    train_texts, train_labels = task.rows(task.train)
    test_texts, test_labels = task.rows(task.test)
    classes = sorted(set(task.labels))
    index = {name: position for position, name in enumerate(classes)}
    started = time.perf_counter()
    tfidf = run_yardsticks(
        train_texts,
        np.array([index[label] for label in train_labels]),
        test_texts,
        np.array([index[label] for label in test_labels]),
        len(classes),
        seed=0,
        rules=Rules(punctuation="keep"),
    )[0]
    seconds = time.perf_counter() - started
    return Score("tfidf-logreg", task.name, [run.accuracy for run in tfidf.runs], seconds)


def fasttext_tokens(text: str) -> list[str]:
    return FASTTEXT_TOKEN.findall(text.lower())


def glove_vec_file(task: Task, workdir: Path) -> Path:
    """The built-in GloVe 6B 50d rows of the words fastText will see, as a `.vec` file with a
    header: fastText only reads vectors of words in its own dictionary, so the rest change
    nothing."""
    from recommender.vectors import load_vectors

    path = workdir / f"glove-{task.name}.vec"
    if path.exists():
        return path
    words = sorted({word for text in task.texts for word in fasttext_tokens(text)})
    vectors = load_vectors("glove-6b-50d", words)
    rows = []
    for word in words:
        vector, _ = vectors.lookup(word)
        if vector is not None and word.strip() and " " not in word:
            rows.append(word + " " + " ".join(f"{value:.5f}" for value in vector))
    path.write_text(f"{len(rows)} {vectors.dim}\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def run_fasttext(task: Task, setting: str, vectors: Path | None, workdir: Path) -> Score:
    import fasttext

    # fastText reads its file in order and does not shuffle; the splits are sorted, so a class
    # would come in one block (MR: all positive, then all negative) and training diverges
    fit = np.random.default_rng(0).permutation(task.train)
    train_file = workdir / f"fasttext-{task.name}.train"
    if not train_file.exists():
        texts, labels = task.rows(fit)
        train_file.write_text(
            "".join(
                f"__label__{label.replace(' ', '_')} {' '.join(fasttext_tokens(text))}\n"
                for text, label in zip(texts, labels, strict=True)
            ),
            encoding="utf-8",
        )
    test_texts, test_labels = task.rows(task.test)
    truth = [f"__label__{label.replace(' ', '_')}" for label in test_labels]
    options: dict[str, Any] = {"dim": 50, "verbose": 0, **FASTTEXT_SETTINGS[setting]}
    if vectors is not None:
        options["pretrainedVectors"] = str(vectors)
    name = f"fasttext {setting}" + (" + glove" if vectors else "")
    score = Score(name, task.name)
    retries = 0
    started = time.perf_counter()
    for seed in SEEDS:
        for attempt in range(20):
            try:
                model = fasttext.train_supervised(
                    input=str(train_file), seed=seed + 100 * attempt, **options
                )
                break
            except RuntimeError as error:  # "Encountered NaN."
                if "NaN" not in str(error) or attempt == 19:
                    raise
                retries += 1
        predicted = [model.predict(" ".join(fasttext_tokens(t)))[0][0] for t in test_texts]
        correct = [p == t for p, t in zip(predicted, truth, strict=True)]
        score.accuracies.append(float(np.mean(correct)))
    score.seconds = (time.perf_counter() - started) / len(SEEDS)
    score.note = f"{retries} NaN retries" if retries else ""
    return score


def run_autokeras(task: Task, trials: int, epochs: int, workdir: Path) -> Score:
    import autokeras as ak
    from sklearn.model_selection import train_test_split

    train, validation = train_test_split(
        task.train, test_size=0.1, random_state=0, stratify=[task.labels[i] for i in task.train]
    )
    train_texts, train_labels = task.rows(np.sort(train))
    validation_texts, validation_labels = task.rows(np.sort(validation))
    test_texts, test_labels = task.rows(task.test)
    classes = sorted(set(task.labels))
    index = {name: position for position, name in enumerate(classes)}

    def arrays(texts: list[str], labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return np.array(texts, dtype=str), np.array([index[label] for label in labels])

    started = time.perf_counter()
    classifier = ak.TextClassifier(
        max_trials=trials,
        overwrite=True,
        seed=0,
        directory=str(workdir / f"autokeras-{task.name}"),
    )
    classifier.fit(
        *arrays(train_texts, train_labels),
        validation_data=arrays(validation_texts, validation_labels),
        epochs=epochs,
        verbose=0,
    )
    predicted = np.asarray(classifier.predict(np.array(test_texts, dtype=str), verbose=0))
    predicted = predicted.reshape(len(test_texts), -1)[:, 0].astype(int)
    truth = np.array([index[label] for label in test_labels])
    return Score(
        "autokeras",
        task.name,
        [float(np.mean(predicted == truth))],
        time.perf_counter() - started,
        f"{trials} trials, at most {epochs} epochs",
    )


def guarded(tool: str, dataset: str, run: Callable[..., Score], *args: Any) -> Score:
    """`run(*args)`; a tool that is missing or fails is reported as such, and the benchmark
    goes on."""
    try:
        return run(*args)
    except ImportError as error:
        return Score(tool, dataset, note=f"not installed ({error.name})")
    except Exception as error:  # noqa: BLE001 - a peer's failure is a result to print
        return Score(tool, dataset, note=f"failed: {type(error).__name__}: {error}"[:160])


def print_table(scores: Sequence[Score], datasets: Sequence[str]) -> None:
    print()
    print(f"{'dataset':8} {'tool':28} {'test accuracy %':>16} {'seconds':>9}  note")
    for dataset in datasets:
        rows = [s for s in scores if s.dataset == dataset]
        for score in rows:
            accuracy = (
                "-" if score.mean is None else f"{100 * score.mean:.1f} +/- {100 * score.sd:.1f}"
            )
            print(f"{dataset:8} {score.tool:28} {accuracy:>16} {score.seconds:>9.1f}  {score.note}")
        peers = [s for s in rows if s.mean is not None and not s.tool.startswith("embrec")]
        best_peer = max(peers, key=lambda s: s.mean, default=None)  # type: ignore[arg-type,return-value]
        for ours in (s for s in rows if s.tool.startswith("embrec") and s.mean is not None):
            if best_peer is None:
                continue
            gap = 100 * (best_peer.mean - ours.mean)  # type: ignore[operator]
            where = "behind" if gap > 0 else "ahead of"
            print(
                f"{dataset:8} {ours.tool} is {abs(gap):.1f} points {where} the best peer "
                f"({best_peer.tool}, {100 * best_peer.mean:.1f}), in "  # type: ignore[operator]
                f"{ours.seconds / max(best_peer.seconds, 1e-9):.0f}x its time"
            )
    print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=SETS + FURTHER, default=list(SETS))
    parser.add_argument("--spaces", nargs="+", default=["quick"])
    parser.add_argument(
        "--tools",
        nargs="+",
        choices=["embrec", "tfidf", "fasttext", "autokeras"],
        default=["embrec", "tfidf", "fasttext", "autokeras"],
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the scores here")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="bench-peers-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    splits = workdir / "splits"
    subprocess.run([sys.executable, str(SHARED / "given_splits.py"), str(splits)], check=True)
    write_further_splits(splits)
    print(f"work directory: {workdir}; cpus: {os.cpu_count()}")
    scores: list[Score] = []

    def add(score: Score) -> None:
        scores.append(score)
        accuracy = "-" if score.mean is None else f"{100 * score.mean:.1f}"
        print(f"  {score.dataset}: {score.tool}: {accuracy} in {score.seconds:.1f} s {score.note}")
        if args.json:
            args.json.write_text(json.dumps([s.to_dict() for s in scores], indent=1))

    for name in args.datasets:
        task = load_task(name, splits)
        print(f"{name}: {len(task.train)} train / {len(task.test)} test documents")
        trials, epochs = 0, 8
        if "embrec" in args.tools:
            for space in args.spaces:
                try:
                    score, space_trials, space_epochs = run_embrec(task, space, workdir)
                except Exception as error:  # noqa: BLE001
                    score = Score(f"embrec {Path(space).stem}", name, note=f"failed: {error}"[:160])
                    space_trials, space_epochs = 0, epochs
                add(score)
                if not trials:  # AutoKeras gets the first space's trial count
                    trials, epochs = space_trials, space_epochs
        if "tfidf" in args.tools:
            add(guarded("tfidf-logreg", name, run_tfidf, task))
        if "fasttext" in args.tools:
            for setting in FASTTEXT_SETTINGS:
                for use_glove in (False, True):
                    tool = f"fasttext {setting}" + (" + glove" if use_glove else "")
                    vectors = glove_vec_file(task, workdir) if use_glove else None
                    add(guarded(tool, name, run_fasttext, task, setting, vectors, workdir))
        if "autokeras" in args.tools:
            add(guarded("autokeras", name, run_autokeras, task, trials or 12, epochs, workdir))
    print_table(scores, args.datasets)


if __name__ == "__main__":
    main()
