"""report.html: one self-contained page (plots embedded as PNG data), readable offline.

Rendered from report.json alone, so `embrec report RUN_DIR` can redraw it without retraining.
The verdict comes first; then the data, the comparison, how the search and the data size bear on
it, costs, per-class results, and how to reproduce the run.
"""

from __future__ import annotations

import base64
import io
import re
from html import escape
from typing import Any

from recommender.report.files import (
    RELATION_WORDS,
    accuracy_words,
    describe,
    headline,
    neighbours_line,
    retraining_words,
    search_line,
    time_line,
)

_NUMBER = re.compile(r"^[+\-]?[\d.,]+( |%|$)")
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:960px;
margin:2em auto;padding:0 1em;color:#1d2330;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}
h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #dde}
.verdict{background:#eef5ee;border-left:5px solid #3a7d44;padding:.8em 1em;font-size:1.05em}
.warn{background:#fff6e0;border-left:5px solid #d19a00;padding:.6em 1em;margin:.6em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
td,th{border:1px solid #dde;padding:.3em .6em}
th{background:#f3f4f8}.muted{color:#667}code{background:#f3f4f8;padding:.1em .3em}
img{max-width:100%}
"""


def html_report(report: dict[str, Any]) -> str:
    decision = report["recommendation"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>embrec: {escape(decision['recommended'])}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>embrec recommendation</h1>",
        f"<p class='muted'>{escape(report['profile']['source'])} &middot; "
        f"{escape(report['created'])}</p>",
        "<div class='verdict'>",
        f"<p><strong>Recommended: {escape(_option(report, decision['recommended']))}</strong> "
        f"({escape(decision['verdict'])})</p>",
        f"<p>{escape(headline(report))}</p>",
        f"<p>Why: {escape(decision['reason'])}.</p>",
    ]
    if decision.get("runner_up"):
        parts.append(f"<p>Runner-up: {escape(_option(report, decision['runner_up']))}.</p>")
    parts.append("</div>")
    if report.get("at_majority_rate", {}).get("flag"):
        parts.append(f"<div class='warn'>{escape(report['at_majority_rate']['sentence'])}.</div>")
    for entry in report.get("yardsticks", []):
        if entry["comparison"]["verdict"] != "behind":
            parts.append(f"<div class='warn'>{escape(entry['comparison']['sentence'])}.</div>")
    for sentence in report.get("explanation", []):
        parts.append(f"<p>{escape(sentence)}</p>")
    parts.append(f"<p class='muted'>Rule: {escape(decision['rule'])}</p>")
    parts.append(f"<p class='muted'>{escape(search_line(report))}.</p>")
    if time_line(report):
        parts.append(f"<p class='muted'>{escape(time_line(report))}.</p>")
    parts += _profile(report)
    parts += _comparison(report)
    parts += _domain_vectors(report)
    parts += _learning_curve(report)
    parts += _search(report)
    parts += _costs(report)
    parts += _per_class(report)
    parts += _reproduce(report)
    parts.append("</body></html>")
    return "\n".join(parts)


def _option(report: dict[str, Any], key: str) -> str:
    entry = next((e for e in report["evidence"] if e["candidate"] == key), None)
    return describe(key, entry["config"]) if entry else key


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(cell) for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: Any) -> str:
    """Figures right-aligned, words left-aligned."""
    text = str(value)
    align = "right" if _NUMBER.match(text) else "left"
    return f"<td style='text-align:{align}'>{escape(text)}</td>"


def _png(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='plot' src='data:image/png;base64,{data}'>"


def _figure(width: float = 7.5, height: float = 3.2) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def _profile(report: dict[str, Any]) -> list[str]:
    profile = report["profile"]
    lengths = profile["length_percentiles"]
    classes = ", ".join(f"{escape(k)} ({v:,})" for k, v in profile["class_counts"].items())
    parts = [
        "<h2>Data</h2>",
        f"<p>{profile['documents']:,} documents; classes {classes}. Tokens per document: median "
        f"{lengths['p50']:.0f}, 99th percentile {lengths['p99']:.0f}, longest {lengths['max']:.0f}."
        f" Vocabulary {profile['vocabulary_size']:,} words. Split: "
        + ", ".join(f"{name} {count:,}" for name, count in report["splits"].items())
        + ".</p>",
    ]
    if profile.get("tokenizer"):
        parts.append(f"<p>Tokeniser: {escape(profile['tokenizer'])}.</p>")
    if profile.get("regime"):
        parts.append(
            f"<p>Data regime: <strong>{escape(profile['regime'])}</strong> "
            f"<span class='muted'>({escape(profile.get('regime_rule', ''))})</span></p>"
        )
    rows = [
        [
            c["vectors"],
            c["dim"],
            f"{c['token_rate'] * 100:.1f}%",
            f"{c['type_rate'] * 100:.1f}%",
            ", ".join(f"{w} ({n})" for w, n in c["top_uncovered"][:8]),
        ]
        for c in profile["coverage"]
    ]
    parts.append(
        _table(
            ["vectors", "dim", "token coverage", "type coverage", "most frequent uncovered"], rows
        )
    )
    for warning in profile.get("warnings", []):
        parts.append(f"<div class='warn'>{escape(str(warning))}</div>")
    return parts


def _comparison(report: dict[str, Any]) -> list[str]:
    evidence = sorted(report["evidence"], key=lambda e: -e["accuracy_mean"])
    figure, axis = _figure(7.5, 0.6 + 0.45 * len(evidence))
    for row, entry in enumerate(reversed(evidence)):
        mean = entry["accuracy_mean"] * 100
        low, high = (v * 100 for v in (entry["accuracy_ci95"] or [entry["accuracy_mean"]] * 2))
        axis.errorbar(
            mean,
            row,
            xerr=[[mean - low], [high - mean]],
            fmt="o",
            capsize=4,
            color="#3a7d44"
            if entry["candidate"] == report["recommendation"]["recommended"]
            else "#445",
        )
        axis.scatter(
            [run["accuracy"] * 100 for run in entry["runs"]],
            [row] * len(entry["runs"]),
            s=12,
            color="#99a",
            zorder=1,
        )
    for entry in report.get("yardsticks", []):
        axis.axvline(entry["accuracy_mean"] * 100, linestyle="--", color="#d19a00", linewidth=1)
        axis.text(
            entry["accuracy_mean"] * 100,
            len(evidence) - 0.5,
            entry["candidate"].split(":")[1],
            fontsize=7,
            color="#a07000",
            ha="center",
        )
    axis.set_yticks(range(len(evidence)))
    axis.set_yticklabels(
        [describe(e["candidate"], e["config"]) for e in reversed(evidence)], fontsize=8
    )
    axis.set_xlabel(
        "test accuracy % (mean over repetitions, 95% interval; grey dots: single repetitions)"
    )
    axis.set_ylim(-0.7, len(evidence) - 0.2)
    rows = []
    for entry in evidence + report.get("yardsticks", []):
        ci = entry.get("accuracy_ci95")
        f1ci = entry.get("macro_f1_ci95")
        rows.append(
            [
                describe(entry["candidate"], entry["config"])
                if "model" not in entry["config"]
                else entry["candidate"],
                f"{entry['accuracy_mean'] * 100:.1f} ± {entry['accuracy_sd'] * 100:.1f}",
                f"{ci[0] * 100:.1f} to {ci[1] * 100:.1f}" if ci else "n/a",
                f"{entry['macro_f1_mean'] * 100:.1f}",
                f"{f1ci[0] * 100:.1f} to {f1ci[1] * 100:.1f}" if f1ci else "n/a",
                len(entry["runs"]),
            ]
        )
    parts = [
        "<h2>Strategies compared on the held-out test split</h2>",
        f"<p>{report['splits']['test']:,} test documents, never seen by the search. "
        f"{escape(report.get('evidence_method', ''))} Yardsticks (dashed) are fitted on the "
        "first repetition's training documents.</p>",
        _png(figure),
        _table(
            [
                "option",
                "accuracy % (mean ± sd)",
                "95% CI",
                "macro-F1 %",
                "macro-F1 95% CI",
                "repetitions",
            ],
            rows,
        ),
    ]
    comparisons = report["recommendation"]["comparisons"]
    if comparisons:
        parts.append(
            "<p>Paired bootstrap of the best scorer against each other option (test "
            "documents and repetitions resampled jointly for both):</p>"
        )
        parts.append(
            _table(
                ["other option", "lead (points)", "95% CI", "p", "the evidence says"],
                [
                    [
                        c["other"],
                        f"{c['difference']:+.2f}",
                        f"{c['ci_low']:+.2f} to {c['ci_high']:+.2f}",
                        f"{c['p_value']:.3f}",
                        RELATION_WORDS.get(c.get("relation", ""), "yes" if c["clear"] else "no"),
                    ]
                    for c in comparisons
                ],
            )
        )
    return parts


def _domain_vectors(report: dict[str, Any]) -> list[str]:
    """Whether pretraining on the user's text paid, its cost, and each source's nearest words."""
    domain = report.get("domain_vectors")
    if not domain:
        return []
    rows = [
        [c["vectors"], neighbours_line(c.get("neighbours") or {})]
        for c in report["profile"]["coverage"]
    ]
    return [
        "<h2>Domain vectors</h2>",
        f"<p>{escape(domain['sentence'])}.</p>",
        f"<p class='muted'>{escape(domain['name'])}: {escape(domain['algorithm'])}, "
        f"{domain['dim']} dimensions, {domain['epochs']} passes over {domain['words']:,} words of "
        f"{escape(domain['corpus'])} in {domain['train_seconds']:.1f} s "
        f"({domain['words_per_second']:,.0f} words/s on {domain['workers']} core(s)); "
        f"{domain['dropped_lines']:,} corpus lines equal to a line of a validation or test text "
        "left out.</p>",
        "<p>Nearest words (cosine, among the data's frequent words) of the task's key words:</p>",
        _table(["vectors", "nearest words"], rows),
    ]


def _learning_curve(report: dict[str, Any]) -> list[str]:
    curve = report.get("learning_curve")
    if not curve or not curve.get("points"):
        return []
    figure, axis = _figure()
    by_candidate: dict[str, list[dict[str, Any]]] = {}
    for point in curve["points"]:
        by_candidate.setdefault(point["candidate"], []).append(point)
    for candidate, points in by_candidate.items():
        points.sort(key=lambda p: p["documents"])
        style = "--" if candidate.startswith("yardstick:") else "-o"
        axis.plot(
            [p["documents"] for p in points],
            [p["accuracy"] * 100 for p in points],
            style,
            label=candidate,
            markersize=4,
        )
    axis.set_xscale("log")
    axis.set_xlabel("training documents (log scale)")
    axis.set_ylabel("test accuracy %")
    axis.legend(fontsize=7)
    parts = [
        "<h2>Learning curves</h2>",
        "<p>Each option retrained on nested, stratified shares of the training split.</p>",
        _png(figure),
    ]
    parts += [f"<p>{escape(s)}.</p>" for s in curve.get("sentences", [])]
    return parts


def _search(report: dict[str, Any]) -> list[str]:
    progress = report.get("search_progress")
    if not progress:
        return []
    figure, axis = _figure()
    for candidate, series in progress.items():
        trials = range(1, len(series["expected_best"]) + 1)
        line = axis.plot(trials, [v * 100 for v in series["expected_best"]], "-", label=candidate)[
            0
        ]
        axis.plot(trials, [v * 100 for v in series["best_so_far"]], ":", color=line.get_color())
    axis.set_xlabel("trials")
    axis.set_ylabel("validation accuracy %")
    axis.legend(fontsize=7)
    trials = report["search"]["trials"]
    counts = {}
    for trial in trials:
        counts.setdefault(trial["candidate"], {"complete": 0, "pruned": 0, "failed": 0})
        counts[trial["candidate"]][trial["state"]] += 1
    return [
        "<h2>Search progress per strategy</h2>",
        "<p>Solid: expected best validation accuracy after n trials (Dodge et al. 2019, unbiased "
        "estimator of Tang et al. 2020); dotted: best so far. A curve still rising at the end "
        "says more trials could change the answer.</p>",
        _png(figure),
        _table(
            ["candidate", "complete", "pruned", "failed"],
            [[k, v["complete"], v["pruned"], v["failed"]] for k, v in counts.items()],
        ),
    ]


def _costs(report: dict[str, Any]) -> list[str]:
    rows = [
        [
            entry["candidate"],
            f"{entry['train_seconds_mean']:.1f}",
            f"{entry['cost']['trainable_params']:,}",
            f"{entry['cost']['non_trainable_params']:,}",
            f"{entry['cost']['model_bytes'] / 1024:,.0f}",
            f"{entry['cost']['predict_ms_per_1000']:.0f}",
            "yes" if entry["cost"]["needs_vectors_file"] else "no",
        ]
        for entry in report["evidence"] + report.get("yardsticks", [])
    ]
    return [
        "<h2>Cost</h2>",
        _table(
            [
                "option",
                "train s",
                "trainable params",
                "frozen params",
                "size KB",
                "ms / 1,000 predictions",
                "needs vectors file",
            ],
            rows,
        ),
    ]


def _per_class(report: dict[str, Any]) -> list[str]:
    per_class = report.get("per_class")
    if not per_class:
        return []
    classes = per_class["classes"]
    rows = [
        [name, support, f"{p * 100:.1f}", f"{r * 100:.1f}", f"{f * 100:.1f}"]
        for name, support, p, r, f in zip(
            classes,
            per_class["support"],
            per_class["precision"],
            per_class["recall"],
            per_class["f1"],
            strict=True,
        )
    ]
    confusion = [[name, *row] for name, row in zip(classes, per_class["confusion"], strict=True)]
    return [
        f"<h2>Per class: {escape(report['recommendation']['recommended'])}</h2>",
        _table(["class", "test documents", "precision %", "recall %", "F1 %"], rows),
        "<p>Confusion matrix summed over seeds (rows: true class, columns: predicted).</p>",
        _table(["true \\ predicted", *classes], confusion),
    ]


def _reproduce(report: dict[str, Any]) -> list[str]:
    model = report["model"]
    versions = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    return [
        "<h2>Exported model</h2>",
        f"<p><code>{escape(model['path'])}</code> ({escape(model['candidate'])}, "
        f"{escape(retraining_words(model))}) takes raw strings; "
        f"{escape(accuracy_words(model))}.</p>",
        "<h2>Reproduce</h2>",
        f"<p><code>{escape(report['command'])}</code></p>",
        f"<p class='muted'>{escape(versions)}; Keras backend {escape(report['backend'])}; "
        f"{report['seconds']:.0f} s.</p>",
    ]
