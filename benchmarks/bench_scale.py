"""How embrec's time and memory grow with the number of documents.

The IMDB training reviews (25k reviews of about 230 tokens, ../shared/data/datasets/imdb/) are
replicated to each size N (copy k of a review gets the token " copyk" appended, so copies are not
duplicates) and written once as a `label,text` CSV into `--workdir`. For each size, each stage
runs in a fresh subprocess, so its peak memory is its own (peak RSS from `os.wait4`, the child
and its descendants), with an empty vectors cache of its own, as a new user's:

- profile: `embrec profile DATA --json`, the CLI with its default vectors; wall seconds of the
  whole command (start-up included) and the profile's token count per second.
- prepare: what `recommend()` does before the search (load and split, tokenise and read the
  vectors' rows, profile, `prepare()`), called as `recommender.api` calls them with
  `RunConfig`'s defaults; seconds of that work (imports excluded), and its peak when the
  encoded arrays are ready (read in the process, `getrusage`): it then saves them in the workdir
  for the next stage, which reads every page of arrays that lie in a mapped file back in.
- epoch: one epoch of the quick space's pooling model and of its CNN model (its known-good
  first trials, learned embedding) through `fit_candidate(fixed_epochs=1)` on the training
  split, as every training in a run takes it: the next documents holding about the space's
  `epoch_tokens` (5M in quick), so past that an epoch's cost no longer grows with the data;
  seconds per epoch (the first, graph tracing included) and the epoch's tokens per second.
  Then the same epoch as a search trial or an evidence run takes it, scored on the validation
  documents the space's `validation_documents` leaves (all of them in code without it): "trial
  epoch s"; and the test split scored once at the padded width (Keras' `predict`) and once as
  the evidence scores it (`trial.predict_split`, in batches cut to their texts' length, where
  the code has it).
- linear (`--stages linear`, not in the default stages): the tf-idf option fitted on the
  training split as a search trial fits its first configuration (features, C by the held-out
  fifth, the final fit, the validation score); seconds and peak. Past `linear.FIT_TOKENS`
  training tokens the fit takes a stratified sample, so its peak stops growing with the data.
- recommend (`--recommend`, off by default): `embrec recommend DATA --out RUN --time-budget T`
  at `--recommend-sizes`; seconds to recommendation (report.json's) and peak, then each stage's
  seconds and the run's peak at its end (which stage raised it). The budget bounds
  the whole run, but what a verdict needs always runs (the search's first round, the evidence's
  first repetitions, the final model), so a short budget is overrun by that much: report.json's
  `time_budget` says by how much and what was left out.

Printed: one markdown table, a row per size (and per version of the code), then the ratios
between consecutive sizes: time ratio / size ratio (1.0 is linear) and memory ratio. The target:
time grows at most linearly (ratios within 1.2) and peak memory at 2.5M documents at most 4x
that at 250k. A stage that fails (out of memory: killed by signal 9) is a "failed" cell, with
the reason and its log listed under the tables.

    python benchmarks/bench_scale.py [--sizes 25000 250000] [--stages profile prepare epoch linear]
        [--workdir DIR] [--recommend] [--recommend-sizes 25000] [--time-budget 10m] [--jobs N]
        [--baseline GIT_REF] [--json FILE]

"current" is the code the venv runs. `--baseline REF` also runs every stage with the code of REF
(a temporary `git worktree`, same venv), stage by stage beside the current code, and prints the
current/baseline ratios. Time on 2 busy cores: `--sizes 5000 25000` took under 2 minutes
(`--baseline` doubles it), `--sizes 25000 250000 --stages profile prepare --baseline REF` 4
minutes, and `--sizes 250000 2500000 --stages profile prepare` 13 to 20 minutes (peaks of
0.8 and 1.0 GiB at 2.5M; its CSV is 3.4 GB, and the texts, token ids and encoded splits take
about 8 GB more of `$TMPDIR` while a stage runs); the epoch stage adds a few minutes a size.
Temporary arrays of 4 GB at 2.5M documents are deleted as each size ends.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
IMDB = SHARED / "datasets" / "imdb"
STAGES = ("profile", "prepare", "epoch", "linear")
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_verdicts import code_versions  # noqa: E402  (beside this file)

# Runs in a fresh interpreter with the code under test: `prepare DATA NPZ`, `epoch DATA NPZ` or
# `linear DATA NPZ`; prints one JSON line of its measures last.
CHILD = r"""
import json
import resource
import sys
import time

