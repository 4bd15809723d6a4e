"""Loading real labelled files (with their traps) and the stratified split."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender import data as data_module
from recommender.data import (
    Dataset,
    load_dataset,
    load_splits,
    load_texts,
    split,
    stratified_sample,
)
from recommender.errors import ConfigError, DataError

FORMATS_FIX = "Give a .csv, .tsv, .jsonl or .parquet file"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def counts(dataset: Dataset) -> dict[str, int]:
    return dict(Counter(dataset.labels))


# --- real files -------------------------------------------------------------------------------


def test_mr_is_latin1_with_nel_bytes_and_keeps_every_line(shared_data: Path) -> None:
    data = load_dataset(shared_data / "datasets/mr/rt-polarity.all")
    assert len(data) == 10_662
    assert counts(data) == {"0": 5_331, "1": 5_331}
    assert data.format == "label-text"
    assert data.encoding == "cp1252"  # 0x85 is '…' there; as Latin-1 it is NEL, a line break
    assert any("cp1252" in warning and "line 32" in warning for warning in data.warnings)
    assert any("…" in text for text in data.texts)
    assert data.classes == ("0", "1")


def test_sms_spam_tsv_keeps_quotes_in_messages(shared_data: Path) -> None:
    data = load_dataset(shared_data / "datasets/sms_spam/SMSSpamCollection.tsv")
    assert len(data) == 5_574
    assert counts(data) == {"ham": 4_827, "spam": 747}
    assert (data.format, data.text_column, data.label_column) == ("tsv", "SMS", "Label")
    assert data.encoding == "utf-8"
    assert any('"' in text for text in data.texts)


def test_trec_has_six_classes(shared_data: Path) -> None:
    data = load_dataset(shared_data / "datasets/trec/TREC.train.all")
    assert len(data) == 5_452
    assert len(data.classes) == 6
    assert data.encoding != "utf-8"


def test_imdb_csv_columns_are_decided_by_name(shared_data: Path) -> None:
    data = load_dataset(shared_data / "datasets/imdb/imdb_train.part00.csv")
    assert (data.format, data.text_column, data.label_column) == ("csv", "text", "label")
    assert data.classes == ("neg", "pos")
    assert len(data) == 2_841
    assert any("<br />" in text for text in data.texts)


def test_code_csv_fields_span_lines(shared_data: Path) -> None:
    data = load_dataset(shared_data / "datasets/code_language_id/code_lang.part00.csv")
    assert (data.text_column, data.label_column) == ("text", "label")
    assert sum("\n" in text for text in data.texts) > len(data) / 2


def test_plain_tweets_are_not_mistaken_for_labelled_lines(shared_data: Path) -> None:
    # First words of prose repeat ('I', '@user'), so "distinct labels > half the lines" misses it.
    path = shared_data / "datasets/tweeteval_emoji/val_text.txt"
    with pytest.raises(DataError, match=r"val_text\.txt: does not look like labelled .*only once"):
        load_dataset(path)


def test_a_labels_only_file_is_rejected(shared_data: Path) -> None:
    path = shared_data / "datasets/tweeteval_emoji/val_labels.txt"
    with pytest.raises(DataError, match=f"val_labels.txt: .*no line has text.*{FORMATS_FIX}"):
        load_dataset(path)


# --- small files of each format ---------------------------------------------------------------


def test_label_text_with_crlf_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "data", "pos good film\r\n\r\nneg bad\tfilm \r\npos fine\r\n")
    data = load_dataset(path)
    assert data.texts == ("good film", "bad\tfilm", "fine")
    assert data.labels == ("pos", "neg", "pos")
    assert (data.format, data.encoding, data.text_column) == ("label-text", "utf-8", None)
    assert data.source == str(path)


def test_fasttext_keeps_the_first_of_several_labels(tmp_path: Path) -> None:
    lines = "__label__pos __label__happy great fun\n__label__neg dull\nno label here\n"
    data = load_dataset(write(tmp_path / "train.txt", lines))
    assert data.format == "fasttext"
    assert data.labels == ("pos", "neg")
    assert data.texts == ("great fun", "dull")
    assert any("several labels" in warning for warning in data.warnings)
    assert "dropped 1 row with an empty or NaN label" in data.warnings


def test_csv_multiline_quoted_fields_and_na_stays_text(tmp_path: Path) -> None:
    content = 'id,text,label\n1,"line one\nline two, with ""quotes""",a\n2,NA,b\n3,,a\n'
    data = load_dataset(write(tmp_path / "d.csv", content))
    assert data.texts == ('line one\nline two, with "quotes"', "NA", "")
    assert data.labels == ("a", "b", "a")


