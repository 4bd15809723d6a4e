"""report.json (every figure) and report.md (for pasting into an issue), written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recommender.files import write_json, write_text
from recommender.models import TFIDF


def retraining_words(model: dict[str, Any]) -> str:
    """How the exported model was trained: "retrained on train+validation for 5 epochs", and
    "the mean of 3 trainings (seeds 0, 1, 2)" when it averages several."""
    seeds = model.get("member_seeds", [])  # older runs: one training
    words = f"retrained on {model['trained_on']} for {model['epochs']} epochs"
    if len(seeds) > 1:
        words += f", the mean of {len(seeds)} trainings (seeds {', '.join(map(str, seeds))})"
    return words


def accuracy_words(model: dict[str, Any]) -> str:
    """How well the exported model (report.json's "model") does, as reports and cards say it."""
    if model.get("test_accuracy") is not None:
        return f"test accuracy {model['test_accuracy'] * 100:.1f}% from raw strings"
    return (
        f"expected accuracy {model['expected_accuracy'] * 100:.1f}% (the evidence's mean; it "
        "trained on every labelled document, so none is left to score it)"
    )


def describe(candidate: str, config: dict[str, Any]) -> str:
    """'fine-tuned glove-6b-50d + cnn' from a candidate key and its configuration; tf-idf says
    plainly that it has no embedding layer."""
    strategy, _, vectors = candidate.partition(":")
    if strategy == TFIDF:
        pairs = " and word pairs" if config.get("bigram_buckets") else ""
        return f"tf-idf (no embedding layer: TF-IDF of words{pairs} + logistic regression)"
    name = f"{strategy} {vectors}" if vectors else strategy
    return f"{name} + {config.get('encoder', '?')}"


def headline(report: dict[str, Any]) -> str:
    """One sentence: the recommendation and the figures behind it."""
    evidence = {e["candidate"]: e for e in report["evidence"]}
    decision = report["recommendation"]
    chosen = evidence[decision["recommended"]]
    text = f"{describe(chosen['candidate'], chosen['config'])}: {_score(chosen)}"
    if decision["runner_up"]:
        other = evidence[decision["runner_up"]]
        text += f" vs {describe(other['candidate'], other['config'])}: {_score(other)}"
    if report.get("at_majority_rate", {}).get("flag"):
        return f"{text} ({decision['verdict']}; every option at the majority rate: no signal)"
    return f"{text} ({decision['verdict']})"


RELATION_WORDS = {
    "clear": "a clear win",
    "equivalent": "equivalent",
    "undecided": "cannot tell them apart",
}


def first_trial_lines(report: dict[str, Any]) -> list[str]:
    """What the search gained over its known-good first trials, one sentence per option."""
    lines = []
    for candidate, entry in (report.get("first_trials") or {}).items():
        if entry.get("gain_points") is None:
            continue
        best_first = max(entry["first"], key=lambda f: f["value"])
        lines.append(
            f"- {candidate}: the best trial scored {entry['best'] * 100:.1f}% on validation, "
            f"{entry['gain_points']:+.1f} points over the best known-good first trial "
            f"({best_first['name']}, {best_first['value'] * 100:.1f}%)."
        )
    return ["", *lines] if lines else []


def search_line(report: dict[str, Any]) -> str:
    """How the search ran and what ended it: a time-limited search is smaller than asked."""
    search = report["search"]
    each = search.get("trials_per_candidate", "?")
    name = Path(str(report["config"]["space"])).stem
    text = f"Search: {search['engine']}, space {name}, {each} trial(s) per option"
    if search.get("stopped_by") == "time":
        text += f", stopped by the time budget ({search['time_budget_seconds']:g} s)"
    else:
        text += ", the full trial budget"
    return text + budget_words(report.get("time_budget"))


def time_line(report: dict[str, Any]) -> str:
    """Where the run's time went, stage by stage, and which stage raised its memory to its peak
    ("" for a report written before this)."""
    stages = report.get("stage_seconds")
    if not stages:
        return ""
    parts = ", ".join(f"{stage} {seconds:,.0f} s" for stage, seconds in stages.items())
    text = f"Time: {parts} ({report['seconds']:,.0f} s in all)"
    peaks = report.get("stage_peak_gib")
    if peaks:
        peak = max(peaks.values())
        stage = next(stage for stage, value in peaks.items() if value == peak)
        text += f"; peak memory {peak:.2f} GiB, reached in: {stage}"
    return text


def budget_words(budget: dict[str, Any] | None) -> str:
    """How the run kept to --time-budget: its overrun, and what it left out to keep to it."""
    if not budget:
        return ""
    text = f". Time budget {budget['seconds']:g} s, used {budget['used_seconds']:g} s"
    if budget["overrun_seconds"] > 0:
        text += " (the first round, the first repetitions and the final model always run)"
    for skipped in budget["skipped"]:
        text += (
            f"; left out: {skipped['stage']} (about {skipped['needed_seconds']:g} s, "
            f"{skipped['left_seconds']:g} s left)"
        )
    return text


def _score(entry: dict[str, Any]) -> str:
    return f"{entry['accuracy_mean'] * 100:.1f} +/- {entry['accuracy_sd'] * 100:.1f}"


def markdown(report: dict[str, Any]) -> str:
    decision = report["recommendation"]
    profile = report["profile"]
    lines = [
        "# embrec recommendation",
        "",
        f"**Recommended: {decision['recommended']}** ({decision['verdict']}): "
        f"{decision['reason']}.",
        "",
        *(
            [f"**Warning: {report['at_majority_rate']['sentence']}.**", ""]
            if report.get("at_majority_rate", {}).get("flag")
            else []
        ),
        f"{headline(report)}",
        "",
        *[f"{sentence}\n" for sentence in report.get("explanation", [])],
        "## Test accuracy per option",
        "",
        f"Test split of {report['splits']['test']} documents, never seen by the search. "
        f"{report.get('evidence_method', '')} {search_line(report)}.",
        *([f"{time_line(report)}."] if time_line(report) else []),
        *first_trial_lines(report),
        "",
        "| option | accuracy % (mean +/- sd) | 95% CI | macro-F1 % | train s | trainable params |"
        " model KB |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in report["evidence"]:
        interval = entry["accuracy_ci95"]
        ci = f"{interval[0] * 100:.1f} to {interval[1] * 100:.1f}" if interval else "n/a"
        lines.append(
            f"| {describe(entry['candidate'], entry['config'])} | {_score(entry)} | {ci} | "
            f"{entry['macro_f1_mean'] * 100:.1f} | {entry['train_seconds_mean']:.1f} | "
            f"{entry['cost']['trainable_params']:,} | {entry['cost']['model_bytes'] / 1024:.0f} |"
        )
    if report.get("yardsticks"):
        lines += [
            "",
            "## Yardsticks (same training and test documents)",
            "",
            "| yardstick | accuracy % | macro-F1 % | train s | vs recommended |",
            "|---|---|---|---|---|",
        ]
        for entry in report["yardsticks"]:
            comparison = entry["comparison"]
            lines.append(
                f"| {entry['candidate']} | {entry['accuracy_mean'] * 100:.1f} | "
                f"{entry['macro_f1_mean'] * 100:.1f} | {entry['train_seconds_mean']:.1f} | "
                f"{comparison['verdict']} ({comparison['difference']:+.1f} points, 95% CI "
                f"{comparison['ci_low']:+.1f} to {comparison['ci_high']:+.1f}) |"
            )
        lines += [""] + [
            f"- {entry['comparison']['sentence']}."
            for entry in report["yardsticks"]
            if entry["comparison"]["verdict"] != "behind"
        ]
    if decision["comparisons"]:
        lines += [
            "",
            "## Paired comparisons (best scorer minus other, points)",
            "",
            "| other | lead | 95% CI | p | the evidence says |",
            "|---|---|---|---|---|",
        ]
        for comparison in decision["comparisons"]:
            relation = comparison.get("relation", "clear" if comparison["clear"] else "tied")
            lines.append(
                f"| {comparison['other']} | {comparison['difference']:+.2f} | "
                f"{comparison['ci_low']:+.2f} to {comparison['ci_high']:+.2f} | "
                f"{comparison['p_value']:.3f} | {RELATION_WORDS.get(relation, relation)} |"
            )
    lines += domain_markdown(report)
    lines += ["", "## Rule", "", decision["rule"], "", "## Data", ""]
    lines.append(
        f"{profile['documents']:,} documents, classes "
        + ", ".join(f"{k} ({v:,})" for k, v in profile["class_counts"].items())
        + f"; median {profile['length_percentiles']['p50']:.0f} tokens; "
        f"vocabulary {profile['vocabulary_size']:,} words."
        + (f" Tokeniser: {profile['tokenizer']}." if profile.get("tokenizer") else "")
    )
    for coverage in profile["coverage"]:
        lines.append(
            f"- {coverage['vectors']}: {coverage['token_rate'] * 100:.1f}% of tokens, "
            f"{coverage['type_rate'] * 100:.1f}% of distinct words covered."
        )
    model = report["model"]
    lines += [
        "",
        "## Exported model",
        "",
        f"`{model['path']}` ({model['candidate']}, {retraining_words(model)}) takes raw "
        f"strings; {accuracy_words(model)}.",
        "",
        "## Reproduce",
        "",
        f"`{report['command']}`",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        "",
    ]
    return "\n".join(lines)


def neighbours_line(neighbours: dict[str, Any], words: int = 6, nearest: int = 5) -> str:
    """'bad: good, awful; fun: ...': each key word's nearest words in the data, by one source."""
    return "; ".join(
        f"{word}: {', '.join(near[:nearest]) if near else '(no vector)'}"
        for word, near in list(neighbours.items())[:words]
    )


def domain_markdown(report: dict[str, Any]) -> list[str]:
    """The domain-vectors section: what pretraining cost, whether it paid, and each source's
    nearest words for the task's key words (absent from reports of runs without them)."""
    domain = report.get("domain_vectors")
    if not domain:
        return []
    lines = [
        "",
        "## Domain vectors",
        "",
        f"{domain['sentence']}.",
        "",
        f"{domain['name']}: {domain['algorithm']} (skip-gram, {domain['dim']} dimensions, window "
        f"{domain['window']}, min count {domain['min_count']}, {domain['epochs']} passes) on "
        f"{domain['corpus']}: {domain['documents']:,} documents, {domain['words']:,} words, "
        f"{domain['vocabulary_size']:,} words with a vector; {domain['train_seconds']:.1f} s of "
        f"training ({domain['words_per_second']:,.0f} words/s on {domain['workers']} core(s)), "
        f"{domain['seconds']:.1f} s in all. Leakage guard: {domain['dropped_lines']:,} corpus "
        f"lines equal to a line of a validation or test text were left out.",
        "",
    ]
    for coverage in report["profile"]["coverage"]:
        if coverage.get("neighbours"):
            words = neighbours_line(coverage["neighbours"])
            lines.append(f"- nearest words by {coverage['vectors']}: {words}")
    return lines


def write_reports(run_dir: Path, report: dict[str, Any]) -> None:
    """report.json, report.md and report.html, each written atomically."""
    from recommender.report.html import html_report

    write_json(run_dir / "report.json", report)
    write_text(run_dir / "report.md", markdown(report))
    write_text(run_dir / "report.html", html_report(report))
