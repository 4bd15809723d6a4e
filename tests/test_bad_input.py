"""A catalogue of bad input: each case a real-looking broken file and the one line embrec answers.

Every refusal is exit code 2 and one line saying what is wrong, where (file, line or key) and how
to fix it, never a traceback (`--debug` shows one). `profile` is used where no training is
needed, `recommend` where the case must get past loading. Files that are unusual but readable
(a .bin that is text, mixed encodings, a 10 MB document) are read, with a note where it matters.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from recommender import data, files
from recommender.cli import app
from recommender.config import RunConfig
from recommender.data import load_dataset
from recommender.errors import DataError, UserError
from recommender.vectors import CACHE_ENV
from tests.helpers import TINY_SPACE

ENV = {"NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"}
FORMATS = (
    "give a .csv, .tsv, .jsonl or .parquet file with a text and a label column, a text file of "
    "'LABEL TEXT' or '__label__LABEL TEXT' lines, or a folder with one sub-folder of .txt files "
    "per class"
)
COLUMNS_FIX = "Pass --text-column NAME --label-column NAME"
VECTORS_FIX = (
    "Pass a built-in name (glove-6b-50d) or a path to a GloVe text, word2vec text/binary, "
    "fastText .vec/.bin, gzipped text file"
)
REVIEWS = [
    ("pos", "great sound and the battery lasts all day"),
    ("neg", "the screen cracked after a week"),
    ("pos", "easy to set up and works as promised"),
    ("neg", "support never answered my emails"),
] * 10


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Vectors rows are cached in a fresh folder, never the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        yield


def invoke(*args: str | Path):
    return CliRunner().invoke(app, [str(arg) for arg in args], env=ENV)


def error_line(result) -> str:
    """The one line of a refusal, without its 'error: ' prefix."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def reviews_csv(rows: list[tuple[str, str]] = REVIEWS) -> str:
    return "label,text\n" + "".join(f"{label},{text}\n" for label, text in rows)


def labelled_lines(rows: list[tuple[str, str]] = REVIEWS) -> str:
    return "".join(f"{label} {text}\n" for label, text in rows)


# --- data files, through `embrec profile` ---------------------------------------------------

