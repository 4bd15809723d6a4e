"""The one tokeniser: identical to the exported model's TextVectorization, on any text, in
every mode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.backend import import_keras
from recommender.errors import ConfigError
from recommender.export import PARITY_PROBES, _standardize, head_and_tail
from recommender.text import (
    ASCII_RULES,
    DEFAULT_RULES,
    Rules,
    TokenIds,
    Vocabulary,
    _separated,
    character_table,
    choose_rules,
    has_words,
    head_length,
    normalize_word,
    tokenize,
)

AWKWARD_TEXTS = [
    "Hello, World! It's  ÉCOLE café\u00a0nbsp\x85nel tab\there",
    "",
    "   ",
    "don't-stop... 3.5% ünïcödé ΑΒΓ",
    "a\u2003b\u3000c",
    "émoji 😀!!",
    "UPPER lower MiXeD",
    "x\x00y",
    "\x00",
    "nul\x00 end",
    "simplistic , silly and tedious . ",
    "don\x92t \x93quoted\x94 1990\x962000 \x8ei\x9eek \x81 \x85end",  # Windows-1252 as Latin-1
    "sun \ufe0f \ufe0fx @ ☀\ufe0e❤\ufe0f\u200d🔥",  # selectors left alone, and inside emoji
]


# Every set of rules a run can choose; the exported model must tokenise as each does.
MODES = [
    DEFAULT_RULES,
    Rules(characters=True),
    Rules(lowercase=False, characters=True),
    ASCII_RULES,
    Rules(tokenizer="ascii", lowercase=False),
    Rules(punctuation="keep"),
    Rules(lowercase=False, characters=True, punctuation="keep"),
]
MODE_IDS = [
    "unicode",
    "unicode-characters",
    "unicode-cased-characters",
    "ascii",
    "ascii-cased",
    "unicode-punctuation",
    "unicode-cased-characters-punctuation",
]


def _keras_ids(texts: list[str], vocabulary: Vocabulary, length: int, rules: Rules) -> np.ndarray:
    """Ids from the exported model's own front (`export.raw_text_model`'s TextVectorization)."""
    keras = import_keras()
    import tensorflow as tf

    layer = keras.layers.TextVectorization(
        standardize=_standardize(rules), split="whitespace", vocabulary=list(vocabulary.words)
    )
    return keras.ops.convert_to_numpy(head_and_tail(layer(tf.constant(texts)), length))


def test_tokenize_splits_words_and_drops_punctuation_like_keras() -> None:
    assert tokenize("It's a GREAT film, isn't it?") == ["its", "a", "great", "film", "isnt", "it"]
    assert tokenize("") == []


def test_unicode_rules_lowercase_every_script_and_strip_unicode_punctuation() -> None:
    text = "Über DAS Café, ¡Hola! «Très» bien…"
    assert tokenize(text) == ["über", "das", "café", "hola", "très", "bien"]
    assert tokenize(text, ASCII_RULES) == ["Über", "das", "café", "¡hola", "«très»", "bien…"]
    assert tokenize("ΣΟΦΌΣ Ｆｕｌｌ ﬁne") == ["σοφόσ", "full", "fine"]  # NFKC per character
    assert tokenize("Über DAS Café", Rules(lowercase=False)) == ["Über", "DAS", "Café"]


def test_windows_1252_read_as_latin_1_gives_the_words_it_meant() -> None:
    mojibake = "Don\x92t miss \x93\x8ei\x9eek\x94 \x96 perfect\x85 \x81"
    assert (
        tokenize(mojibake)
        == tokenize("Don’t miss “Žižek” – perfect… ")
        == [
            "dont",
            "miss",
            "žižek",
            "perfect",
        ]
    )


def test_characters_mode_splits_unspaced_scripts_and_keeps_other_words_and_emoji() -> None:
    chinese = "我喜欢这个产品，iPhone很好用！😀👍🏽"
    assert tokenize(chinese) == ["我喜欢这个产品", "iphone很好用", "😀", "👍"]
    assert tokenize(chinese, Rules(characters=True)) == [
        *"我喜欢这个产品",
        "iphone",
        *"很好用",
        "😀",
        "👍",
    ]
    assert tokenize("東京タワー ภาษาไทย", Rules(characters=True)) == [*"東京タワー", *"ภาษาไทย"]


def test_punctuation_kept_makes_each_mark_a_token_and_deletes_only_apostrophes() -> None:
    """What fastText, GloVe and Kim's CNN see: "!" and "?" carry sentiment and question type."""
    keep = Rules(punctuation="keep")
    assert tokenize("Don't! Self-aware, 9/10?? :)", keep) == [
        *("dont", "!", "self", "-", "aware", ",", "9", "/", "10", "?", "?", ":", ")"),
    ]
    assert tokenize("«Très» bien… £5 ！", keep) == ["«", "très", "»", "bien", *"...", "£", "5", "!"]
    assert tokenize("我喜欢，很好用！", Rules(characters=True, punctuation="keep")) == [
        *"我喜欢",
        ",",
        *"很好用",
        "!",
    ]
    assert tokenize("Don\x92t \x93so\x94", keep) == tokenize("Don’t “so”", keep)