import numpy as np

stage, data, npz = sys.argv[1:4]


def prepared_arrays():
    # recommend()'s steps up to the prepared arrays, called as api._recommend calls them
    from recommender import api
    from recommender.config import RunConfig
    from recommender.prepare import prepare
    from recommender.profile import profile_dataset

    config = RunConfig(data=data, out="unused")
    marks = [time.perf_counter()]
    dataset, splits = api._load_splits(config)
    marks.append(time.perf_counter())
    inputs = api._config_inputs(config, dataset)
    marks.append(time.perf_counter())
    labels = inputs.dataset.labels
    profile = profile_dataset(
        config.data, inputs.tokens, labels, inputs.vectors, inputs.dataset.warnings, splits
    )
    api._with_rules(profile, inputs)
    marks.append(time.perf_counter())
    prepared = prepare(
        inputs.tokens,
        labels,
        splits,
        inputs.vectors,
        max_vocabulary=config.max_vocabulary,
        max_length=config.max_length,
        seed=config.seed,
    )
    marks.append(time.perf_counter())
    steps = ("load", "tokenise", "profile", "prepare")
    measures = {f"{step}_s": marks[i + 1] - marks[i] for i, step in enumerate(steps)}
    measures.update(
        seconds=marks[-1] - marks[0],
        tokens=len(inputs.tokens.ids),
        vocabulary=len(prepared.vocabulary),
        sequence_length=prepared.sequence_length,
    )
    return prepared, measures