def test_csv_with_bom_and_cp1252_bytes(tmp_path: Path) -> None:
    content = b"\xef\xbb\xbfLabel,Review\npos,caf\xe9 \x93great\x94\nneg,awful\n"
    data = load_dataset(write(tmp_path / "d.csv", content))
    assert data.label_column == "Label"
    assert data.texts[0] == "café “great”"
    assert data.encoding == "cp1252"
    assert data.warnings == ("decoded as cp1252: not valid UTF-8 (first at line 2)",)


def test_latin1_when_not_cp1252(tmp_path: Path) -> None:
    data = load_dataset(write(tmp_path / "d.tsv", b"label\ttext\nx\ta\x81b\ny\tc\n"))
    assert data.encoding == "latin-1"
    assert data.texts == ("a\x81b", "c")


def test_two_unnamed_columns_longer_one_is_text(tmp_path: Path) -> None:
    data = load_dataset(write(tmp_path / "d.csv", "a,b\nlong words here,x\nmore long words,y\n"))
    assert (data.text_column, data.label_column) == ("a", "b")


def test_jsonl_types_and_missing_labels(tmp_path: Path) -> None:
    lines = [
        '{"text": "fine", "label": 1}',
        '{"text": null, "label": 0}',
        "",
        '{"text": "no label", "label": null}',
        '{"text": "blank", "label": "  "}',
        '{"text": "ok", "label": 1, "extra": true}',
    ]
    data = load_dataset(write(tmp_path / "d.jsonl", "\n".join(lines)))
    assert data.format == "jsonl"
    assert data.labels == ("1", "0", "1")
    assert data.texts == ("fine", "", "ok")
    assert "dropped 2 rows with an empty or NaN label" in data.warnings


def test_parquet_integer_labels(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    frame = pd.DataFrame({"sentence": ["a b", None, "c", "d"], "y": [0, 1, None, 1]})
    frame.to_parquet(path)
    data = load_dataset(path)
    assert (data.format, data.encoding) == ("parquet", "n/a")
    assert (data.text_column, data.label_column) == ("sentence", "y")
    assert data.labels == ("0", "1", "1")
    assert data.texts == ("a b", "", "d")


def test_explicit_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame({"x": ["a", "b"], "z": ["u", "v"], "w": [1, 2]}).to_parquet(path)
    data = load_dataset(path, text_column="x", label_column="z")
    assert data.labels == ("u", "v")


def test_folder_per_class(tmp_path: Path) -> None:
    write(tmp_path / "pos/1.txt", "good\n")
    write(tmp_path / "pos/2.txt", b"caf\xe9")
    write(tmp_path / "pos/.hidden.txt", "ignored")
    write(tmp_path / "pos/notes.md", "ignored")
    write(tmp_path / "neg/1.txt", "bad")
    write(tmp_path / ".git/x.txt", "ignored")
    write(tmp_path / "README.txt", "ignored")
    data = load_dataset(tmp_path)
    assert data.format == "folder"
    assert data.labels == ("neg", "pos", "pos")
    assert data.texts == ("bad", "good", "café")
    assert data.encoding == "cp1252"
    assert len(data.warnings) == 1 and "pos/2.txt" in data.warnings[0]


# --- errors -----------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv: file not found\. Check the path"):
        load_dataset(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("header.csv", b"label,text\n", "no data rows"),
        ("blank.txt", b"\n \r\n\n", "no data rows"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "does not look like a text data file"),
        ("utf16.csv", "label,text\nx,y\n".encode("utf-16"), "does not look like a text data file"),
        ("one.txt", b"pos a\npos b\n", "every line starts with 'pos'"),
        ("prose.txt", "\n".join(f"w{i} text" for i in range(30)).encode(), "30 different first"),
        ("one.csv", b"label,text\nx,a\nx,b\n", "only one class 'x' found in column 'label'"),
        ("nolabels.csv", b"label,text\n,a\n ,b\n", "every label in column 'label' is empty"),
    ],
)
def test_unusable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(DataError, match=f"^{re.escape(str(path))}: .*{re.escape(message)}"):
        load_dataset(path)