def test_a_variation_selector_left_where_an_emoji_was_removed_is_a_token_when_marks_are_kept():
    """Data sets that strip emoji (TweetEval's emoji prediction) leave the selector of "❤️"
    behind, a trace of which emoji it was; the peers' whitespace tokens keep it, so does keep."""
    text = "Sunday in the sun \ufe0f \ufe0f @ Venice ❤\ufe0f"
    assert tokenize(text, Rules(punctuation="keep")) == [
        *("sunday", "in", "the", "sun", "\ufe0f", "\ufe0f", "@", "venice", "❤", "\ufe0f"),
    ]
    assert tokenize(text) == ["sunday", "in", "the", "sun", "venice", "❤"]


def test_choose_rules_reads_the_script_from_the_data_and_case_from_the_vectors() -> None:
    chinese = ["质量还不错，内容只适合边上厕所便消遣了", "很后悔,不怎么样的一本书,千万别买 PS"]
    english = ["It's a GREAT film", "a dull one, 我 think"]
    rules, reason = choose_rules(chinese, "unicode", None, "auto", None, "drop")
    assert rules == Rules(characters=True) and "94% of the letters" in reason
    rules, reason = choose_rules(english, "unicode", None, "auto", "cc.en.300.vec", "drop")
    assert rules == Rules(lowercase=False) and "cc.en.300.vec keeps case" in reason
    assert choose_rules(chinese, "unicode", True, "words", "x.vec", "drop") == (DEFAULT_RULES, "")
    assert choose_rules(chinese, "ascii", True, "auto", None, "drop")[0] == ASCII_RULES


def test_punctuation_auto_keeps_the_marks_unless_the_ascii_rules_cannot() -> None:
    """The default keeps punctuation as tokens; `--tokenizer ascii` alone still works (its rules
    delete it), while asking for both is refused."""
    texts = ["Great phone!", "Battery: 2/10?"]
    assert choose_rules(texts, "unicode", None, "auto", None)[0] == Rules(punctuation="keep")
    assert choose_rules(texts, "ascii", None, "auto", None)[0] == ASCII_RULES
    with pytest.raises(ConfigError, match="--punctuation keep needs --tokenizer unicode"):
        choose_rules(texts, "ascii", None, "auto", None, "keep")


def test_texts_of_punctuation_alone_have_no_words_whichever_way_marks_are_treated() -> None:
    keep = Rules(punctuation="keep")
    assert not has_words(tokenize("... !! :-) «»", keep), keep)
    assert not has_words(tokenize("... !! :-) «»"), DEFAULT_RULES)
    assert not has_words(tokenize("! \ufe0f ?", keep), keep)  # a lone selector is a mark too
    assert has_words(tokenize("... 😀", keep), keep)  # emoji are kept either way
    assert has_words(tokenize("!! ok", keep), keep)


@pytest.mark.parametrize("rules", MODES, ids=MODE_IDS)
def test_encoding_equals_the_exported_front_on_awkward_texts_of_many_scripts(rules: Rules) -> None:
    texts = AWKWARD_TEXTS + list(PARITY_PROBES)
    tokens = [tokenize(t, rules) for t in texts]
    vocabulary = Vocabulary.build(tokens[::2])  # the other texts have words outside it
    ours = vocabulary.encode(tokens, 40)
    np.testing.assert_array_equal(ours, _keras_ids(texts, vocabulary, 40, rules))
    assert (ours > 1).sum() > 20  # the check compares real words, not only out-of-vocabulary


@pytest.mark.parametrize("rules", MODES, ids=MODE_IDS)
@settings(max_examples=25, deadline=None)
@given(texts=st.lists(st.text(max_size=40), min_size=1, max_size=5))
def test_encoding_equals_the_exported_front_on_arbitrary_text(
    rules: Rules, texts: list[str]
) -> None:
    tokens = [tokenize(t, rules) for t in texts]
    vocabulary = Vocabulary.build(tokens)
    if not vocabulary.words:
        return
    np.testing.assert_array_equal(
        vocabulary.encode(tokens, 8), _keras_ids(texts, vocabulary, 8, rules)
    )


def test_vocabulary_orders_by_frequency_and_reserves_padding_and_oov() -> None:
    vocabulary = Vocabulary.build([["b", "a", "b"], ["c", "a", "b"]])
    assert vocabulary.words == ("b", "a", "c")
    assert len(vocabulary) == 5  # padding + OOV + 3 words
    assert vocabulary.index("b") == 2 and vocabulary.index("unseen") == 1