if stage == "prepare":
    prepared, measures = prepared_arrays()
    # the peak up to here: saving reads every page of mapped arrays in, which a run does not
    measures["peak_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    arrays = {f"x_{name}": x for name, x in prepared.x.items()}
    arrays.update({f"y_{name}": y for name, y in prepared.y.items()})
    np.savez(
        npz,
        words=np.array(prepared.vocabulary.words),
        classes=np.array(prepared.classes),
        sequence_length=prepared.sequence_length,
        **arrays,
    )
    print(json.dumps(measures))
    sys.exit()

from recommender.batches import epoch_documents
from recommender.config import RunConfig
from recommender.models import Candidate
from recommender.prepare import Prepared
from recommender.search.trial import fit_candidate
from recommender.space import load_space

try:  # how the evidence scores its test split, where the code has it
    from recommender.search.trial import predict_split
except ImportError:
    predict_split = None
from recommender.text import Vocabulary

try:
    with np.load(npz) as f:
        splits = ("train", "validation", "test")
        prepared = Prepared(
            tuple(f["classes"].tolist()),
            Vocabulary(tuple(f["words"].tolist())),
            int(f["sequence_length"]),
            {name: f[f"x_{name}"] for name in splits},
            {name: f[f"y_{name}"] for name in splits},
            {},
            {},
        )
    measures = {"prepared": "loaded"}
except FileNotFoundError:  # the prepare stage did not run
    prepared, _ = prepared_arrays()
    measures = {"prepared": "here"}
space = load_space(RunConfig(data=data, out="unused").space)
x = prepared.x["train"]


def one_epoch_trial(strategy, config, **options):
    # one epoch as a search trial takes it: early stopping's scoring on validation included
    return fit_candidate(
        Candidate(strategy, None),
        config,
        prepared,
        seed=0,
        max_epochs=1,
        patience=1,
        batch_size=space.batch_size,
        **options,
    )


if stage == "linear":
    entry = next(e for e in space.first if e["encoder"] == "linear")
    config = {key: value for key, value in entry.items() if key != "name"}
    started = time.perf_counter()
    outcome = one_epoch_trial("tf-idf", config)
    measures.update(
        linear_s=time.perf_counter() - started,
        linear_val=outcome.val_accuracy,
        train_documents=len(x),
        train_tokens=int(np.count_nonzero(x)),
    )
    print(json.dumps(measures))
    sys.exit()
per_epoch = epoch_documents(x, space.epoch_tokens)
epoch_tokens = round(np.count_nonzero(x) * per_epoch / max(1, len(x)))
measures.update(documents=len(x), epoch_documents=per_epoch, epoch_tokens=epoch_tokens)
# a bound on the validation documents scored, where the code has one (a baseline may not)
limit = getattr(space, "validation_documents", 0)
scoring = {"validation_documents": limit} if hasattr(space, "validation_documents") else {}
scored = len(prepared.y["validation"])
measures["validation_scored"] = min(scored, limit) if limit else scored
for encoder in ("pool", "cnn"):
    entry = next(e for e in space.first if e["encoder"] == encoder)
    config = {key: value for key, value in entry.items() if key != "name"}
    outcome = fit_candidate(
        Candidate("learned", None),
        config,
        prepared,
        seed=0,
        max_epochs=1,
        patience=space.patience,
        batch_size=space.batch_size,
        fixed_epochs=1,
        epoch_tokens=space.epoch_tokens,
    )
    measures[f"{encoder}_s"] = outcome.seconds
    measures[f"{encoder}_tokens_per_s"] = epoch_tokens / outcome.seconds
    # the test split scored at the padded width, and in length batches where the code does so
    started = time.perf_counter()
    outcome.model.predict(prepared.x["test"], batch_size=512, verbose=0)
    measures[f"{encoder}_test_full_s"] = time.perf_counter() - started
    if predict_split is not None:
        started = time.perf_counter()
        predict_split(outcome.model, prepared.x["test"], config)
        measures[f"{encoder}_test_s"] = time.perf_counter() - started
    # the same epoch as a search trial or an evidence run takes it: scored on validation after
    started = time.perf_counter()
    one_epoch_trial("learned", config, epoch_tokens=space.epoch_tokens, **scoring)
    measures[f"{encoder}_trial_s"] = time.perf_counter() - started
print(json.dumps(measures))
"""


def base_rows() -> list[tuple[str, str]]:
    """The IMDB training reviews as (label, text), shuffled once (the parts are in runs of one
    label), so that any prefix of them is balanced."""
    rows: list[tuple[str, str]] = []
    for path in sorted(IMDB.glob("imdb_train.part*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            rows += [(row["label"], row["text"]) for row in csv.DictReader(f)]
    random.Random(0).shuffle(rows)
    return rows


def dataset_file(workdir: Path, size: int, base: list[tuple[str, str]]) -> Path:
    """The reviews replicated to `size` documents, copy k's texts ending in " copyk" (copy 0 is
    the reviews as they are). Written once (atomically, so a file of that name is whole)."""
    path = workdir / f"imdb-{size}.csv"
    if path.is_file():
        return path
    partial = path.with_suffix(".partial")
    with open(partial, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "text"])
        for i in range(size):
            label, text = base[i % len(base)]
            copy = i // len(base)
            writer.writerow([label, f"{text} copy{copy}" if copy else text])
    partial.rename(path)
    return path


def run_child(command: list[str], env: dict[str, str], cwd: str | None, log: Path) -> dict:
    """Run one stage; its wall seconds, peak RSS (of it and its descendants, from `wait4`) and
    stdout. A non-zero exit is returned as `error`, never raised."""
    started = time.perf_counter()
    with open(f"{log}.out", "wb") as out, open(f"{log}.err", "wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = code = os.waitstatus_to_exitcode(status)
    result: dict[str, Any] = {
        "wall_s": time.perf_counter() - started,
        "peak_gib": usage.ru_maxrss / 1024**2,  # kilobytes on Linux
        "stdout": Path(f"{log}.out").read_text(encoding="utf-8", errors="replace"),
    }
    if code < 0:
        name = signal.Signals(-code).name
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        result["error"] = f"killed by {name}{hint}, see {log}.err"
    elif code:
        lines = Path(f"{log}.err").read_text(encoding="utf-8", errors="replace").splitlines()
        last = next((line.strip() for line in reversed(lines) if line.strip()), "")
        result["error"] = f"exit status {code}: {last[:200]}, see {log}.err"
    return result


def last_json(text: str) -> dict[str, Any]:
    """The JSON object a child printed last (its only line, or the last of several)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return json.loads(lines[-1])


