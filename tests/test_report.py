"""The report: self-contained HTML, re-rendering without training, and a verdict that does not
hang on the seed when the case is clear."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recommender.cli import app
from recommender.report.assemble import at_majority_rate
from recommender.report.files import headline
from tests.conftest import EXAMPLES
from tests.helpers import write_reviews_sample, write_tiny_space

ENV = {"NO_COLOR": "1", "COLUMNS": "120"}


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    data = write_reviews_sample(EXAMPLES / "customer_reviews.txt", folder / "reviews.txt", every=12)
    out = folder / "run"
    result = invoke(
        "recommend",
        str(data),
        "--space",
        str(write_tiny_space(folder)),
        "--more-seeds",
        "0",
        "--seeds",
        "2",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_html_report_is_self_contained_with_its_plots(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text()
    report = json.loads((run_dir / "report.json").read_text())
    assert "http://" not in page and "https://" not in page  # readable offline
    assert page.count("data:image/png;base64,") == 3  # comparison, learning curve, search
    assert page.index("Recommended:") < page.index("<h2>Data</h2>")  # the verdict comes first
    for heading in [
        "Strategies compared",
        "Learning curves",
        "Search progress per strategy",
        "Cost",
        "Per class",
        "Reproduce",
    ]:
        assert heading in page
    assert report["command"] in page
    assert report["learning_curve"]["fractions"] == [0.1, 0.25, 0.5, 1.0]
    # one training per share (a trend, at a third of the cost per option); 100% is the evidence
    shares = [p for p in report["learning_curve"]["points"] if p["fraction"] < 1]
    assert shares and all(len(p["accuracies"]) == 1 for p in shares)
    full = {p["candidate"]: p for p in report["learning_curve"]["points"] if p["fraction"] == 1}
    for option in report["evidence"]:
        runs = [run["accuracy"] for run in option["runs"]]
        assert full[option["candidate"]]["accuracies"] == runs
    assert len(report["per_class"]["confusion"]) == 2


@pytest.mark.slow
def test_report_command_rerenders_without_training(run_dir: Path) -> None:
    evidence_before = {p.name: p.stat().st_mtime_ns for p in (run_dir / "evidence").iterdir()}
    study_before = (run_dir / "study.db").stat().st_mtime_ns
    (run_dir / "report.html").unlink()
    (run_dir / "report.md").unlink()
    result = invoke("report", str(run_dir))
    assert result.exit_code == 0, result.output
    assert "Recommendation:" in result.output and "report.html" in result.output
    assert (run_dir / "report.html").is_file() and (run_dir / "report.md").is_file()
    assert {
        p.name: p.stat().st_mtime_ns for p in (run_dir / "evidence").iterdir()
    } == evidence_before
    assert (run_dir / "study.db").stat().st_mtime_ns == study_before


@pytest.mark.slow
def test_report_says_when_the_time_budget_ended_the_search(run_dir: Path, tmp_path: Path) -> None:
    """A time-limited search is smaller than the space asks: every page must say so."""
    assert "the full trial budget" in (run_dir / "report.md").read_text()
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    report = json.loads((copy / "report.json").read_text())
    report["search"].update(stopped_by="time", time_budget_seconds=90.0, trials_per_candidate=1)
    skipped = {"stage": "learning curve", "needed_seconds": 40.0, "left_seconds": 12.5}
    report["time_budget"] = {
        "seconds": 90.0,
        "used_seconds": 88.1,
        "overrun_seconds": 0.0,
        "skipped": [skipped],
    }
    (copy / "report.json").write_text(json.dumps(report))
    result = invoke("report", str(copy))
    assert result.exit_code == 0, result.output
    sentences = (
        "1 trial(s) per option, stopped by the time budget (90 s)",
        "used 88.1 s; left out: learning curve (about 40 s, 12.5 s left)",
    )
    for sentence in sentences:
        assert sentence in (copy / "report.md").read_text()
        assert sentence in (copy / "report.html").read_text()
        assert sentence in " ".join(result.output.split())


def test_report_command_on_a_folder_without_a_report(tmp_path: Path) -> None:
    result = invoke("report", str(tmp_path))
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: {tmp_path}: no report.json found. Pass the directory of a finished `embrec "
        "recommend` run, or rerun it to finish."
    )


@pytest.mark.slow
def test_html_report_renders_in_a_headless_browser(run_dir: Path, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tempfile.mkdtemp()}",
            "--window-size=1100,3000",
            f"--screenshot={screenshot}",
            (run_dir / "report.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    from PIL import Image

    image = Image.open(screenshot).convert("L")
    assert image.size == (1100, 3000)
    # a blank or broken page is one colour; a rendered report has text, tables and plots
    histogram = image.histogram()
    assert sum(1 for count in histogram if count > 50) > 20


@pytest.mark.slow
def test_changing_only_the_seed_keeps_a_clear_verdict(shared_data: Path, tmp_path: Path) -> None:
    """On MR, averaged frozen 50d GloVe trails a learned pooling model by about five points
    (see ../shared/ANCHORS.md): a clear case that must not flip with the seed."""
    space = write_tiny_space(tmp_path)
    space.write_text(
        space.read_text()
        .replace("trials_per_strategy = 2", "trials_per_strategy = 1")
        .replace("max_epochs = 2", "max_epochs = 4")
        .replace(
            'strategies = ["learned", "frozen", "fine-tuned"]', 'strategies = ["learned", "frozen"]'
        )
        .replace('encoders = ["pool", "cnn"]', 'encoders = ["pool"]')
        .replace("embedding_dim = { choices = [16] }", "embedding_dim = { choices = [50] }")
    )
    verdicts = []
    for seed in ("0", "1"):
        out = tmp_path / f"seed{seed}"
        result = invoke(
            "recommend",
            str(shared_data / "datasets/mr/rt-polarity.all"),
            "--space",
            str(space),
            "--more-seeds",
            "0",
            "--seeds",
            "2",
            "--seed",
            seed,
            "--no-yardsticks",
            "--no-learning-curve",
            "--out",
            str(out),
        )
        assert result.exit_code == 0, result.output
        decision = json.loads((out / "report.json").read_text())["recommendation"]
        verdicts.append((decision["recommended"], decision["verdict"]))
    assert verdicts[0] == verdicts[1] == ("learned", "clear winner")


def _option(candidate: str, accuracies: list[float], interval: list[float] | None) -> dict:
    mean = sum(accuracies) / len(accuracies)
    config = {"encoder": "pool", "pooling": "mean"}
    return {
        "candidate": candidate,
        "config": config,
        "accuracy_mean": mean,
        "accuracy_sd": 0.0,
        "accuracy_ci95": interval,
    }


def test_options_all_at_the_majority_rate_are_flagged_in_the_headline() -> None:
    """The 17k Chinese reviews' failure: every option at 52.6%, the majority rate, with a
    'clear winner'. The report must say that none of them learned anything."""
    majority = [{"candidate": "yardstick:majority", "accuracy_mean": 0.526}]
    chance = [
        _option("learned", [0.526, 0.526, 0.526], [0.526, 0.526]),
        _option("frozen:glove-6b-50d", [0.51, 0.52, 0.53], [0.495, 0.545]),
    ]
    flagged = at_majority_rate(chance, majority, 0.5, 0.5)
    assert flagged["flag"] and "(52.6%)" in flagged["sentence"]
    report = {
        "evidence": chance,
        "recommendation": {"recommended": "learned", "runner_up": None, "verdict": "clear"},
        "at_majority_rate": flagged,
    }
    assert "every option at the majority rate: no signal" in headline(report)
    learning = [*chance[:1], _option("fine-tuned:glove-6b-50d", [0.80, 0.81], [0.78, 0.83])]
    assert not at_majority_rate(learning, majority, 0.5, 0.5)["flag"]
    one_seed = [_option("learned", [0.60], None)]  # no interval: the lead over the rate decides
    assert not at_majority_rate(one_seed, [], 0.55, 0.5)["flag"]
    assert at_majority_rate(one_seed, [], 0.598, 0.5)["flag"]
    # Chinese reviews under the ascii rules: a sentence a token, so every option predicts one
    # class for nearly every text; a zero-width interval must not hide it
    constant = [_option("learned", [0.517, 0.517], [0.517, 0.517])]
    assert at_majority_rate(constant, [{**majority[0], "accuracy_mean": 0.5}], 0.5, 0.5)["flag"]
    weak = [_option("learned", [0.56, 0.56], [0.56, 0.56])]  # weak but real signal
    assert not at_majority_rate(weak, [{**majority[0], "accuracy_mean": 0.5}], 0.5, 0.5)["flag"]


def test_the_exported_model_line_says_how_many_trainings_it_averages() -> None:
    """report.md and report.html name the trainings an averaged export holds; a one-model
    export (tf-idf, `--final-models 1`, older runs) says nothing of the kind."""
    from recommender.report.files import retraining_words

    model = {"trained_on": "train+validation+test", "epochs": 5, "member_seeds": [0, 1, 2]}
    assert retraining_words(model) == (
        "retrained on train+validation+test for 5 epochs, the mean of 3 trainings (seeds 0, 1, 2)"
    )
    for one in ({**model, "member_seeds": [0]}, {"trained_on": "train", "epochs": 2}):
        assert "mean of" not in retraining_words(one)
