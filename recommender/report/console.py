"""Terminal output with rich: the profile, live progress and the final summary.

Only this module and the CLI print; the library announces progress through events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from recommender.profile import DatasetProfile
from recommender.report.files import (
    accuracy_words,
    describe,
    headline,
    neighbours_line,
    search_line,
    time_line,
)


def render_profile(console: Console, profile: DatasetProfile) -> None:
    """The profile in about fifteen lines: it prints before a long search, so only what explains
    the choice; `embrec profile --json` and profile.json hold every figure."""
    lengths = profile.length_percentiles
    classes = ", ".join(f"{name} {count:,}" for name, count in profile.class_counts.items())
    if len(profile.class_counts) > 8:
        classes = f"largest {max(profile.class_counts.values()):,}, smallest " + (
            f"{min(profile.class_counts.values()):,}"
        )
    console.print(f"[bold]Profile[/bold] {profile.source}")
    console.print(
        f"  {profile.documents:,} documents; {len(profile.class_counts)} classes: {classes} "
        f"(majority {profile.majority_share:.1%}, largest/smallest {profile.imbalance:.1f}:1)"
    )
    if profile.tokenizer:
        console.print(f"  tokeniser: {escape(profile.tokenizer)}")
    console.print(
        f"  tokens per document: mean {profile.mean_length:.1f}, p50 {lengths['p50']:.0f}, "
        f"p90 {lengths['p90']:.0f}, p95 {lengths['p95']:.0f}, p99 {lengths['p99']:.0f}, "
        f"max {lengths['max']:.0f}; {profile.tokens:,} tokens"
    )
    console.print(
        f"  vocabulary {profile.vocabulary_size:,} words: type/token "
        f"{profile.type_token_ratio:.3f}, {profile.hapax_share:.0%} occur once; "
        f"{profile.duplicate_documents:,} duplicate and {profile.empty_documents:,} empty documents"
    )
    console.print(
        f"  regime [bold]{profile.regime}[/bold]: "
        f"{min(profile.training_per_class.values()):,} training documents in the smallest class "
        f"({profile.regime_rule.split(': ', 1)[1]})"
    )
    sizes = profile.split
    unseen = profile.unseen_tokens / profile.heldout_tokens if profile.heldout_tokens else 0.0
    console.print(
        f"  split ({profile.split_origin}): train {sizes['train']:,}, validation "
        f"{sizes['validation']:,}, test {sizes['test']:,}; {unseen:.1%} of held-out tokens "
        f"({profile.unseen_types:,} words) never occur in training ('unseen': the share of them "
        "a source covers)"
    )
    if profile.key_words and len(profile.key_words) <= 8:
        console.print(
            "  key words (training split): "
            + "; ".join(
                f"{name}: {', '.join(words[:6])}" for name, words in profile.key_words.items()
            )
        )
    probe = profile.probe
    if probe is not None:
        console.print(
            f"  probe ({probe.folds}-fold cross-validated logistic regression on "
            f"{probe.documents:,} training documents): bag of words "
            f"{probe.bag_of_words_accuracy:.1%}, majority "
            f"class {probe.majority_accuracy:.1%}, averaged vectors below"
        )
    for warning in profile.warnings:
        console.print(f"  [yellow]note:[/yellow] {warning}")
    console.print(_coverage_table(profile))
    for coverage in profile.coverage:
        found = ", ".join(f"{how} {count:,}" for how, count in coverage.found_by.items())
        how = "from the cache" if coverage.cache_hit else "parsed"
        console.print(
            f"  [bold]{coverage.vectors}[/bold] ({coverage.format}, {how} in "
            f"{coverage.load_seconds:.2f} s): words found by {found or 'nothing'}"
        )
        if coverage.probe_reading:
            console.print(f"    probe: {coverage.probe_reading}")
        uncovered = ", ".join(f"{word} ({count:,})" for word, count in coverage.top_uncovered[:8])
        console.print(f"    most frequent uncovered: {uncovered or '-'}")
        if coverage.neighbours:
            nearest = neighbours_line(coverage.neighbours, words=4, nearest=3)
            console.print(f"    nearest words: {nearest}")
        for warning in coverage.warnings:
            console.print(f"    [yellow]note:[/yellow] {warning}")
    folders = sorted({str(Path(c.cache_file).parent) for c in profile.coverage if c.cache_file})
    if folders:
        console.print(f"  vectors cache: {', '.join(folders)} (safe to delete)")


def _coverage_table(profile: DatasetProfile) -> Table:
    """One row per vectors source, side by side; the title is Kim (2014)'s Table 1 for this data."""
    table = Table(
        title=f"Vocabulary coverage (Kim 2014 Table 1: c {len(profile.class_counts)}, "
        f"l {profile.mean_length:.0f}, N {profile.documents:,}, |V| {profile.vocabulary_size:,}, "
        f"test {profile.split['test']:,})",
        title_justify="left",
    )
    for name in ("vectors", "dim", "|V_pre|", "tokens", "exact", "types", "key words"):
        table.add_column(name, justify="left" if name == "vectors" else "right")
    table.add_column("unseen", justify="right")
    table.add_column("probe", justify="right")
    key_words = len({word for words in profile.key_words.values() for word in words})
    for coverage in profile.coverage:
        unseen = (
            f"{coverage.unseen_covered_tokens / profile.unseen_tokens:.0%}"
            if profile.unseen_tokens
            else "-"
        )
        covered_keys = key_words - len(coverage.key_words_uncovered)
        table.add_row(
            coverage.vectors,
            str(coverage.dim),
            f"{coverage.covered_types:,}",
            f"{coverage.token_rate:.1%}",
            f"{coverage.exact_token_rate:.1%}",
            f"{coverage.type_rate:.1%}",
            f"{covered_keys}/{key_words}" if key_words else "-",
            unseen,
            f"{coverage.probe_accuracy:.1%}" if coverage.probe_accuracy is not None else "-",
        )
    return table


