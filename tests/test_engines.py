"""Both search engines behind one interface: the same trial records, the same number of trials
per candidate, a time budget that ends the search at a round boundary, and a KerasTuner search
that resumes without re-running finished trials."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from recommender import files
from recommender.cli import app
from recommender.config import RunConfig
from recommender.models import candidates_for
from recommender.search import engine as engine_module
from recommender.search import keras_tuner_engine
from recommender.search.engine import (
    Budget,
    Engine,
    RoundClock,
    SearchFailed,
    best_trials,
    engine_for,
)
from recommender.space import load_space
from tests.conftest import EXAMPLES
from tests.helpers import tiny_prepared, write_failing_space, write_reviews_sample, write_tiny_space

ENGINES = ("optuna", "keras-tuner-bayesian", "keras-tuner-hyperband")


@pytest.fixture(scope="module")
def prepared():
    return tiny_prepared()


def engine(name: str, folder: Path) -> Engine:
    folder.mkdir(exist_ok=True)
    return engine_for(name, folder, None)


def test_every_engine_gives_each_candidate_the_same_trials_as_the_same_records(
    prepared, tmp_path: Path
) -> None:
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = candidates_for(("learned", "frozen"), ("glove-6b-50d",))
    for name in ENGINES:
        seen = []
        outcome = engine(name, tmp_path / name).run(
            prepared, candidates, space, Budget(2), seed=0, on_trial=seen.append
        )
        assert outcome.engine == name
        assert (outcome.stopped_by, outcome.trials_per_candidate) == ("trials", 2)
        assert [r.candidate for r in seen] == [c.key for c in candidates] * 2  # turns
        assert list(outcome.records) == sorted(seen, key=lambda r: r.candidate != "learned")
        for record in outcome.records:
            assert record.state == "complete" or (name == "optuna" and record.state == "pruned")
            assert record.slot in (0, 1) and isinstance(record.value, float)
            scoped = {"encoder", "learning_rate", "dropout"} | (
                {"embedding_dim"} if record.candidate == "learned" else set()
            )
            assert scoped <= set(record.config) and not {k for k in record.config if "/" in k}
            if record.state == "complete":
                assert record.best_epoch in (1, 2) and record.seconds > 0
        assert set(best_trials(outcome.records)) == {c.key for c in candidates}


FIRST = """
[[first]]
name = "a fixed CNN"
encoder = "cnn"
learning_rate = 5e-3
dropout = 0.3
filters = 8
kernel_sizes = "2,3"
embedding_dim = 16
"""


@pytest.mark.parametrize("name", ["optuna", "keras-tuner-bayesian"])
def test_the_first_slot_of_every_candidate_is_the_known_good_trial(
    prepared, tmp_path: Path, name: str
) -> None:
    path = write_tiny_space(tmp_path)
    path.write_text(path.read_text() + FIRST)
    space = load_space(str(path))
    candidates = candidates_for(("learned", "frozen"), ("glove-6b-50d",))
    outcome = engine(name, tmp_path / name).run(prepared, candidates, space, Budget(2), seed=0)
    for candidate in candidates:
        first, second = sorted(
            (r for r in outcome.records if r.candidate == candidate.key), key=lambda r: r.slot
        )
        expected = {"encoder": "cnn", "learning_rate": 5e-3, "dropout": 0.3, "filters": 8}
        expected |= {"kernel_sizes": "2,3"}
        if candidate.strategy == "learned":
            expected["embedding_dim"] = 16
        assert first.slot == 0 and first.config == expected
        assert second.config != expected  # the sampler's own draw


@pytest.mark.parametrize("name", ["optuna", "keras-tuner-bayesian"])
def test_a_time_budget_ends_the_search_at_a_round_boundary(
    prepared, tmp_path: Path, name: str
) -> None:
    """The first round always runs; the second would not fit in what is left of 0.5 s."""
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = candidates_for(("learned", "frozen"), ("glove-6b-50d",))
    outcome = engine(name, tmp_path / name).run(
        prepared, candidates, space, Budget(5, seconds=0.5), seed=0
    )
    assert (outcome.stopped_by, outcome.trials_per_candidate) == ("time", 1)
    assert sorted(r.candidate for r in outcome.records) == sorted(c.key for c in candidates)


def test_a_search_under_a_run_budget_keeps_time_for_the_evidence(monkeypatch) -> None:
    """With 4 rounds kept for what follows the search, a round of 10 s starts only while the
    time left covers it and 40 s more; without a reserve, while it covers the round."""
    now = [0.0]
    monkeypatch.setattr(engine_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    kept, plain = RoundClock(100.0, reserve_rounds=4), RoundClock(100.0)
    for clock in (kept, plain):
        assert clock.allows_round()  # the first round always runs
        clock.start_round()
    now[0] = 10.0
    for clock in (kept, plain):
        clock.end_round()
    now[0] = 50.0
    assert kept.allows_round() and plain.allows_round()
    now[0] = 51.0
    assert not kept.allows_round() and plain.allows_round()
    now[0] = 91.0
    assert not plain.allows_round()


def test_a_resumed_keras_tuner_search_does_not_rerun_finished_trials(
    prepared, tmp_path: Path, monkeypatch
) -> None:
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = candidates_for(("learned",), ())
    tuner = engine("keras-tuner-bayesian", tmp_path / "run")
    first = tuner.run(prepared, candidates, space, Budget(1), seed=0).records

    real_fit = keras_tuner_engine.fit_candidate
    trained = []

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C, or a kill, in the middle of trial 1

    def counted(*args, **kwargs):
        trained.append(kwargs["seed"])
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(keras_tuner_engine, "fit_candidate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tuner.run(prepared, candidates, space, Budget(3), seed=0)
    monkeypatch.setattr(keras_tuner_engine, "fit_candidate", counted)
    resumed = tuner.run(prepared, candidates, space, Budget(3), seed=0).records
    assert trained == [1, 2]  # the interrupted trial 1 again (its seed is its slot), then 2
    assert resumed[:1] == first and [r.number for r in resumed] == [0, 1, 2]
    assert all(r.state == "complete" for r in resumed)


def test_a_keras_tuner_search_killed_while_writing_oracle_json_resumes_to_the_full_budget(
    prepared, tmp_path: Path, monkeypatch
) -> None:
    """A kill while KerasTuner writes oracle.json (here: half of it on disk, then the process
    exits) leaves the previous oracle.json whole, and the resumed search runs every trial."""
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = candidates_for(("learned",), ())
    tuner = engine("keras-tuner-bayesian", tmp_path / "run")
    first = tuner.run(prepared, candidates, space, Budget(1), seed=0).records
    oracle_json = tmp_path / "run" / "keras_tuner" / "learned" / "oracle.json"
    before = oracle_json.read_bytes()
    write_to_disk = files._write_to_disk

    def killed_in_oracle_json(handle: int, write) -> None:
        buffer = io.BytesIO()
        write(buffer)
        data = buffer.getvalue()
        if b'"ongoing_trials"' not in data:  # a trial.json or tuner0.json: written in full
            return write_to_disk(handle, lambda stream: stream.write(data))
        with os.fdopen(handle, "wb") as stream:  # oracle.json as trial 1 starts: cut short
            stream.write(data[: len(data) // 2])
        raise SystemExit(137)

    monkeypatch.setattr(files, "_write_to_disk", killed_in_oracle_json)
    with pytest.raises(SystemExit):
        tuner.run(prepared, candidates, space, Budget(3), seed=0)
    assert oracle_json.read_bytes() == before
    monkeypatch.setattr(files, "_write_to_disk", write_to_disk)
    resumed = tuner.run(prepared, candidates, space, Budget(3), seed=0)
    assert (resumed.stopped_by, resumed.trials_per_candidate) == ("trials", 3)
    assert resumed.records[:1] == first and [r.number for r in resumed.records] == [0, 1, 2]
    assert all(r.state == "complete" for r in resumed.records)


def test_failed_keras_tuner_trials_are_recorded_and_stop_the_search_after_three(
    prepared, tmp_path: Path
) -> None:
    """A convolution wider than every padded text cannot run: each trial fails the same way."""
    space = load_space(str(write_failing_space(tmp_path, prepared.sequence_length)))
    candidates = candidates_for(space.strategies, ("glove-6b-50d",))
    seen = []
    with pytest.raises(SearchFailed, match="3 trials in a row failed; the last with: \\w+Error"):
        engine("keras-tuner-bayesian", tmp_path / "run").run(
            prepared, candidates, space, Budget(2), seed=0, on_trial=seen.append
        )
    assert [(r.state, r.value) for r in seen] == [("failed", None)] * 3
    assert all(r.error and "Error" in r.error and r.config["encoder"] == "cnn" for r in seen)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--time-budget", "abc"],
            "error: --time-budget must be a duration above 0, got 'abc'. Pass a number with s, "
            "m or h, such as 90s, 10m or 1h.",
        ),
        (
            ["--engine", "keras-tuner-bayesian", "--storage", "postgresql://localhost/x"],
            "error: --storage needs --engine optuna (KerasTuner keeps its trials in the run "
            "folder). Drop --storage or pass --engine optuna.",
        ),
        (
            ["--engine", "keras-tuner-bayesian", "--jobs", "2"],
            "error: --jobs needs --engine optuna (the keras-tuner-bayesian engine runs one trial "
            "at a time). Drop --jobs, or pass --engine optuna.",
        ),
        (
            ["--jobs", "0"],
            "error: --jobs must be at least 1, got 0. Pass --jobs 1 or more.",
        ),
        (
            ["--engine", "hyperopt"],
            "error: --engine must be one of optuna, keras-tuner-bayesian, "
            "keras-tuner-hyperband, got 'hyperopt'. Pass one of those names.",
        ),
    ],
)
def test_bad_search_options_are_one_line(tmp_path: Path, args: list[str], line: str) -> None:
    result = CliRunner().invoke(
        app,
        ["recommend", str(EXAMPLES / "customer_reviews.txt"), *args, "--out", str(tmp_path)],
        env={"NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert result.exit_code == 2
    assert result.output.strip() == line
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_a_time_budget_bounds_the_run_and_the_report_says_what_it_left_out(tmp_path: Path) -> None:
    """A KerasTuner search ended by --time-budget says so; the budget is the whole run's, so
    the learning curve it asked for is left out, and the report says what and why."""
    data = write_reviews_sample(EXAMPLES / "customer_reviews.txt", tmp_path / "reviews.txt")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "recommend",
            str(data),
            "--space",
            str(write_tiny_space(tmp_path)),
            "--engine",
            "keras-tuner-hyperband",
            "--time-budget",
            "1s",
            "--trials",
            "3",
            "--more-seeds",
            "0",
            "--seeds",
            "1",
            "--no-yardsticks",
            "--learning-curve",
            "--quiet",
            "--out",
            str(out),
        ],
        env={"NO_COLOR": "1"},
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    search = report["search"]
    assert (search["engine"], search["time_budget_seconds"]) == ("keras-tuner-hyperband", 1.0)
    # the budget bounds the whole run: the learning curve asked for is left out, and said so
    budget = report["time_budget"]
    assert report["learning_curve"] is None
    assert [s["stage"] for s in budget["skipped"]] == ["learning curve", "2 of 3 final models"]
    assert budget["used_seconds"] == pytest.approx(report["seconds"], abs=0.5)
    # where the time went: every stage that ran, in order, adding up to the run's seconds
    stages = report["stage_seconds"]
    assert list(stages) == [
        "read and profile",
        "prepare",
        "search",
        "evidence",
        "final model and export",
    ]
    assert sum(stages.values()) == pytest.approx(report["seconds"], abs=0.5)
    assert "Time: read and profile" in (out / "report.md").read_text()
    # and memory: the process's peak at each stage's end, a running maximum, named in report.md
    peaks = list(report["stage_peak_gib"].values())
    assert list(report["stage_peak_gib"]) == list(stages)
    assert peaks[0] > 0 and peaks == sorted(peaks)
    assert f"peak memory {peaks[-1]:.2f} GiB, reached in: " in (out / "report.md").read_text()
    assert budget["overrun_seconds"] == pytest.approx(budget["used_seconds"] - 1.0, abs=0.1)
    assert "left out: learning curve" in (out / "report.md").read_text()
    assert (search["stopped_by"], search["trials_per_candidate"]) == ("time", 1)
    assert sorted(t["candidate"] for t in search["trials"]) == sorted(
        e["candidate"] for e in report["evidence"]
    )
    assert "--engine keras-tuner-hyperband --time-budget 1s" in report["command"]
    assert (out / "model" / "model.keras").is_file()


def test_a_run_configuration_saved_before_the_engines_still_loads() -> None:
    saved = RunConfig(data="reviews.txt", out="runs/old").to_dict()
    for name in ("engine", "time_budget", "storage"):
        del saved[name]
    config = RunConfig.from_dict(saved)
    assert (config.engine, config.time_budget, config.storage) == ("optuna", None, None)