DATA_CASES = {
    "empty": (
        "reviews.csv",
        b"",
        "{path}: the file is empty. Give a .csv, .tsv, .jsonl or .parquet file with a text and "
        "a label column, a text file of 'LABEL TEXT' or '__label__LABEL TEXT' lines, or a folder "
        "with one sub-folder of .txt files per class.",
    ),
    "binary": (
        "reviews.csv",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4,
        "{path}: does not look like a text data file (it contains NUL bytes). Save it as UTF-8 "
        f"text; {FORMATS}.",
    ),
    "utf16": (
        "reviews.csv",
        reviews_csv().encode("utf-16"),
        "{path}: does not look like a text data file (it contains NUL bytes). It is UTF-16: save "
        "it as UTF-8 (iconv -f UTF-16 -t UTF-8).",
    ),
    "nul bytes deep inside": (
        "reviews.csv",
        reviews_csv(REVIEWS * 40).encode() + b"pos,fine\x00\x00\x00 headphones\n",
        "{path}:1602: a NUL byte in column 9: the file is damaged or partly binary. Delete the "
        "NUL bytes (tr -d '\\000' < FILE > FIXED) or export the data again.",
    ),
    "ambiguous columns": (
        "reviews.csv",
        "id,title,notes,score\n1,good,fine,5\n2,bad,broken,1\n3,ok,meh,3\n",
        "{path}: cannot tell which column holds the text/labels; the columns are ['id', 'title', "
        f"'notes', 'score']. {COLUMNS_FIX}.",
    ),
    "labels missing": (
        "reviews.csv",
        "label,text\n" + "".join(f",{text}\n" for _, text in REVIEWS),
        "{path}: every label in column 'label' is empty or NaN. Check the label column or pass "
        "--text-column NAME --label-column NAME.",
    ),
    "labels NaN (JSON)": (
        "reviews.jsonl",
        "".join(f'{{"text": "{text}", "label": NaN}}\n' for _, text in REVIEWS),
        "{path}: every label in column 'label' is empty or NaN. Check the label column or pass "
        "--text-column NAME --label-column NAME.",
    ),
    "labels 'nan' (pandas str of NaN)": (
        "reviews.csv",
        "text,label\n" + "".join(f"{text},nan\n" for _, text in REVIEWS),
        "{path}: every label in column 'label' is empty or NaN. Check the label column or pass "
        "--text-column NAME --label-column NAME.",
    ),
    "one class only": (
        "reviews.csv",
        reviews_csv([("pos", text) for _, text in REVIEWS]),
        "{path}: only one class 'pos' found in column 'label'; a classifier needs at least two. "
        "Add examples of another class, or pass --text-column NAME --label-column NAME.",
    ),
    "all texts empty": (
        "reviews.csv",
        "label,text\n" + "pos,\nneg, \npos,...\nneg,!!\n" * 10,
        "{path}: none of the 40 texts in column 'text' has a word: all are empty or punctuation. "
        "Pass --text-column NAME with the column that holds the text.",
    ),
    "unclosed quote": (
        "reviews.csv",
        reviews_csv(REVIEWS[:6]) + 'pos,"best purchase this year\n' + reviews_csv()[11:],
        "{path}:8: cannot parse the CSV: a quote opened on this line is never closed. Check "
        "quoting and the number of fields on that line.",
    ),
    "stray quote swallowing rows": (
        "reviews.csv",
        reviews_csv(REVIEWS[:3])
        + 'neg,"awful\npos,love it\nneg,too loud\npos,my "new" favourite\n'
        + reviews_csv()[11:],
        "{path}:5: a quoted field runs on over 4 lines, and line 6 ('pos,love it') looks like a "
        "row of its own: a quote is not closed where it should be. Close the quote (a quote "
        'inside a quoted field is written twice: ""); if the texts really hold such lines, save '
        "the data as JSONL.",
    ),
    "a field too many": (
        "reviews.csv",
        reviews_csv(REVIEWS[:4]) + "neg,loud,and hot\n" + reviews_csv()[11:],
        "{path}:6: cannot parse the CSV: this line has 3 fields, the header 2. Check quoting and "
        "the number of fields on that line.",
    ),
    "10 MB on one line": (
        "reviews.txt",
        "pos" + " great sound" * 873_813 + "!",  # 10 MiB: line breaks lost on the way
        "{path}: does not look like labelled 'LABEL TEXT' lines: the file is a single line of "
        "10,485,760 characters, with no line breaks. Give a .csv, .tsv, .jsonl or .parquet file "
        "with a text and a label column, a text file of 'LABEL TEXT' or '__label__LABEL TEXT' "
        "lines, or a folder with one sub-folder of .txt files per class.",
    ),
    "broken JSON line": (
        "reviews.jsonl",
        '{"text": "fine", "label": "pos"}\n{"text": "bad", "label": "neg"\n',
        "{path}:2: not valid JSON (Expecting ',' delimiter). Write one JSON object per line.",
    ),
}


@pytest.mark.parametrize("case", list(DATA_CASES), ids=list(DATA_CASES))
def test_a_bad_data_file_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    name, content, message = DATA_CASES[case]
    path = write(tmp_path / name, content)
    assert error_line(invoke("profile", path)) == message.format(path=path)