def test_encode_pads_and_cuts_a_long_text_to_its_head_and_tail() -> None:
    words = [str(n) for n in range(20)]
    vocabulary = Vocabulary.build([words])
    ids = vocabulary.encode([["0"], words[:8], words[:9], words, [*words, "zzz"]], 8)
    as_numbers = [[int(vocabulary.words[i - 2]) if i > 1 else -i for i in row] for row in ids]
    assert as_numbers == [
        [0, 0, 0, 0, 0, 0, 0, 0],  # "0", then padding (shown as 0)
        [0, 1, 2, 3, 4, 5, 6, 7],  # as long as the sequence: whole
        [0, 1, 3, 4, 5, 6, 7, 8],  # one token too many: the first 2 and the last 6
        [0, 1, 14, 15, 16, 17, 18, 19],
        [0, 1, 15, 16, 17, 18, 19, -1],  # an unknown last word: out-of-vocabulary (-1 here)
    ]
    assert ids.dtype == np.int32
    keep = Rules(punctuation="keep")
    texts = [" ".join(words[:n]) for n in (1, 8, 9, 20)]
    exported = _keras_ids(texts, vocabulary, 8, keep)  # the exported model cuts them alike
    np.testing.assert_array_equal(exported, ids[:4])


def test_max_size_keeps_the_most_frequent_words() -> None:
    vocabulary = Vocabulary.build([["x", "y", "y", "z", "z", "z"]], max_size=2)
    assert vocabulary.words == ("z", "y")


@pytest.mark.parametrize(
    "rules", [MODES[0], *MODES[1:3], *MODES[5:]], ids=[MODE_IDS[0], *MODE_IDS[1:3], *MODE_IDS[5:]]
)
@settings(max_examples=25, deadline=None)
@given(
    texts=st.lists(st.text(st.characters(max_codepoint=127), max_size=40), min_size=1, max_size=5)
)
def test_ascii_texts_take_the_fast_path_of_the_exported_front_to_the_same_ids(
    rules: Rules, texts: list[str]
) -> None:
    """The unicode front handles ASCII-only texts with built-in ops: same tokens, whether a
    batch is all ASCII or mixed."""
    texts = texts + ["naïve ÉCOLE"] if len(texts) % 2 else texts
    tokens = [tokenize(t, rules) for t in texts]
    vocabulary = Vocabulary.build([*tokens, ["word"]])
    np.testing.assert_array_equal(
        vocabulary.encode(tokens, 8), _keras_ids(texts, vocabulary, 8, rules)
    )


@pytest.mark.parametrize("rules", MODES, ids=MODE_IDS)
@settings(max_examples=150, deadline=None)
@given(text=st.text())
def test_tokenize_is_idempotent_on_its_own_output(rules: Rules, text: str) -> None:
    tokens = tokenize(text, rules)
    assert tokenize(" ".join(tokens), rules) == tokens
    assert all(normalize_word(token, rules) == token for token in tokens)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=8), st.integers(1, 12))
def test_encoded_ids_map_back_to_their_words(texts: list[str], length: int) -> None:
    tokens = [tokenize(text) for text in texts]
    vocabulary = Vocabulary.build(tokens)
    ids = vocabulary.encode(tokens, length)
    assert ids.shape == (len(texts), length) and ids.min(initial=0) >= 0
    assert ids.max(initial=0) < len(vocabulary)
    for row, document in zip(ids, tokens, strict=True):
        head = head_length(length)
        kept = (
            document
            if len(document) <= length
            else document[:head] + document[head:][-(length - head) :]
        )
        expected = [token if "\x00" not in token else "[UNK]" for token in kept]
        names = ["[UNK]" if i == 1 else vocabulary.words[i - 2] for i in row[: len(kept)]]
        assert names == expected and not row[len(kept) :].any()


@pytest.mark.parametrize(
    "rules", [MODES[0], *MODES[1:3], *MODES[5:]], ids=[MODE_IDS[0], *MODE_IDS[1:3], *MODE_IDS[5:]]
)
@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_takes_a_faster_path_to_the_same_tokens(rules: Rules, text: str) -> None:
    marks = rules.punctuation == "keep"
    mapped = text.translate(character_table(rules.lowercase, marks))
    slow = _separated(rules.characters, marks).sub(r" \g<0> ", mapped).split()
    assert tokenize(text, rules) == slow


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "\x00g"]), max_size=9), max_size=12
    ),
    st.integers(1, 10),
    st.integers(1, 6),
)
def test_token_ids_give_the_vocabulary_and_ids_that_token_lists_give(
    documents: list[list[str]], length: int, max_size: int
) -> None:
    corpus = TokenIds.from_tokens(documents)
    assert len(corpus) == len(documents) and [corpus[i] for i in range(len(corpus))] == documents
    rows = np.arange(len(documents))[::2]
    chosen = [documents[i] for i in rows]
    expected = Vocabulary.build(chosen, max_size=max_size)
    counts = zip(corpus.words, corpus.counts(rows).tolist(), strict=True)
    vocabulary = Vocabulary.from_counts(counts, max_size)
    assert vocabulary == expected
    assert np.array_equal(
        corpus.encode(vocabulary, rows, length), vocabulary.encode(chosen, length)
    )
    keys = corpus.document_keys()
    for i, j in zip(range(len(documents)), range(len(documents))[::-1], strict=True):
        assert (keys[i] == keys[j]) == (documents[i] == documents[j])