def test_bad_files_are_found_in_folders(tmp_path: Path) -> None:
    write(tmp_path / "a/1.txt", "x")
    with pytest.raises(
        DataError, match="only one class 'a' found; a classifier needs at least two"
    ):
        load_dataset(tmp_path)
    write(tmp_path / "b/1.txt", b"\x00\x01")
    with pytest.raises(DataError, match=r"b/1\.txt: does not look like a text data file"):
        load_dataset(tmp_path)


def test_folder_without_class_folders(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "pos x")
    with pytest.raises(DataError, match=f"no class sub-folders.*{FORMATS_FIX.lower()}"):
        load_dataset(tmp_path)


def test_broken_csv_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "label,text\na,b\na,b,c,d\n")
    with pytest.raises(DataError, match=r"d\.csv:3: cannot parse the CSV: .*fields"):
        load_dataset(path)


def test_extra_field_in_first_row_is_an_error_not_a_shifted_index(tmp_path: Path) -> None:
    path = write(tmp_path / "d.tsv", "label\ttext\nham\thi\tthere\nspam\twin\n")
    with pytest.raises(DataError, match=r"d\.tsv: .*first data row has more fields.*tabs"):
        load_dataset(path)


def test_broken_jsonl_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", '{"text": "a", "label": 1}\n\n{"text": oops}\n')
    with pytest.raises(DataError, match=r"d\.jsonl:3: not valid JSON .* one JSON object per line"):
        load_dataset(path)
    write(path, '{"text": "a", "label": 1}\n[1, 2]\n')
    with pytest.raises(DataError, match=r"d\.jsonl:2: expected a JSON object, got list"):
        load_dataset(path)


def test_ambiguous_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "a,b,c\nx,y,z\nu,v,w\n")
    with pytest.raises(
        DataError,
        match=r"d\.csv: cannot tell which column holds the text/labels; the columns are "
        r"\['a', 'b', 'c'\]\. Pass --text-column NAME --label-column NAME\.$",
    ):
        load_dataset(path)


def test_unknown_column(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "label,text\nx,a\ny,b\n")
    with pytest.raises(DataError, match=r"--text-column 'body' is not a column; .*'label', 'text'"):
        load_dataset(path, text_column="body")


def test_parquet_numeric_text_column(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pd.DataFrame({"text": [1.5, 2.0], "label": ["a", "b"]}).to_parquet(path)
    with pytest.raises(DataError, match=r"d\.parquet: text column 'text' holds float values"):
        load_dataset(path)


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = write(tmp_path / "d.parquet", "label,text\n")
    with pytest.raises(DataError, match=r"d\.parquet: cannot read the parquet file"):
        load_dataset(path)


def test_errors_are_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", 'label,text\na,"never closed\nb,x\n')
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(str(path))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.text(max_size=40), max_size=30))
def test_any_unicode_lines_load_or_fail_cleanly(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "lines.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        data = load_dataset(path)
    except DataError:
        return
    assert len(data.texts) == len(data.labels) >= 2
    assert all(label.strip() for label in data.labels)


_FILE_LIKE = st.text(alphabet='ab ,;"\t\n\r\x85é\x00{}:[]1', max_size=200).map(str.encode)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.binary(max_size=400) | _FILE_LIKE,
    suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".txt", ".parquet"]),
)
def test_any_bytes_in_any_format_load_or_fail_cleanly(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"data{suffix}"
        path.write_bytes(content)
        try:
            data = load_dataset(path)
        except DataError as error:
            assert "\n" not in str(error)
            return
    assert len(data.texts) == len(data.labels) and len(data.classes) >= 2
    assert not any("\x00" in text for text in data.texts)


_ANY_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40
)
_LABEL = (
    st.text("abcxyz019 -_é", min_size=1, max_size=6)
    .map(str.strip)
    .filter(lambda label: label and label.lower() != "nan")
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(_ANY_TEXT, _LABEL), min_size=2, max_size=15).filter(
        lambda rows: len({label for _, label in rows}) >= 2
    ),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_a_dataset_written_as_csv_or_jsonl_reads_back_the_same(
    rows: list[tuple[str, str]], fmt: str
) -> None:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)  # "\r\n" line ends: fields holding "\r" get quoted too
        writer.writerows([("text", "label"), *rows])
        content = buffer.getvalue()
    else:
        lines = [json.dumps({"text": t, "label": label}, ensure_ascii=False) for t, label in rows]
        content = "\n".join(lines)
    with tempfile.TemporaryDirectory() as folder:
        data = load_dataset(write(Path(folder) / f"data.{fmt}", content))
    assert data.texts == tuple(text for text, _ in rows)
    assert data.labels == tuple(label for _, label in rows)
    assert (data.text_column, data.label_column, data.encoding) == ("text", "label", "utf-8")