def test_a_missing_data_file(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    assert error_line(invoke("profile", path)) == (
        f"{path}: file not found. Check the path; {FORMATS}."
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_an_unreadable_data_file(tmp_path: Path) -> None:
    path = write(tmp_path / "reviews.csv", reviews_csv())
    path.chmod(0)
    assert error_line(invoke("profile", path)) == (
        f"{path}: cannot read the file (Permission denied). Check that it is readable "
        "(chmod +r), or pass another file."
    )


def test_an_unknown_column_lists_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "reviews.csv", "review,stars\ngood,5\nbad,1\nok,3\n")
    assert error_line(invoke("profile", path, "--text-column", "body")) == (
        f"{path}: --text-column 'body' is not a column; the columns are ['review', 'stars']. "
        "Pass --text-column NAME --label-column NAME with names from that list."
    )


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"text": [4.5, 3.0] * 10, "label": ["pos", "neg"] * 10}),
            "text column 'text' holds float values such as 4.5, not text. Pass --text-column "
            "NAME --label-column NAME naming the column with the text.",
        ),
        (
            pd.DataFrame(
                {"text": ["loud", "quiet"] * 10, "label": [["pos", "gift"], ["neg"]] * 10}
            ),
            "label column 'label' holds ndarray values such as ['pos', 'gift'], not one label per "
            "row. Give each row a single label, a name or a number (embrec picks one class per "
            "document), or pass --label-column NAME.",
        ),
    ],
    ids=["numbers as text", "lists as labels"],
)
def test_parquet_with_the_wrong_types(tmp_path: Path, frame: pd.DataFrame, message: str) -> None:
    path = tmp_path / "reviews.parquet"
    frame.to_parquet(path)
    assert error_line(invoke("profile", path)) == f"{path}: {message}"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "recommender.cli", "profile", str(tmp_path / "x.csv"), "--debug"],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
    )
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr
    assert "recommender.errors.DataError" in done.stderr and "file not found" in done.stderr


# --- unusual but readable data: read, and said -----------------------------------------------


def profile_json(*args: str | Path) -> dict:
    result = invoke("profile", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_some_labels_missing_are_dropped_and_said(tmp_path: Path) -> None:
    path = write(tmp_path / "reviews.csv", reviews_csv() + ",no label here\nnan,nor here\n")
    profile = profile_json(path)
    assert profile["documents"] == len(REVIEWS)
    assert "dropped 2 rows with an empty or NaN label" in profile["warnings"]


def test_mixed_encodings_are_decoded_line_by_line(tmp_path: Path) -> None:
    utf8 = reviews_csv().encode() + "pos,café crème très bien\n".encode()
    path = write(tmp_path / "reviews.csv", utf8 + "neg,caf\xe9 froid\n".encode("cp1252"))
    profile = profile_json(path)
    assert profile["documents"] == len(REVIEWS) + 2
    assert (
        "mixed encodings: 1 line not valid UTF-8 decoded as cp1252 (first at line 43), the other "
        "lines as UTF-8" in profile["warnings"]
    )
    assert profile["coverage"][0]["top_uncovered"] == []  # 'café' twice, no 'cafÃ©'


def test_a_10_mb_document_is_read_not_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "reviews.csv", reviews_csv() + "pos," + "great sound " * 873_813)
    profile = profile_json(path)
    assert profile["documents"] == len(REVIEWS) + 1
    assert profile["length_percentiles"]["max"] == 2 * 873_813


def test_old_mac_line_ends(tmp_path: Path) -> None:
    path = write(tmp_path / "reviews.txt", labelled_lines().replace("\n", "\r"))
    assert profile_json(path)["documents"] == len(REVIEWS)


# --- through `embrec recommend`: past loading, before any training ---------------------------


def test_a_class_too_small_to_split(tmp_path: Path) -> None:
    path = write(tmp_path / "reviews.csv", reviews_csv() + "neutral,it is a phone\n" * 2)
    out = tmp_path / "run"
    assert error_line(invoke("recommend", path, "--out", out)) == (
        f"{path}: class 'neutral' has only 2 examples. Every class needs at least 3 examples "
        "(one each for training, validation and test); add examples or remove the class."
    )
    assert not out.exists()