def run_stage(
    stage: str,
    size: int,
    data: Path,
    code: dict[str, Any],
    workdir: Path,
    budget: str,
    jobs: int = 1,
) -> dict[str, Any]:
    """One stage at one size with one version of the code, in its own process; the measures
    that go into the table."""
    name = f"{stage}-{code['slug']}-{size}"
    cache = workdir / "cache" / name  # each stage reads its vectors cold, as a new user's does
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, **code["env"], "EMBREC_CACHE_DIR": str(cache)}
    npz = workdir / f"prepared-{code['slug']}-{size}.npz"
    run = workdir / "runs" / name
    if stage == "profile":
        command = [*code["command"], "profile", str(data), "--json"]
    elif stage == "recommend":
        shutil.rmtree(run, ignore_errors=True)  # a fresh run, never a resumed one
        command = [*code["command"], "recommend", str(data), "--out", str(run)]
        command += ["--time-budget", budget, "--jobs", str(jobs)]
    else:
        if stage == "prepare":
            npz.unlink(missing_ok=True)
        command = [sys.executable, "-c", CHILD, stage, str(data), str(npz)]
    (workdir / "logs").mkdir(exist_ok=True)
    result = run_child(command, env, code["cwd"], workdir / "logs" / name)
    shutil.rmtree(cache, ignore_errors=True)
    measures: dict[str, Any] = {"wall_s": result["wall_s"], "peak_gib": result["peak_gib"]}
    if "error" in result:
        return {**measures, "error": result["error"]}
    try:
        if stage == "profile":
            tokens = json.loads(result["stdout"])["tokens"]
            measures.update(seconds=result["wall_s"], tokens=tokens)
            measures["tokens_per_s"] = tokens / result["wall_s"]
        elif stage == "recommend":
            report = json.loads((run / "report.json").read_text())
            recommended = report["recommendation"]["recommended"]
            measures.update(seconds=report["seconds"], recommended=recommended)
            measures.update(stage_seconds=report.get("stage_seconds"))
            measures.update(stage_peak_gib=report.get("stage_peak_gib"))
        else:
            measures.update(last_json(result["stdout"]))
    except (ValueError, KeyError, IndexError, OSError) as error:
        measures["error"] = f"unreadable output ({type(error).__name__}: {error})"
    return measures


# Table columns: (heading, stage, measure, format)
COLUMNS = (
    ("profile s", "profile", "seconds", "{:.1f}"),
    ("profile peak GiB", "profile", "peak_gib", "{:.2f}"),
    ("profile tokens/s", "profile", "tokens_per_s", "{:,.0f}"),
    ("prepare s", "prepare", "seconds", "{:.1f}"),
    ("prepare peak GiB", "prepare", "peak_gib", "{:.2f}"),
    ("pool epoch s", "epoch", "pool_s", "{:.1f}"),
    ("pool tokens/s", "epoch", "pool_tokens_per_s", "{:,.0f}"),
    ("cnn epoch s", "epoch", "cnn_s", "{:.1f}"),
    ("cnn tokens/s", "epoch", "cnn_tokens_per_s", "{:,.0f}"),
    ("pool test padded s", "epoch", "pool_test_full_s", "{:.1f}"),
    ("pool test cut s", "epoch", "pool_test_s", "{:.1f}"),
    ("cnn test padded s", "epoch", "cnn_test_full_s", "{:.1f}"),
    ("cnn test cut s", "epoch", "cnn_test_s", "{:.1f}"),
    ("validation scored", "epoch", "validation_scored", "{:,.0f}"),
    ("pool trial epoch s", "epoch", "pool_trial_s", "{:.1f}"),
    ("cnn trial epoch s", "epoch", "cnn_trial_s", "{:.1f}"),
    ("epoch peak GiB", "epoch", "peak_gib", "{:.2f}"),
    ("tf-idf fit s", "linear", "linear_s", "{:.1f}"),
    ("tf-idf validation acc", "linear", "linear_val", "{:.4f}"),
    ("tf-idf fit peak GiB", "linear", "peak_gib", "{:.2f}"),
    ("recommend s", "recommend", "seconds", "{:.0f}"),
    ("recommend peak GiB", "recommend", "peak_gib", "{:.2f}"),
)
TIMES = [c for c in COLUMNS if c[0].endswith(" s")]
PEAKS = [c for c in COLUMNS if c[2] == "peak_gib"]