def test_mixed_encodings_decode_each_line_on_its_own(tmp_path: Path) -> None:
    content = "label,text\npos,café\n".encode() + "neg,caf\xe9\n".encode("cp1252")
    data = load_dataset(write(tmp_path / "d.csv", content))
    assert data.texts == ("café", "café")
    assert data.encoding == "utf-8+cp1252"


# --- split ------------------------------------------------------------------------------------


def test_split_is_stratified_disjoint_and_complete() -> None:
    labels = ["a"] * 100 + ["b"] * 37 + ["c"] * 3
    splits = split(labels, test_fraction=0.2, validation_fraction=0.1, seed=1)
    parts = (splits.train, splits.validation, splits.test)
    for part in parts:
        assert part.dtype == np.int64
        assert np.all(np.diff(part) > 0)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(labels)))
    for name, n in Counter(labels).items():
        in_test = sum(labels[i] == name for i in splits.test)
        in_validation = sum(labels[i] == name for i in splits.validation)
        assert abs(in_test - n * 0.2) <= 1 and in_test >= 1
        assert abs(in_validation - n * 0.1) <= 1 and in_validation >= 1


def test_split_is_reproducible() -> None:
    labels = ["x", "y"] * 50
    first, again, other = (split(labels, seed=s) for s in (7, 7, 8))
    assert np.array_equal(first.test, again.test)
    assert np.array_equal(first.train, again.train)
    assert not np.array_equal(first.test, other.test)


def test_split_of_a_real_dataset(shared_data: Path) -> None:
    data = load_dataset(shared_data / "datasets/trec/TREC.test.all")
    splits = split(data.labels)
    assert len(splits.train) + len(splits.validation) + len(splits.test) == len(data)


def test_split_needs_three_examples_per_class() -> None:
    with pytest.raises(
        DataError, match=r"class 'rare' has only 2 examples\. Every class needs at least 3"
    ):
        split(["common"] * 10 + ["rare"] * 2)


def test_split_rejects_fractions_that_leave_no_training_data() -> None:
    with pytest.raises(ConfigError, match="leave room for training"):
        split(["a", "b"] * 10, test_fraction=0.6, validation_fraction=0.4)


# --- the user's own test / validation files (load_splits) --------------------------------------


def _csv(path: Path, rows: list[tuple[str, str]], header: str = "text,label") -> Path:
    return write(path, header + "\n" + "".join(f"{text},{label}\n" for text, label in rows))


TRAIN_ROWS = [(f"train text {i}", "pos" if i % 3 else "neg") for i in range(90)]
TEST_ROWS = [(f"official test {i}", "pos" if i % 2 else "neg") for i in range(12)]