def test_all_texts_empty_stop_before_a_run_directory_is_made(tmp_path: Path) -> None:
    path = write(tmp_path / "reviews.tsv", "label\ttext\n" + "pos\t\nneg\t:-)\n" * 20)
    out = tmp_path / "run"
    assert error_line(invoke("recommend", path, "--out", out)) == (
        f"{path}: none of the 40 texts in column 'text' has a word: all are empty or "
        "punctuation. Pass --text-column NAME with the column that holds the text."
    )
    assert not out.exists()


def test_a_test_file_with_a_class_the_data_lacks(tmp_path: Path) -> None:
    path = write(tmp_path / "reviews.csv", reviews_csv())
    test = write(tmp_path / "test.csv", reviews_csv([*REVIEWS[:4], ("neutral", "it is a phone")]))
    out = tmp_path / "run"
    assert error_line(invoke("recommend", path, "--test", test, "--out", out)) == (
        f"{test}: class 'neutral' (1 row) is not one of the labels of {path} ('neg', 'pos'). "
        f"Correct or remove those rows, or add examples of 'neutral' to {path}: a model trained "
        "on it can never predict a class it has not seen."
    )
    assert not out.exists()


@pytest.mark.parametrize("option", ["--test", "--validation"])
def test_an_empty_or_missing_split_file(tmp_path: Path, option: str) -> None:
    path = write(tmp_path / "reviews.csv", reviews_csv())
    split_file = tmp_path / "split.csv"
    assert error_line(invoke("profile", path, option, split_file)) == (
        f"{split_file}: file not found. Check the {option} path (a file read as DATA is)."
    )
    write(split_file, "")
    assert error_line(invoke("profile", path, option, split_file)) == (
        f"{split_file}: the file is empty. {FORMATS[:1].upper()}{FORMATS[1:]}."
    )


def test_a_test_file_with_other_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "reviews.csv", reviews_csv())
    test = write(tmp_path / "test.csv", "sentence,label\nworks well,pos\nbroke,neg\n")
    assert error_line(invoke("profile", path, "--test", test)) == (
        f"{test}: its text/label columns are 'sentence'/'label', but those of {path} are "
        f"'text'/'label'. Name the columns 'text' and 'label' as in {path}, so both files are "
        "read alike."
    )


SPACE_CASES = {
    "unknown key": (
        ("patience = 1", "patience = 1\npatiance = 2"),
        "{path} -> search: unknown key 'patiance'. Allowed keys are batch_size, encoders, "
        "epoch_tokens, max_epochs, min_steps, patience, strategies, trials_per_strategy, "
        "validation_documents.",
    ),
    "unknown parameter": (
        ("filters = { choices = [8] }", "filterz = { choices = [8] }"),
        "{path} -> encoder -> cnn -> filterz: unknown parameter. The parameters are "
        "bigram_buckets, cell, dropout, embedding_dim, embedding_lr_scale, filters, hidden_units, "
        "kernel_sizes, learning_rate, oov_init, pooling, units, warmup_epochs.",
    ),
    "wrong type of a setting": (
        ("max_epochs = 2", 'max_epochs = "2"'),
        "{path} -> search -> max_epochs: must be an integer, got '2'. Correct the value.",
    ),
    "wrong type of a choice": (
        ("filters = { choices = [8] }", 'filters = { choices = [8, "many"] }'),
        "{path} -> encoder -> cnn -> filters: 'many' is not a whole number above 0. Correct the "
        "value.",
    ),
    "wrong type of a bound": (
        ("dropout = { low = 0.0, high = 0.3 }", 'dropout = { low = 0.0, high = "0.3" }'),
        "{path} -> common -> dropout: low and high must be numbers, got 0.0 and '0.3'. Use "
        "numbers.",
    ),
    "value out of range": (
        ("dropout = { low = 0.0, high = 0.3 }", "dropout = { low = 0.0, high = 1.5 }"),
        "{path} -> common -> dropout: 1.5 is not a number from 0 to below 1. Correct the value.",
    ),
    "empty range": (
        ("dropout = { low = 0.0, high = 0.3 }", "dropout = { low = 0.6, high = 0.5 }"),
        "{path} -> common -> dropout: empty range: low (0.6) is greater than high (0.5). Swap "
        "them.",
    ),
    "empty choices": (
        ("filters = { choices = [8] }", "filters = { choices = [] }"),
        "{path} -> encoder -> cnn -> filters: choices must be a non-empty list. List values.",
    ),
    "a needed parameter missing": (
        ('kernel_sizes = { choices = ["2,3"] }', ""),
        "{path}: no 'kernel_sizes' for the cnn encoder with the learned strategy. Add "
        "kernel_sizes = {{ ... }} to [common] or [encoder.cnn].",
    ),
    "not TOML": (
        ("[search]", "[search"),
        "{path}: not valid TOML (Expected ']' at the end of a table declaration (at line 2, "
        "column 8)). Fix the syntax.",
    ),
}


