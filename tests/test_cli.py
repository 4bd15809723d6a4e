"""The CLI end to end on real data: run directory, report, exported model, resume, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recommender.cli import app
from recommender.data import load_dataset, split
from tests.conftest import EXAMPLES
from tests.helpers import write_reviews_sample, write_tiny_space

ENV = {"NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    data = write_reviews_sample(EXAMPLES / "customer_reviews.txt", folder / "reviews.txt")
    space = write_tiny_space(folder)
    out = folder / "out"
    # the learning curve has its own tests (test_report.py); here it would only add minutes
    args = [
        str(data),
        "--space",
        str(space),
        "--more-seeds",
        "0",
        "--final",
        "holdout",  # so the exported model's test accuracy can be checked from raw strings
        "--seeds",
        "2",
        "--no-learning-curve",
        "--out",
        str(out),
    ]
    result = invoke("recommend", *args)
    assert result.exit_code == 0, result.output
    return data, out, args, result.output


@pytest.mark.slow
def test_recommend_writes_a_complete_run_directory(finished_run) -> None:
    _, out, _, output = finished_run
    for name in [
        "config.json",
        "profile.json",
        "study.db",
        "trials.json",
        "report.json",
        "report.md",
        "model/model.keras",
        "model/labels.json",
    ]:
        assert (out / name).is_file(), name
    assert "Vocabulary coverage" in output and "Recommendation:" in output
    report = json.loads((out / "report.json").read_text())
    assert {e["candidate"] for e in report["evidence"]} == {
        "learned",
        "frozen:glove-6b-50d",
        "fine-tuned:glove-6b-50d",
    }
    assert all(len(e["runs"]) == 2 for e in report["evidence"])
    trials = report["search"]["trials"]
    assert {t["candidate"] for t in trials} == {e["candidate"] for e in report["evidence"]}
    assert len(trials) == 6
    decision = report["recommendation"]
    assert decision["recommended"] in {e["candidate"] for e in report["evidence"]}
    assert (
        decision["verdict"] in ("clear winner", "tie", "inconclusive")
        and "at least 0.5 points" in decision["rule"]
    )
    assert report["model"]["raw_text_vs_token_ids_max_abs_diff"] < 1e-5
    assert json.loads((out / "model/labels.json").read_text())["labels"] == ["0", "1"]
    assert (
        report["splits"]["test"] + report["splits"]["train"] + report["splits"]["validation"]
        == report["profile"]["documents"]
    )


@pytest.mark.slow
def test_exported_model_takes_raw_strings_in_a_fresh_process(finished_run, tmp_path) -> None:
    data, out, _, _ = finished_run
    dataset = load_dataset(data)
    test_rows = split(dataset.labels, seed=0).test
    texts = [dataset.texts[i] for i in test_rows] + ["", "Ünïcode words never seen 😀 !!"]
    (tmp_path / "texts.json").write_text(json.dumps(texts))
    # the default (unicode) rules' standardize step is embrec's one registered layer: loading
    # needs that module, and nothing else of embrec
    script = (
        "import json, sys, keras, tensorflow as tf\n"
        "import recommender.keras_text\n"
        f"model = keras.models.load_model({str(out / 'model/model.keras')!r})\n"
        f"texts = json.loads(open({str(tmp_path / 'texts.json')!r}).read())\n"
        "probabilities = model.predict(tf.constant(texts), verbose=0)\n"
        "assert bool(tf.reduce_all(tf.math.is_finite(probabilities))), 'non-finite output'\n"
        "loaded = {m for m in sys.modules if m.startswith('recommender')}\n"
        "assert loaded == {'recommender', 'recommender.keras_text', 'recommender.text',"
        " 'recommender.textstore', 'recommender.spill', 'recommender.errors'}, loaded\n"
        "print(json.dumps(probabilities.argmax(axis=1).tolist()))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    predicted = json.loads(done.stdout.strip().splitlines()[-1])
    labels = json.loads((out / "model/labels.json").read_text())["labels"]
    truth = [labels.index(dataset.labels[i]) for i in test_rows]
    accuracy = sum(p == t for p, t in zip(predicted, truth, strict=False)) / len(truth)
    report = json.loads((out / "report.json").read_text())
    assert accuracy == pytest.approx(report["model"]["test_accuracy"], abs=1e-9)
    assert len(predicted) == len(texts)


@pytest.mark.slow
def test_rerunning_the_same_command_resumes_without_new_trials(finished_run) -> None:
    _, out, args, _ = finished_run
    before = json.loads((out / "trials.json").read_text())
    result = invoke("recommend", *args)
    assert result.exit_code == 0, result.output
    assert "Resuming" in result.output
    assert json.loads((out / "trials.json").read_text()) == before


@pytest.mark.slow
def test_another_runs_options_are_refused_in_the_same_directory(finished_run) -> None:
    _, out, args, _ = finished_run
    result = invoke("recommend", *args[:-2], "--seed", "7", "--out", str(out))
    assert result.exit_code == 2
    assert "holds another run (its options differ in: seed)" in result.output


@pytest.mark.slow
def test_predict_prints_a_label_per_text(finished_run) -> None:
    _, out, _, _ = finished_run
    result = invoke("predict", str(out / "model"), "great sound, love it", "it broke in a day")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and all(line.split("\t")[0] in ("0", "1") for line in lines)


def test_profile_prints_coverage_per_vectors_source(shared_data: Path) -> None:
    result = invoke(
        "profile",
        str(EXAMPLES / "customer_reviews.txt"),
        "--vectors",
        "glove-6b-50d",
        "--vectors",
        str(shared_data / "vectors/glove.6B.50d.top20k.vec"),
    )
    assert result.exit_code == 0, result.output
    assert "3,775 documents; 2 classes: 0 1,368, 1 2,407" in result.output
    assert "glove-6b-50d" in result.output and "glove.6B.50d.top20k.vec" in result.output


def test_profile_json_is_machine_readable() -> None:
    result = invoke("profile", str(EXAMPLES / "customer_reviews.txt"), "--json")
    assert result.exit_code == 0, result.output
    profile = json.loads(result.output)
    coverage = profile["coverage"][0]
    assert profile["documents"] == 3775 and coverage["vectors"] == "glove-6b-50d"
    assert 0.95 < coverage["token_rate"] <= 1 and len(coverage["top_uncovered"]) == 20


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1, result.output
    return lines[0]


def test_missing_data_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    line = _one_error_line(invoke("profile", str(tmp_path / "nope.csv")))
    assert line.startswith("error: ") and "nope.csv" in line


def test_one_class_only_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("text,label\ngood film,pos\nfine film,pos\nnice,pos\n")
    line = _one_error_line(invoke("recommend", str(path), "--out", str(tmp_path / "o")))
    assert "one class" in line and "one.csv" in line


def test_unknown_column_lists_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("review,stars\ngood,5\nbad,1\nok,3\n")
    line = _one_error_line(invoke("profile", str(path), "--text-column", "body"))
    assert "review" in line and "stars" in line


def test_a_file_that_is_not_vectors_is_refused(tmp_path: Path) -> None:
    line = _one_error_line(
        invoke(
            "profile",
            str(EXAMPLES / "customer_reviews.txt"),
            "--vectors",
            str(EXAMPLES / "customer_reviews.txt"),
        )
    )
    assert "customer_reviews.txt" in line and "vectors" in line


def test_an_out_directory_with_other_files_is_not_touched(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("precious")
    line = _one_error_line(
        invoke("recommend", str(EXAMPLES / "customer_reviews.txt"), "--out", str(tmp_path))
    )
    assert "not an embrec run directory" in line
    assert (tmp_path / "thesis.tex").read_text() == "precious"


def test_test_and_validation_files_are_saved_resumed_and_in_the_command(tmp_path: Path) -> None:
    from dataclasses import replace

    from recommender.config import RunConfig, load_config
    from recommender.report.assemble import command_line

    run = tmp_path / "run"
    config = RunConfig(data="train.csv", out=str(run), test="test.csv", validation="dev.csv")
    run.mkdir()
    config.save()
    saved = json.loads((run / "config.json").read_text())
    assert (saved["test"], saved["validation"]) == ("test.csv", "dev.csv")
    assert load_config(run) == config
    assert command_line(config).startswith(
        "embrec recommend train.csv --validation dev.csv --test test.csv --vectors "
    )
    assert "--test" not in command_line(replace(config, test=None, validation=None))
    assert "--final holdout --more-seeds 0" not in command_line(config)
    assert "--more-seeds 0" in command_line(replace(config, more_seeds=0, final="holdout"))
    assert "--final holdout" in command_line(replace(config, final="holdout"))
    del saved["test"], saved["validation"]  # a run from before the options
    assert RunConfig.from_dict(saved) == replace(config, test=None, validation=None)
    line = _one_error_line(invoke("recommend", "--resume", str(run), "--test", "other.csv"))
    assert "--resume takes the run's options from its config.json, so --test cannot" in line


def test_profile_scores_held_out_figures_on_the_given_test_file(tmp_path: Path) -> None:
    rows = [("pos", "great sound and a long battery"), ("neg", "the screen cracked at once")]
    data = tmp_path / "train.csv"
    data.write_text(
        "label,text\n" + "".join(f"{label},{text} {i}\n" for i in range(20) for label, text in rows)
    )
    test = tmp_path / "test.csv"
    test.write_text("label,text\npos,lovely sound\nneg,cracked screen\npos,good battery\n")
    result = invoke("profile", str(data), "--test", str(test), "--json")
    assert result.exit_code == 0, result.output
    profile = json.loads(result.output)
    assert profile["documents"] == 43
    assert profile["split"] == {"train": 36, "validation": 4, "test": 3}  # 2 of 20 per class
    assert profile["split_origin"].startswith(f"test {test};")
