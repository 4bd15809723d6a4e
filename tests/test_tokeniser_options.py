"""The tokeniser options: saved with a run, repeated in its command, refused when they clash."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from recommender.cli import app
from recommender.config import RunConfig
from recommender.errors import ConfigError
from recommender.report.assemble import command_line
from tests.conftest import EXAMPLES

ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


def test_a_run_saved_before_the_options_resumes_with_the_ascii_rules_it_used() -> None:
    saved = RunConfig(data="d.csv", out="run").to_dict()
    for name in ("tokenizer", "lowercase", "split"):
        del saved[name]
    old = RunConfig.from_dict(saved)
    assert (old.tokenizer, old.lowercase) == ("ascii", True)
    new = RunConfig(data="d.csv", out="run", tokenizer="ascii", lowercase=False, split="words")
    assert RunConfig.from_dict(new.to_dict()) == new


def test_the_command_repeats_the_tokeniser_options_that_differ_from_the_defaults() -> None:
    assert "--tokenizer" not in command_line(RunConfig(data="d.csv", out="run"))
    config = RunConfig(data="d.csv", out="run", tokenizer="ascii", lowercase=False)
    assert "--tokenizer ascii --no-lowercase --out run" in command_line(config)
    config = RunConfig(data="d.csv", out="run", split="characters")
    assert "--split characters" in command_line(config)


def test_character_tokens_with_the_ascii_rules_are_refused() -> None:
    with pytest.raises(ConfigError, match="--split characters needs --tokenizer unicode"):
        RunConfig(data="d.csv", out="run", tokenizer="ascii", split="characters")


def test_a_bad_tokeniser_option_is_one_line(tmp_path: Path) -> None:
    args = ["recommend", str(EXAMPLES / "chinese_reviews.csv"), "--tokenizer", "icu"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "run")], env=ENV)
    assert result.exit_code == 2
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and "--tokenizer must be unicode or ascii, got 'icu'" in lines[0]


def test_profile_of_chinese_reviews_tokenises_characters_and_names_the_rules() -> None:
    result = CliRunner().invoke(app, ["profile", str(EXAMPLES / "chinese_reviews.csv")], env=ENV)
    assert result.exit_code == 0, result.output
    assert (
        "tokeniser: unicode, lowercase, characters, punctuation kept (the vectors are lowercase; "
        "99% of" in result.output
    )
    assert "1,200 documents; 2 classes: negative 600, positive 600" in result.output
    words = CliRunner().invoke(
        app, ["profile", str(EXAMPLES / "chinese_reviews.csv"), "--split", "words"], env=ENV
    )
    assert "tokeniser: unicode, lowercase, words, punctuation kept (the vectors are" in words.output


def test_profile_refuses_clashing_tokeniser_options_in_one_line() -> None:
    args = ["profile", str(EXAMPLES / "chinese_reviews.csv"), "--tokenizer", "ascii"]
    result = CliRunner().invoke(app, [*args, "--split", "characters"], env=ENV)
    assert result.exit_code == 2
    assert "--split characters needs --tokenizer unicode" in result.output.strip()
    assert len(result.output.strip().splitlines()) == 1