@pytest.mark.parametrize("case", list(SPACE_CASES), ids=list(SPACE_CASES))
def test_a_bad_search_space(tmp_path: Path, case: str) -> None:
    edit, message = SPACE_CASES[case]
    assert edit[0] in TINY_SPACE
    space = write(tmp_path / "mine.toml", TINY_SPACE.replace(*edit))
    data = write(tmp_path / "reviews.txt", labelled_lines())
    out = tmp_path / "run"
    line = error_line(invoke("recommend", data, "--space", space, "--out", out))
    assert line == message.format(path=space)
    assert not out.exists()


def test_an_out_directory_holding_another_run(tmp_path: Path) -> None:
    data = write(tmp_path / "reviews.txt", labelled_lines())
    out = tmp_path / "run"
    out.mkdir()
    RunConfig(data=str(data), out=str(out), seed=7).save()
    before = sorted(p.name for p in out.iterdir())
    assert error_line(invoke("recommend", data, "--out", out)) == (
        f"{out}: holds another run (its options differ in: seed). Pass a new --out directory, "
        "or the same options to resume that run."
    )
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_damaged_study_database(tmp_path: Path) -> None:
    data = write(tmp_path / "reviews.txt", labelled_lines())
    out = tmp_path / "run"
    out.mkdir()
    RunConfig(data=str(data), out=str(out)).save()
    write(out / "study.db", b"SQLite format 3\x00" + bytes(range(256)) * 8)
    assert error_line(invoke("recommend", data, "--out", out, "--quiet")) == (
        f"{(out / 'study.db').resolve()}: the search's study database cannot be read "
        "(DatabaseError: file is not a database). Move it away and rerun the same command; the "
        "search then starts again."
    )


def test_a_full_disk_when_the_run_starts(tmp_path: Path, monkeypatch) -> None:
    def full_disk(handle: int, write: object) -> None:
        os.close(handle)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files, "_write_to_disk", full_disk)
    data = write(tmp_path / "reviews.txt", labelled_lines())
    out = tmp_path / "run"
    assert error_line(invoke("recommend", data, "--out", out)) == (
        f"{out / 'config.json'}: cannot write the file (no space left on device). Free some "
        "space on that disk (or point the output elsewhere) and rerun the command."
    )
    assert [p.name for p in out.iterdir()] == [".lock"]  # no half-written file left behind


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (errno.ENOSPC, "no space left on device). Free some space on that disk"),
        (errno.EACCES, "permission denied). Make that folder writable"),
        (errno.EIO, "input/output error). Check the disk"),
    ],
)
def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch, code, message) -> None:
    path = write(tmp_path / "report.json", '{"complete": true}\n')

    def failing(handle: int, write: object) -> None:
        os.close(handle)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files, "_write_to_disk", failing)
    expected = re.escape(f"report.json: cannot write the file ({message}")
    with pytest.raises(UserError, match=expected):
        files.write_json(path, {"complete": False})
    assert path.read_text() == '{"complete": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_damaged_cached_json_reads_as_missing(tmp_path: Path) -> None:
    assert files.read_json(write(tmp_path / "cut.json", '{"run": {"seed": 1, "accur')) is None
    assert files.read_json(write(tmp_path / "bytes.json", b"\xff\xfe\x00")) is None
    assert files.read_json(tmp_path / "missing.json") is None
    assert files.read_json(write(tmp_path / "ok.json", '{"a": 1}')) == {"a": 1}