def value(row: dict[str, Any], stage: str, measure: str) -> float | None:
    """A measure of a row's stage, None where the stage did not run or failed."""
    result = row["stages"].get(stage)
    if result is None or "error" in result:
        return None
    return result.get(measure)


def cell(row: dict[str, Any], stage: str, measure: str, form: str) -> str:
    result = row["stages"].get(stage)
    if result is not None and "error" in result:
        return "failed"
    number = value(row, stage, measure)
    return "-" if number is None else form.format(number)


def tokens_of(row: dict[str, Any]) -> int | None:
    """All documents' tokens, from the profile (else from the preparation)."""
    for stage in ("profile", "prepare"):
        tokens = value(row, stage, "tokens")
        if tokens is not None:
            return int(tokens)
    return None


def ratio(new: float | None, old: float | None, scale: float = 1.0) -> str:
    if new is None or old is None or old == 0:
        return "-"
    return f"{new / old / scale:.2f}"


def print_row(cells: Sequence[str]) -> None:
    print("| " + " | ".join(cells) + " |")


def print_tables(rows: Sequence[dict[str, Any]], labels: Sequence[str]) -> None:
    """The measures, the growth between consecutive sizes, current/baseline, and failures."""
    lead = ["code"] if len(labels) > 1 else []
    columns = [c for c in COLUMNS if any(c[1] in row["stages"] for row in rows)]
    print()
    print_row([*lead, "documents", "tokens", *(c[0] for c in columns)])
    print("|" + "---|" * (len(lead) + 2 + len(columns)))
    for row in rows:
        tokens = tokens_of(row)
        cells = [f"{row['documents']:,}", "-" if tokens is None else f"{tokens:,}"]
        cells += [cell(row, stage, measure, form) for _, stage, measure, form in columns]
        print_row([*([row["code"]] if lead else []), *cells])
    if len({row["documents"] for row in rows}) > 1:
        print_growth(rows, labels, [c for c in columns if c in TIMES or c in PEAKS])
    if len(labels) > 1:
        print_against_baseline(rows, labels, columns)
    for row in rows:
        result = row["stages"].get("recommend") or {}
        if result.get("stage_peak_gib"):
            stages = ", ".join(
                f"{stage} {seconds:,.0f} s, {result['stage_peak_gib'][stage]:.2f}"
                for stage, seconds in result["stage_seconds"].items()
            )
            print(
                f"\nrecommend at {row['documents']:,} [{row['code']}], each stage's seconds and "
                f"the run's peak GiB at its end: {stages}"
            )
    failures = [
        f"- {stage} at {row['documents']:,} [{row['code']}], peak {result['peak_gib']:.2f} GiB: "
        + result["error"]
        for row in rows
        for stage, result in row["stages"].items()
        if "error" in result
    ]
    if failures:
        print("\nFailed stages:\n")
        print("\n".join(failures))
    print()