def render_summary(console: Console, report: dict[str, Any]) -> None:
    decision = report["recommendation"]
    table = Table(
        title=f"Test accuracy ({report['splits']['test']:,} held-out documents, "
        f"{max(len(e['runs']) for e in report['evidence'])} repetition(s) at most)",
        title_justify="left",
    )
    for name, justify in [
        ("option", "left"),
        ("accuracy %", "right"),
        ("95% CI", "right"),
        ("macro-F1 %", "right"),
        ("train s", "right"),
        ("trainable params", "right"),
        ("", "left"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for entry in sorted(report["evidence"], key=lambda e: -e["accuracy_mean"]):
        interval = entry["accuracy_ci95"]
        mark = "recommended" if entry["candidate"] == decision["recommended"] else ""
        if not mark and entry["candidate"] in decision["tied"]:
            mark = "tied"
        table.add_row(
            describe(entry["candidate"], entry["config"]),
            f"{entry['accuracy_mean'] * 100:.1f} +/- {entry['accuracy_sd'] * 100:.1f}",
            f"{interval[0] * 100:.1f}-{interval[1] * 100:.1f}" if interval else "n/a",
            f"{entry['macro_f1_mean'] * 100:.1f}",
            f"{entry['train_seconds_mean']:.1f}",
            f"{entry['cost']['trainable_params']:,}",
            mark,
        )
    for entry in report.get("yardsticks", []):
        interval = entry["comparison"]
        table.add_row(
            f"[dim]{entry['candidate']}[/dim]",
            f"{entry['accuracy_mean'] * 100:.1f}",
            "",
            f"{entry['macro_f1_mean'] * 100:.1f}",
            f"{entry['train_seconds_mean']:.1f}",
            f"{entry['cost']['trainable_params']:,}",
            interval["verdict"],
        )
    console.print(table)
    console.print(f"[bold]Recommendation:[/bold] {headline(report)}")
    console.print(f"  why: {decision['reason']}.")
    if report.get("at_majority_rate", {}).get("flag"):
        console.print(f"  [bold red]warning:[/bold red] {report['at_majority_rate']['sentence']}.")
    for entry in report.get("yardsticks", []):
        if entry["comparison"]["verdict"] != "behind":
            console.print(f"  [yellow]yardstick:[/yellow] {entry['comparison']['sentence']}.")
    for sentence in report.get("explanation", []):
        console.print(f"  profile: {sentence}")
    coverage = "; ".join(
        f"{c['vectors']} {c['token_rate'] * 100:.1f}% of tokens, "
        f"{c['type_rate'] * 100:.1f}% of words"
        for c in report["profile"]["coverage"]
    )
    console.print(f"  coverage: {coverage}")
    console.print(f"  {search_line(report).lower()}")
    if time_line(report):
        console.print(f"  {time_line(report).lower()}")
    if report.get("domain_vectors"):
        console.print(f"  domain vectors: {report['domain_vectors']['sentence']}.")
    for sentence in (report.get("learning_curve") or {}).get("sentences", []):
        console.print(f"  data size: {sentence}.")
    run_dir = report["config"]["out"]
    model = report["model"]
    console.print(f"  model: {run_dir}/{model['path']} (raw strings in; {accuracy_words(model)})")
    console.print(f"  report: {run_dir}/report.html (also report.md, report.json: the rule, costs)")


class ProgressEvents:
    """Turns the API's events into a live rich display; `quiet` prints nothing at all.

    Use it as a context manager: the live display is stopped however the block ends (an error,
    Ctrl-C), so the terminal gets its cursor back and the last message is not overdrawn."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.progress: Progress | None = None
        self.task: Any = None

    def __enter__(self) -> ProgressEvents:
        return self

    def __exit__(self, *exception: object) -> None:
        self._stop()

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        if self.quiet:
            return
        if kind == "run":
            verb = "Resuming" if payload["resumed"] else "Run directory"
            self.console.print(f"{verb}: {payload['dir']}")
        elif kind == "profile":
            render_profile(self.console, payload["profile"])
        elif kind == "pretrain":
            self._start(f"Pretraining domain vectors on {payload['corpus']}", None)
        elif kind == "pretrain_progress":
            if self.progress is not None:
                phase = "reading the corpus" if payload["phase"] == "read" else "training"
                self.progress.update(
                    self.task,
                    completed=payload["done"],
                    total=payload["total"],
                    last=f"{phase}: {payload['rate']:,.0f} words/s",
                )
        elif kind == "pretrained":
            self._stop()
            summary = payload["summary"]
            how = "reused from" if summary["cache_hit"] else "written to"
            self.console.print(
                f"Domain vectors {summary['name']}: {summary['vocabulary_size']:,} words, "
                f"{summary['words']:,} corpus words ({summary['dropped_lines']:,} lines of "
                f"validation/test texts left out), {summary['train_seconds']:.1f} s "
                f"({summary['words_per_second']:,.0f} words/s); {how} domain/{summary['file']}"
            )
        elif kind == "search":
            names = ", ".join(c.key for c in payload["candidates"])
            self._start(f"Search ({names})", payload["total"])
        elif kind == "trial":
            record = payload["record"]
            score = f"{record.value * 100:.1f}" if record.value is not None else "-"
            self._advance(f"{record.candidate} #{record.number} {record.state} {score}")
        elif kind == "evidence":
            self._start("Evidence: finalists x repetitions on the test split", payload["total"])
        elif kind == "more_evidence":
            self._stop()
            names = ", ".join(payload["candidates"])
            self.console.print(
                f"The evidence cannot yet tell {names} apart: up to {payload['total']} "
                "repetitions each"
            )
            self._start("More evidence", None)
        elif kind == "seed_run":
            run = payload["run"]
            self._advance(f"{payload['candidate']} seed {run.seed}: {run.accuracy * 100:.1f}")
        elif kind == "yardsticks":
            self._stop()
            self.console.print("Scoring the yardsticks (TF-IDF + logistic regression, majority)")
        elif kind == "learning_curve":
            self._start("Learning curve: finalists on 10/25/50% of the data", payload["total"])
        elif kind == "curve_point":
            point = payload["point"]
            self._advance(
                f"{point.candidate} at {point.documents:,} documents: {point.accuracy * 100:.1f}"
            )
        elif kind == "export":
            self._stop()
            self.console.print(f"Training the final model ({payload['candidate']}) and exporting")
        elif kind == "done":
            self._stop()
            render_summary(self.console, payload["report"])

    def _start(self, title: str, total: int | None) -> None:
        self._stop()
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[last]}"),
            console=self.console,
        )
        self.progress.start()
        self.task = self.progress.add_task(title, total=total, last="")

    def _advance(self, last: str) -> None:
        if self.progress is not None:
            self.progress.update(self.task, advance=1, last=last)

    def _stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