# --- vectors files, through `embrec profile --vectors` ---------------------------------------

WORDS = ["great", "sound", "and", "the", "battery", "screen", "week", "after", "cracked", "lasts"]


def vectors_text(rows: list[tuple[str, str]] | None = None, header: str | None = None) -> str:
    rng = np.random.default_rng(0)
    rows = rows or [(w, " ".join(f"{v:.4f}" for v in rng.normal(size=5))) for w in WORDS]
    return (f"{header}\n" if header else "") + "".join(f"{w} {values}\n" for w, values in rows)


VECTORS_CASES = {
    "ragged rows": (
        "vectors.txt",
        vectors_text().replace("\nsound ", "\nsound 0.5 ", 1),
        "{path}:2: line 2 has 6 values, expected 5 like line 1 (read as GloVe text (no header "
        "line)). Fix or delete that line; every row must be a word followed by 5 numbers.",
    ),
    "header disagrees with rows": (
        "vectors.vec",
        vectors_text(header="10 50"),
        "{path}:2: line 2 has 5 values, expected 50 (the header's size) (read as word2vec/"
        "fastText text (header line 'WORDS DIMENSIONS')). Fix or delete that line; every row "
        "must be a word followed by 50 numbers.",
    ),
    "header of words": (
        "vectors.vec",
        vectors_text(header="words dimensions"),
        "{path}: does not look like a word-vectors file (GloVe text, word2vec text/binary, "
        "fastText .vec/.bin, gzipped text). Pass the vectors file, not the dataset, or a "
        "built-in name (glove-6b-50d).",
    ),
    "NaN values": (
        "vectors.txt",
        vectors_text([("great", "0.1 0.2 0.3"), ("sound", "nan 0.2 0.3"), ("the", "1 2 3")]),
        "{path}:2: the vector of 'sound' has NaN or infinite values (1 such rows among the "
        "needed words). Re-export the vectors without NaN/inf, or remove those rows.",
    ),
    "inf values": (
        "vectors.txt",
        vectors_text([("great", "0.1 0.2 0.3"), ("sound", "0.1 inf 0.3"), ("the", "1 2 3")]),
        "{path}:2: the vector of 'sound' has NaN or infinite values (1 such rows among the "
        "needed words). Re-export the vectors without NaN/inf, or remove those rows.",
    ),
    "zero rows": (
        "vectors.vec",
        "0 300\n",
        "{path}:1: the header line says 0 words of 300 dimensions. A word2vec header line is "
        "'WORDS DIMENSIONS', both above 0.",
    ),
    "only blank lines": (
        "vectors.txt",
        "\n\n\n",
        "{path}: does not look like a word-vectors file (GloVe text, word2vec text/binary, "
        "fastText .vec/.bin, gzipped text). Pass the vectors file, not the dataset, or a "
        "built-in name (glove-6b-50d).",
    ),
    "dimension 0": (
        "vectors.vec",
        "3 0\ngreat\nsound\nthe\n",
        "{path}:1: the header line says 3 words of 0 dimensions. A word2vec header line is "
        "'WORDS DIMENSIONS', both above 0.",
    ),
    "words without values": (
        "vectors.txt",
        "great\nsound\nthe\n",
        "{path}: does not look like a word-vectors file (GloVe text, word2vec text/binary, "
        "fastText .vec/.bin, gzipped text). Pass the vectors file, not the dataset, or a "
        "built-in name (glove-6b-50d).",
    ),
    "random bytes as .bin": (
        "vectors.bin",
        bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)),
        "{path}: does not look like a word-vectors file (GloVe text, word2vec text/binary, "
        "fastText .vec/.bin, gzipped text). Pass the vectors file, not the dataset, or a "
        "built-in name (glove-6b-50d).",
    ),
    "empty file": ("vectors.txt", b"", f"{{path}}: the file is empty. {VECTORS_FIX}."),
}


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("data") / "reviews.txt", labelled_lines())


