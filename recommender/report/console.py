"""Terminal output with rich: the profile, live progress and the final summary.

Only this module and the CLI print; the library announces progress through events.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from recommender.profile import DatasetProfile
from recommender.report.files import describe, headline


def render_profile(console: Console, profile: DatasetProfile) -> None:
    classes = ", ".join(f"{name} {count:,}" for name, count in profile.class_counts.items())
    lengths = profile.length_percentiles
    console.print(f"[bold]Profile[/bold] {profile.source}")
    console.print(
        f"  {profile.documents:,} documents; {len(profile.class_counts)} classes: {classes}"
    )
    console.print(
        f"  tokens per document: p50 {lengths['p50']:.0f}, p90 {lengths['p90']:.0f}, "
        f"p95 {lengths['p95']:.0f}, p99 {lengths['p99']:.0f}, max {lengths['max']:.0f}; "
        f"vocabulary {profile.vocabulary_size:,} words, {profile.tokens:,} tokens"
    )
    if profile.empty_documents:
        console.print(f"  [yellow]{profile.empty_documents:,} documents have no tokens[/yellow]")
    for warning in profile.warnings:
        console.print(f"  [yellow]note:[/yellow] {warning}")
    table = Table(title="Vocabulary coverage", title_justify="left")
    table.add_column("vectors")
    table.add_column("dim", justify="right")
    table.add_column("tokens", justify="right")
    table.add_column("types", justify="right")
    table.add_column("most frequent uncovered words")
    for coverage in profile.coverage:
        table.add_row(
            coverage.vectors,
            str(coverage.dim),
            f"{coverage.token_rate * 100:.1f}%",
            f"{coverage.type_rate * 100:.1f}%",
            ", ".join(f"{word} ({count})" for word, count in coverage.top_uncovered) or "-",
        )
    console.print(table)
    for coverage in profile.coverage:
        found = ", ".join(f"{how} {count:,}" for how, count in coverage.found_by.items())
        console.print(f"  {coverage.vectors}: distinct words found by {found or 'nothing'}")
        for warning in coverage.warnings:
            console.print(f"  [yellow]note ({coverage.vectors}):[/yellow] {warning}")


def render_summary(console: Console, report: dict[str, Any]) -> None:
    decision = report["recommendation"]
    table = Table(
        title=f"Test accuracy ({report['splits']['test']:,} held-out documents, "
        f"{report['config']['seeds']} seed(s) each)",
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
    console.print(table)
    console.print(f"[bold]Recommendation:[/bold] {headline(report)}")
    console.print(f"  why: {decision['reason']}.")
    console.print(f"  rule: {decision['rule']}")
    model = report["model"]
    console.print(
        f"  model: {model['path']} (raw strings in, class probabilities out; test accuracy "
        f"{model['test_accuracy'] * 100:.1f}%)"
    )


class ProgressEvents:
    """Turns the API's events into a live rich display; `quiet` prints nothing at all."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.progress: Progress | None = None
        self.task: Any = None

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        if self.quiet:
            return
        if kind == "run":
            verb = "Resuming" if payload["resumed"] else "Run directory"
            self.console.print(f"{verb}: {payload['dir']}")
        elif kind == "profile":
            render_profile(self.console, payload["profile"])
        elif kind == "search":
            names = ", ".join(c.key for c in payload["candidates"])
            self._start(f"Search ({names})", payload["total"])
        elif kind == "trial":
            record = payload["record"]
            score = f"{record.value * 100:.1f}" if record.value is not None else "-"
            self._advance(f"{record.candidate} #{record.number} {record.state} {score}")
        elif kind == "evidence":
            self._start("Evidence: finalists x seeds on the test split", payload["total"])
        elif kind == "seed_run":
            run = payload["run"]
            self._advance(f"{payload['candidate']} seed {run.seed}: {run.accuracy * 100:.1f}")
        elif kind == "export":
            self._stop()
            self.console.print(f"Training the final model ({payload['candidate']}) and exporting")
        elif kind == "done":
            self._stop()
            render_summary(self.console, payload["report"])

    def _start(self, title: str, total: int) -> None:
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