def test_a_test_file_is_exactly_the_test_split(tmp_path: Path) -> None:
    data = _csv(tmp_path / "train.csv", TRAIN_ROWS)
    test = _csv(tmp_path / "test.csv", TEST_ROWS)
    dataset, splits = load_splits(data, test=test, seed=3)
    assert splits.fixed == ("test",)
    assert len(dataset) == len(TRAIN_ROWS) + len(TEST_ROWS)
    assert dataset.texts[: len(TRAIN_ROWS)] == tuple(t for t, _ in TRAIN_ROWS)
    assert [dataset.texts[i] for i in splits.test] == [t for t, _ in TEST_ROWS]
    assert [dataset.labels[i] for i in splits.test] == [label for _, label in TEST_ROWS]
    assert np.array_equal(splits.test, np.arange(len(TRAIN_ROWS), len(dataset)))
    # train and validation are DATA's rows, stratified: validation 0.1 / (1 - 0.2) = 1/8 of DATA
    development = np.sort(np.concatenate([splits.train, splits.validation]))
    assert np.array_equal(development, np.arange(len(TRAIN_ROWS)))
    assert Counter(dataset.labels[i] for i in splits.validation) == {"pos": 8, "neg": 4}
    for part in (splits.train, splits.validation, splits.test):
        assert part.dtype == np.int64 and np.all(np.diff(part) > 0)
    again = load_splits(data, test=test, seed=3)[1]
    other = load_splits(data, test=test, seed=4)[1]
    assert np.array_equal(again.validation, splits.validation)
    assert not np.array_equal(other.validation, splits.validation)
    assert np.array_equal(other.test, splits.test)


def test_validation_and_test_files_leave_all_of_data_for_training(tmp_path: Path) -> None:
    data = _csv(tmp_path / "train.csv", TRAIN_ROWS)
    validation = _csv(tmp_path / "dev.csv", TEST_ROWS[:5])
    test = _csv(tmp_path / "test.csv", TEST_ROWS)
    dataset, splits = load_splits(data, test=test, validation=validation)
    assert splits.fixed == ("validation", "test")
    assert np.array_equal(splits.train, np.arange(90))
    assert np.array_equal(splits.validation, np.arange(90, 95))
    assert np.array_equal(splits.test, np.arange(95, 107))
    assert [dataset.texts[i] for i in splits.validation] == [t for t, _ in TEST_ROWS[:5]]


def test_a_validation_file_alone_leaves_the_test_split_drawn_from_data(tmp_path: Path) -> None:
    data = _csv(tmp_path / "train.csv", TRAIN_ROWS)
    validation = _csv(tmp_path / "dev.csv", TEST_ROWS)
    dataset, splits = load_splits(data, validation=validation)
    assert splits.fixed == ("validation",)
    assert np.array_equal(splits.validation, np.arange(90, 102))
    assert np.all(splits.test < 90) and len(splits.test) == 20  # 0.2 / (1 - 0.1) of 90
    assert np.array_equal(np.sort(np.concatenate([splits.train, splits.test])), np.arange(90))


def test_without_files_load_splits_is_load_dataset_and_split(tmp_path: Path) -> None:
    data = _csv(tmp_path / "train.csv", TRAIN_ROWS)
    dataset, splits = load_splits(data, seed=5)
    expected = split(load_dataset(data).labels, seed=5)
    assert splits.fixed == () and expected.fixed == ()
    for name in ("train", "validation", "test"):
        assert np.array_equal(getattr(splits, name), getattr(expected, name))
    assert dataset == load_dataset(data)


def test_a_test_file_may_lack_a_class_with_a_warning(tmp_path: Path) -> None:
    data = _csv(tmp_path / "train.csv", TRAIN_ROWS)
    test = _csv(tmp_path / "test.csv", [(t, "pos") for t, _ in TEST_ROWS])  # one class only
    dataset, splits = load_splits(data, test=test)
    assert len(splits.test) == len(TEST_ROWS)
    assert any(str(test) in w and "'neg'" in w for w in dataset.warnings)