@pytest.mark.parametrize("case", list(VECTORS_CASES), ids=list(VECTORS_CASES))
def test_a_bad_vectors_file(tmp_path: Path, reviews: Path, case: str) -> None:
    name, content, message = VECTORS_CASES[case]
    path = write(tmp_path / name, content)
    result = invoke("profile", reviews, "--vectors", path)
    assert error_line(result) == message.format(path=path)


def coverage_of(reviews: Path, vectors: Path) -> dict:
    return profile_json(reviews, "--vectors", vectors)["coverage"][0]


def test_vectors_that_are_not_utf8_are_read_with_a_note(tmp_path: Path, reviews: Path) -> None:
    text = vectors_text([("great", "0.1 0.2"), ("caf\xe9", "0.3 0.4"), ("sound", "0.5 0.6")])
    coverage = coverage_of(reviews, write(tmp_path / "vectors.txt", text.encode("latin-1")))
    assert coverage["warnings"][0] == (
        "1 words are not valid UTF-8 (first at line 2); they were read as cp1252 (latin-1 where "
        "cp1252 has no character)"
    )


def test_duplicate_vectors_words_keep_the_first_with_a_note(tmp_path: Path, reviews) -> None:
    text = vectors_text([("great", "0.1 0.2"), ("sound", "0.3 0.4"), ("great", "0.5 0.6")])
    coverage = coverage_of(reviews, write(tmp_path / "vectors.txt", text))
    assert coverage["warnings"][0] == (
        "1 rows repeat a needed word seen before (first at line 3); the first row of each word "
        "was kept"
    )


def test_a_bin_that_is_text_is_read_as_text(tmp_path: Path, reviews: Path) -> None:
    coverage = coverage_of(reviews, write(tmp_path / "vectors.bin", vectors_text()))
    assert coverage["format"] == "glove-text" and coverage["dim"] == 5


def test_a_txt_that_is_binary_is_read_as_binary(tmp_path: Path, reviews: Path) -> None:
    rows = np.random.default_rng(2).normal(size=(len(WORDS), 8)).astype("<f4")
    body = b"".join(
        w.encode() + b" " + r.tobytes() + b"\n" for w, r in zip(WORDS, rows, strict=True)
    )
    path = write(tmp_path / "vectors.txt", f"{len(WORDS)} 8\n".encode() + body)
    coverage = coverage_of(reviews, path)
    assert coverage["format"] == "word2vec-binary" and coverage["dim"] == 8


def test_a_vectors_line_longer_than_the_sniff_window(tmp_path: Path, reviews: Path) -> None:
    path = write(tmp_path / "vectors.txt", "great " + "0.1 " * 400_000 + "\nsound 0.2\n")
    assert error_line(invoke("profile", reviews, "--vectors", path)) == (
        f"{path}:1: line 1 is longer than 1 MiB (read as GloVe text (no header line)); no row "
        "of a vectors file is that long. Pass the vectors file, not the dataset, or a built-in "
        "name (glove-6b-50d)."
    )


@pytest.mark.parametrize(
    "case", [c for c in DATA_CASES if DATA_CASES[c][0].endswith((".csv", ".tsv"))]
)
def test_a_file_read_in_chunks_of_two_rows_is_refused_alike(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV/TSV is parsed a chunk of rows at a time: a problem in a later chunk is still found
    and named by its line of the file, as when the file is one chunk."""
    name, content, _ = DATA_CASES[case]
    path = write(tmp_path / name, content)

    def outcome() -> object:
        try:
            read = load_dataset(path)
        except DataError as error:
            return str(error)
        return tuple(read.texts), read.labels, read.text_column, read.warnings, read.encoding

    whole = outcome()
    monkeypatch.setattr(data, "_CHUNK_ROWS", 2)
    assert outcome() == whole