def print_growth(
    rows: Sequence[dict[str, Any]], labels: Sequence[str], columns: Sequence[tuple[str, ...]]
) -> None:
    """Per version of the code, each size against the next smaller one."""
    lead = ["code"] if len(labels) > 1 else []
    print()
    print("Growth between consecutive sizes: time ratio / size ratio (1.00 is linear), and peak")
    print("memory ratio. Target: time ratios at most 1.2; peak at 2.5M at most 4x that at 250k.")
    print()
    headings = [f"{c[0]} / size" if c in TIMES else f"{c[0]} x" for c in columns]
    print_row([*lead, "sizes", "size x", *headings])
    print("|" + "---|" * (len(lead) + 2 + len(headings)))
    for label in labels:
        mine = [row for row in rows if row["code"] == label]
        for old, new in zip(mine, mine[1:], strict=False):
            scale = new["documents"] / old["documents"]
            cells = [f"{old['documents']:,} to {new['documents']:,}", f"{scale:.1f}"]
            cells += [
                ratio(value(new, c[1], c[2]), value(old, c[1], c[2]), scale if c in TIMES else 1)
                for c in columns
            ]
            print_row([*([label] if lead else []), *cells])


def print_against_baseline(
    rows: Sequence[dict[str, Any]], labels: Sequence[str], columns: Sequence[tuple[str, ...]]
) -> None:
    """Current over baseline, measure by measure, at each size."""
    print()
    print(f"current / baseline ({labels[1]}), same size:")
    print()
    print_row(["documents", *(c[0] for c in columns)])
    print("|" + "---|" * (1 + len(columns)))
    for size in sorted({row["documents"] for row in rows}):
        current, baseline = (
            next(r for r in rows if r["documents"] == size and r["code"] == label)
            for label in labels
        )
        cells = [ratio(value(current, c[1], c[2]), value(baseline, c[1], c[2])) for c in columns]
        print_row([f"{size:,}", *cells])
    print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[25_000, 250_000])
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES[:3]))
    parser.add_argument("--workdir", type=Path, default=None, help="data, logs (default: a temp)")
    parser.add_argument("--recommend", action="store_true", help="also time embrec recommend")
    parser.add_argument("--recommend-sizes", nargs="+", type=int, default=[25_000])
    parser.add_argument("--time-budget", default="10m", help="recommend's --time-budget")
    parser.add_argument("--jobs", type=int, default=1, help="recommend's --jobs")
    parser.add_argument("--baseline", default=None, help="also run the code of this git ref")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="bench-scale-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    for npz in workdir.glob("prepared-*.npz"):  # another invocation's, maybe other code's
        npz.unlink()
    sizes = sorted(set(args.sizes))
    stages = [s for s in STAGES if s in args.stages]
    print(f"workdir: {workdir}; cpus: {os.cpu_count()}; sizes: {sizes}; stages: {stages}")
    base = base_rows()
    rows: list[dict[str, Any]] = []
    with code_versions(args.baseline, "bench-scale-tree-") as codes:
        for size in sizes:
            started = time.perf_counter()
            data = dataset_file(workdir, size, base)
            print(f"{size:,} documents: {data.name} ({time.perf_counter() - started:.0f} s)")
            mine = [{"documents": size, "code": code["label"], "stages": {}} for code in codes]
            rows += mine
            todo = [*stages]
            if args.recommend and size in args.recommend_sizes:
                todo.append("recommend")
            for stage in todo:
                for code, row in zip(codes, mine, strict=True):
                    result = run_stage(
                        stage, size, data, code, workdir, args.time_budget, args.jobs
                    )
                    row["stages"][stage] = result
                    said = result.get("error") or ", ".join(
                        f"{what} {result[key]:.1f} s"
                        for key, what in (
                            ("seconds", "took"),
                            ("pool_s", "pool"),
                            ("cnn_s", "cnn"),
                            ("linear_s", "tf-idf fit"),
                        )
                        if key in result
                    )
                    print(f"  {stage} [{code['label']}]: {said}, peak {result['peak_gib']:.2f} GiB")
                    if args.json:
                        args.json.write_text(json.dumps(rows, indent=1))
            for npz in workdir.glob(f"prepared-*-{size}.npz"):  # 4 GB at 2.5M documents
                npz.unlink()
    print_tables(rows, [code["label"] for code in codes])


if __name__ == "__main__":
    main()
