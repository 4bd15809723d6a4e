"""The README's commands and code, run as a new user would, from a fresh directory."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recommender.cli import app
from tests.conftest import EXAMPLES, REPO

README = (REPO / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


@pytest.mark.slow
def test_quick_start_and_python_snippets_run_as_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(EXAMPLES)
    first_command = _blocks("bash")[0].strip()
    embrec_part = first_command.split("&& embrec ", 1)[1]
    result = CliRunner().invoke(app, shlex.split(embrec_part), env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "runs/first/report.json").read_text())
    assert report["profile"]["documents"] == 3775
    candidates = {e["candidate"] for e in report["evidence"]}  # the quick space's four options
    assert candidates == {"learned", "frozen:glove-6b-50d", "fine-tuned:glove-6b-50d", "tf-idf"}
    evidence_mean = {e["candidate"]: e["accuracy_mean"] for e in report["evidence"]}
    chosen = report["model"]["candidate"]
    # the final model learns from every label; what it should score is the evidence's mean
    assert report["model"]["trained_on"] == "train+validation+test"
    assert report["model"]["documents"] == 3775
    assert report["model"]["test_accuracy"] is None
    assert report["model"]["expected_accuracy"] == evidence_mean[chosen]

    for snippet in _blocks("python"):
        exec(compile(snippet, "README.md", "exec"), {})
    assert (tmp_path / "runs/first/model/model.keras").is_file()


def test_readme_test_command_is_what_ci_runs() -> None:
    test_command = next(line for line in _blocks("bash")[1].splitlines() if "pytest" in line)
    assert test_command.strip() in (REPO / ".ci" / "run").read_text()