def test_a_test_file_with_an_unknown_class_is_refused(tmp_path: Path) -> None:
    data = _csv(tmp_path / "train.csv", TRAIN_ROWS)
    test = _csv(tmp_path / "test.csv", [*TEST_ROWS, ("so so", "neutral"), ("meh", "neutral")])
    with pytest.raises(DataError) as caught:
        load_splits(data, test=test)
    assert str(caught.value) == (
        f"{test}: class 'neutral' (2 rows) is not one of the labels of {data} ('neg', 'pos'). "
        f"Correct or remove those rows, or add examples of 'neutral' to {data}: a model trained "
        "on it can never predict a class it has not seen."
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("sentence,label\nfine,pos\n", "its text/label columns are 'sentence'/'label', but"),
    ],
    ids=["empty", "other columns"],
)
def test_unusable_test_files(tmp_path: Path, content: str, message: str) -> None:
    data = _csv(tmp_path / "train.csv", TRAIN_ROWS)
    test = write(tmp_path / "test.csv", content)
    with pytest.raises(DataError, match=re.escape(f"{test}: {message}")):
        load_splits(data, test=test)


def test_missing_or_repeated_split_files_are_refused(tmp_path: Path) -> None:
    data = _csv(tmp_path / "train.csv", TRAIN_ROWS)
    test = _csv(tmp_path / "test.csv", TEST_ROWS)
    with pytest.raises(DataError, match=r"dev\.csv: file not found\. Check the --validation"):
        load_splits(data, validation=tmp_path / "dev.csv")
    with pytest.raises(DataError, match="is DATA itself, given as --test"):
        load_splits(data, test=data)
    with pytest.raises(DataError, match="is given as both --validation and --test"):
        load_splits(data, test=test, validation=test)


def test_with_a_test_file_every_class_needs_two_examples_in_data(tmp_path: Path) -> None:
    data = _csv(tmp_path / "train.csv", [*TRAIN_ROWS, ("lonely", "odd")])
    test = _csv(tmp_path / "test.csv", TEST_ROWS)
    with pytest.raises(DataError, match=r"class 'odd' has only 1 example\. With --test given"):
        load_splits(data, test=test)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("d.csv", 'id,text,label\n1,"line one\nline two, with ""quotes""",a\n2,NA,b\n3,,a\n4,x\n'),
        ("d.csv", b"\xef\xbb\xbfLabel,Review\npos,caf\xe9 \x93great\x94\nneg,awful\nneg,ok\n"),
        ("d.csv", "a,b\nlong words here,x\nmore long words,y\nand more,x\nshort,y\nlast,x\n"),
        ("d.tsv", 'label\ttext\nham\t"quoted\nham\tx\n\tno label\nspam\twin "big"\nham\t\n'),
        ("d.csv", "\ufefflabel,text\n" + "".join(f"{i % 3},text {i}\n" for i in range(25))),
        ("d.csv", "label,text,note\na,one\nb,two\na,three,n\nb,four\na,5\n"),
    ],
)
def test_a_csv_read_in_chunks_is_read_as_whole(
    tmp_path: Path, name: str, content: str | bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / name, content)

    def read() -> tuple[object, object]:
        try:
            texts: object = load_texts(path)
        except DataError as error:
            texts = str(error)
        return load_dataset(path), texts

    whole = read()
    monkeypatch.setattr(data_module, "_CHUNK_ROWS", 2)
    assert read() == whole


def test_a_stratified_sample_keeps_each_class_share_and_is_the_same_every_time() -> None:
    """Past the limit, about that many rows, in each class's share (a class of three rows keeps
    one), sorted, and the same on every call (every trial and worker scores the same
    validation documents); at or below it, every row."""
    y = np.array([0] * 6000 + [1] * 3997 + [2] * 3)
    rows = stratified_sample(y, 1000)
    assert np.array_equal(rows, stratified_sample(y.copy(), 1000))
    assert np.all(np.diff(rows) > 0) and abs(len(rows) - 1000) <= 3
    shares = np.bincount(y[rows], minlength=3)
    assert abs(shares[0] - 600) <= 1 and abs(shares[1] - 400) <= 1 and shares[2] == 1
    assert np.array_equal(stratified_sample(y, len(y)), np.arange(len(y)))
    assert np.array_equal(stratified_sample(y, 0), np.arange(len(y)))
