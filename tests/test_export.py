"""The exported model: raw strings in, the training tokenisation, loadable without embrec, the
vocabulary extension, `embrec export` of another finalist and `embrec predict --input`."""

from __future__ import annotations

import csv
import importlib.util
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from recommender import cli
from recommender.backend import import_keras
from recommender.data import load_dataset, split
from recommender.errors import UserError
from recommender.export import (
    DEFAULT_EXTENSION,
    PARITY_PROBES,
    _with_rows,
    _write_in_subprocess,
    export_model,
    extension_rows,
)
from recommender.models import Candidate, appended_rows, build_model, unfreeze
from recommender.prepare import prepare
from recommender.search.trial import fit_candidate
from recommender.text import ASCII_RULES, DEFAULT_RULES, Rules, Vocabulary, tokenize, tokenize_all
from recommender.vectors import load_vectors
from tests.conftest import EXAMPLES
from tests.helpers import write_reviews_sample, write_tiny_space

ENV = {"NO_COLOR": "1", "COLUMNS": "120", "TERM": "dumb"}
FROZEN = "frozen:glove-6b-50d"


def invoke(*args: str):
    return CliRunner().invoke(cli.app, list(args), env=ENV)


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, Path]:
    """(data, run directory) of one finished run on a few hundred real reviews."""
    folder = tmp_path_factory.mktemp("export")
    data = write_reviews_sample(EXAMPLES / "customer_reviews.txt", folder / "reviews.txt")
    space = write_tiny_space(folder)
    out = folder / "run"
    args = [
        "recommend",
        str(data),
        "--space",
        str(space),
        "--more-seeds",
        "0",
        "--final",
        "holdout",  # scored on the held-out test split: what these tests check
        "--seeds",
        "2",
        "--out",
        str(out),
    ]
    result = invoke(*args, "--no-yardsticks", "--no-learning-curve")  # not what is tested here
    assert result.exit_code == 0, result.output
    return data, out


@pytest.fixture(scope="module")
def frozen_export(run) -> Path:
    """The frozen finalist exported by `embrec export` (with the default vocabulary extension)."""
    _, out = run
    result = invoke("export", str(out), "--strategy", FROZEN)
    assert result.exit_code == 0, result.output
    return out / "model-frozen-glove-6b-50d"


def _test_texts(data: Path) -> tuple[list[str], list[str]]:
    dataset = load_dataset(data)
    rows = split(dataset.labels, seed=0).test
    return [dataset.texts[i] for i in rows], [dataset.labels[i] for i in rows]


def _in_a_fresh_process(folder: Path, request: dict, body: str, embrec: bool = False) -> list:
    """Run `body` in a new Python with only Keras and TensorFlow (with `embrec`, also the
    module that registers the unicode rules' standardize step): it reads `request` (texts,
    folders) and fills `answers`, which come back as JSON."""
    (folder / "request.json").write_text(json.dumps(request))
    script = (
        "import json, sys, keras, numpy as np, tensorflow as tf\n"
        + ("import recommender.keras_text\n" if embrec else "")
        + "request = json.loads(open('request.json').read())\n"
        "texts = tf.constant(request['texts'])\n"
        f"{body}"
        + ("" if embrec else "assert 'recommender' not in sys.modules\n")
        + "print(json.dumps(answers))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    if embrec:  # this checkout's package, whatever is installed
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=folder
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _model_report(model_dir: Path) -> dict:
    return json.loads((model_dir / "report.json").read_text())["model"]


@pytest.mark.slow
def test_the_model_folder_holds_both_formats_labels_card_and_the_report(run) -> None:
    _, out = run
    model_dir = out / "model"
    for name in ["model.keras", "saved_model/saved_model.pb", "labels.json", "model_card.md"]:
        assert (model_dir / name).is_file(), name
    assert (model_dir / "report.json").read_text() == (out / "report.json").read_text()
    report = json.loads((out / "report.json").read_text())
    model = report["model"]
    assert model["saved_model"] == "model/saved_model" and model["card"] == "model/model_card.md"
    assert model["raw_text_vs_token_ids_max_abs_diff"] < 1e-5
    evidence = next(e for e in report["evidence"] if e["candidate"] == model["candidate"])
    low, high = evidence["accuracy_ci95"]
    card = (model_dir / "model_card.md").read_text()
    assert f"(95% interval {low * 100:.1f} to {high * 100:.1f})" in card
    assert f"test accuracy {model['test_accuracy'] * 100:.1f}% from raw strings" in card
    assert "## Intended use" in card and "## Limits" in card
    assert "glove-6b-50d covers" in card or model["candidate"] == "learned"
    # the default --final-models: three trainings of the configuration, averaged
    assert model["member_seeds"] == [0, 1, 2]
    assert "The mean of the probabilities of 3 models of this configuration" in card
    assert "the mean of 3 trainings (seeds 0, 1, 2)" in (out / "report.md").read_text()


@pytest.mark.slow
def test_a_pretrained_model_card_names_the_vectors_licence_and_the_extension(
    frozen_export,
) -> None:
    card = (frozen_export / "model_card.md").read_text()
    assert "licence: GloVe 6B (PDDL-1.0), Stanford NLP" in card
    extension = _model_report(frozen_export)["vocabulary_extension"]
    assert f"at most 50,000): {extension['reason']}." in card
    assert "glove-6b-50d covers" in card and "frequent words without a vector" in card


@pytest.mark.slow
def test_the_saved_model_loads_without_embrec_and_the_keras_file_with_its_standardize_step(
    run, frozen_export, tmp_path
):
    """Under the default unicode rules: the SavedModel needs TensorFlow only; model.keras needs
    `import recommender.keras_text` first. Both answer as the export measured."""
    data, out = run
    texts, truth = _test_texts(data)
    request = {
        "texts": texts + list(PARITY_PROBES),
        "folders": [str(out / "model"), str(frozen_export)],
    }
    served_answers = _in_a_fresh_process(
        tmp_path,
        request,
        "answers = []\n"
        "for folder in request['folders']:\n"
        "    loaded = tf.saved_model.load(folder + '/saved_model')  # kept: it owns the weights\n"
        "    answers.append(loaded.serve(texts).numpy().tolist())\n",
    )
    keras_answers = _in_a_fresh_process(
        tmp_path,
        request,
        "answers = [np.asarray(keras.models.load_model(folder + '/model.keras')(texts)).tolist()\n"
        "           for folder in request['folders']]\n",
        embrec=True,
    )
    for folder, from_keras, served in zip(
        request["folders"], keras_answers, served_answers, strict=True
    ):
        from_keras, served = np.array(from_keras), np.array(served)
        assert from_keras.shape == (len(request["texts"]), 2)
        assert np.isfinite(from_keras).all()
        assert np.abs(from_keras - served).max() < 1e-5
        labels = json.loads((Path(folder) / "labels.json").read_text())["labels"]
        predicted = [labels[i] for i in from_keras[: len(texts)].argmax(axis=1)]
        accuracy = np.mean([p == t for p, t in zip(predicted, truth, strict=True)])
        assert accuracy == pytest.approx(_model_report(Path(folder))["test_accuracy"], abs=1e-9)
    card = (out / "model" / "model_card.md").read_text()
    assert "run `import recommender.keras_text` (embrec installed) before" in card


@pytest.mark.slow
def test_raw_strings_give_the_probabilities_of_the_tokeniser_ids(run, frozen_export) -> None:
    """The exported TextVectorization and `recommender.text` agree on every test text and on
    punctuation, unicode, empty and unseen words: same ids, so the same probabilities."""
    keras = import_keras()
    import tensorflow as tf

    data, out = run
    texts = _test_texts(data)[0] + list(PARITY_PROBES)
    for folder in (out / "model", frozen_export):
        model = keras.models.load_model(folder / "model.keras")
        words = model.get_layer("tokenize").get_vocabulary()
        assert words[:2] == ["", "[UNK]"]
        report = _model_report(folder)
        assert len(words) - 2 == report["exported_vocabulary_size"]
        length = report["sequence_length"]
        rules = Rules(**report["tokenizer"])  # the run's: punctuation kept, by default
        assert rules.punctuation == "keep"
        ids = Vocabulary(tuple(words[2:])).encode(tokenize_all(texts, rules), length)
        from_ids = model.layers[-1].predict(ids, verbose=0)
        from_text = np.asarray(model(tf.constant(texts)))
        assert np.abs(from_text - from_ids).max() < 1e-5
        assert report["raw_text_vs_token_ids_max_abs_diff"] < 1e-5


@pytest.mark.slow
def test_the_vocabulary_extension_is_measured_and_kept_only_if_it_does_not_hurt(
    frozen_export,
) -> None:
    keras = import_keras()
    report = _model_report(frozen_export)
    extension = report["vocabulary_extension"]
    assert extension["limit"] == DEFAULT_EXTENSION and extension["words"] == DEFAULT_EXTENSION
    with_it, without = extension["test_accuracy_with"], extension["test_accuracy_without"]
    assert extension["kept"] == (with_it >= without)
    assert report["test_accuracy"] == (with_it if extension["kept"] else without)
    model = keras.models.load_model(frozen_export / "model.keras")
    words = model.get_layer("tokenize").get_vocabulary()[2:]
    training = report["vocabulary_size"]
    assert len(words) == training + (extension["words"] if extension["kept"] else 0)
    if extension["kept"]:  # frozen: the extra rows are exactly the pretrained ones, in each
        extra = words[training:]  # of the models the export averages
        glove = load_vectors("glove-6b-50d", extra[:200])
        expected = np.stack([glove.lookup(word)[0] for word in extra[:200]])
        members = [layer for layer in model.layers[-1].layers if layer.name.startswith("member_")]
        assert len(members) == len(report["member_seeds"]) == 3
        for member in members:
            matrix = np.asarray(member.get_layer("embedding").embeddings)
            np.testing.assert_array_equal(matrix[training + 2 : training + 202], expected)


def test_extension_words_are_the_most_frequent_unseen_words_with_their_file_rows(
    shared_data,
) -> None:
    source = shared_data / "vectors/glove.6B.50d.first8880.txt"
    tokens = tokenize_all(load_dataset(EXAMPLES / "customer_reviews.txt").texts)
    vocabulary = Vocabulary.build(tokens)
    vectors = load_vectors(str(source), {t for document in tokens for t in document})
    words, rows = extension_rows(vectors, vocabulary, 300)
    assert len(words) == 300 and rows.shape == (300, 50)
    assert not set(words) & set(vocabulary.words)
    assert all(tokenize(word) == [word] for word in words)  # as the tokeniser writes them
    in_file: dict[str, np.ndarray] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        word, *values = line.split(" ")
        in_file.setdefault(word, np.array(values, dtype=np.float32))
    first_unseen: list[str] = []  # file order, as the tokeniser writes each word
    seen = set(vocabulary.words)
    for word in in_file:
        token = tokenize(word)
        if len(token) == 1 and token[0] not in seen:
            seen.add(token[0])
            first_unseen.append(token[0])
    assert list(words) == first_unseen[:300]
    exact = [word for word in words if word in in_file]
    for word, row in zip(words, rows, strict=True):
        if word in in_file:
            np.testing.assert_array_equal(row, in_file[word])
    assert len(exact) > 290  # the rest are punctuated words, e.g. "n't" -> "nt"


EXPORT_MODES = {
    "ascii": ASCII_RULES,
    "unicode": DEFAULT_RULES,
    "unicode-characters": Rules(characters=True),
    "unicode-punctuation": Rules(punctuation="keep"),
}


@pytest.mark.slow
def _learned(vocabulary: Vocabulary, config: dict) -> object:
    """An untrained two-class model with a learned embedding over `vocabulary`."""
    return build_model(
        Candidate("learned"),
        config,
        vocabulary_size=len(vocabulary),
        num_classes=2,
        embedding_matrix=None,
        covered=None,
    )


def test_every_tokeniser_mode_exports_a_model_whose_ids_are_training_ids(tmp_path) -> None:
    """Real Chinese and English reviews and the awkward probes of several scripts give the same
    probabilities from raw strings as from `recommender.text` ids, in every mode; the ascii
    model.keras and every SavedModel load in a process without embrec."""
    import_keras()
    chinese = load_dataset(EXAMPLES / "chinese_reviews.csv")
    english = load_dataset(EXAMPLES / "customer_reviews.txt")
    texts = list(chinese.texts[:40]) + list(english.texts[:40])
    labels = np.array([0, 1] * 40)
    config = {"encoder": "pool", "pooling": "mean-max", "hidden_units": 0, "dropout": 0.0}
    config |= {"learning_rate": 1e-3, "embedding_dim": 8, "bigram_buckets": 64}
    folders = {}
    for name, rules in EXPORT_MODES.items():
        vocabulary = Vocabulary.build(tokenize_all(texts[::2], rules))  # half: unseen words too
        model = _learned(vocabulary, config)
        folder = tmp_path / name
        exported = export_model(
            [model],
            vocabulary,
            30,
            ["a", "b"],
            folder,
            test_texts=texts,
            test_labels=labels,
            rules=rules,
        )
        assert exported.max_abs_diff < 1e-5, name
        ids = vocabulary.encode(tokenize_all(texts, rules), 30)
        assert (ids > 1).sum() > 300  # real words in the vocabulary, not only [UNK]
        folders[name] = (str(folder), model.predict(ids, verbose=0))
    answers = _in_a_fresh_process(
        tmp_path,
        {"texts": texts, "folders": {name: folder for name, (folder, _) in folders.items()}},
        "folders = request['folders']\n"
        "answers = {'ascii.keras': np.asarray(\n"
        "    keras.models.load_model(folders['ascii'] + '/model.keras')(texts)).tolist()}\n"
        "for name, folder in folders.items():\n"
        "    served = tf.saved_model.load(folder + '/saved_model')\n"
        "    answers[name] = served.serve(texts).numpy().tolist()\n",
    )
    assert np.abs(np.array(answers["ascii.keras"]) - folders["ascii"][1]).max() < 1e-5
    for name, (_, from_ids) in folders.items():
        assert np.abs(np.array(answers[name]) - from_ids).max() < 1e-5, name


# Where each pretrained strategy's word vectors can be read, and how many copies they hold.
VECTORS_LAYER = {  # with embedding_lr_scale = 0.1 (frozen and frozen-oov do not read it)
    "frozen": ("embedding", 1),
    "fine-tuned": ("embedding_scale", 1),
    "multichannel": ("channels", 2),
    "frozen-then-tuned": ("embedding_scale", 1),
    "frozen-oov": ("oov_corrected", 1),
}


@pytest.mark.parametrize("strategy", list(VECTORS_LAYER))
def test_the_extended_copy_keeps_every_trained_weight_and_appends_rows(strategy) -> None:
    """Old words keep their trained rows in every embedding layer; new words get exactly the
    pretrained rows, whatever layers the strategy uses (a learning-rate scale included)."""
    keras = import_keras()
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(40, 6)).astype(np.float32)
    matrix[0] = 0
    covered = rng.random(40) < 0.7
    covered[:2] = False
    config = {"encoder": "rnn", "cell": "gru", "units": 4, "dropout": 0.1, "learning_rate": 0.05}
    config |= {"warmup_epochs": 1, "embedding_lr_scale": 0.1}
    model = build_model(
        Candidate(strategy, "v"),
        config,
        vocabulary_size=40,
        num_classes=3,
        embedding_matrix=matrix,
        covered=covered,
    )
    ids = rng.integers(0, 40, size=(64, 8)).astype(np.int32)
    if strategy == "frozen-then-tuned":
        unfreeze(model, config)
    model.fit(ids, rng.integers(0, 3, size=64), epochs=2, verbose=0)  # trained rows differ
    extra = rng.normal(size=(25, 6)).astype(np.float32)
    extended = _with_rows(model, appended_rows(model, extra))
    np.testing.assert_array_equal(extended.predict(ids, verbose=0), model.predict(ids, verbose=0))
    name, copies = VECTORS_LAYER[strategy]
    vectors = keras.Model(extended.inputs, extended.get_layer(name).output)
    new_words = np.arange(40, 65, dtype=np.int32)[:, None]  # (25, 1): each new word alone
    got = vectors.predict(np.pad(new_words, ((0, 0), (0, 7))), verbose=0)[:, 0]
    np.testing.assert_allclose(got, np.tile(extra, copies), rtol=1e-5, atol=1e-6)
    assert "Constant" not in json.dumps(extended.get_config())  # no matrix stored as JSON


@pytest.mark.slow
def test_each_new_strategy_exports_a_raw_string_model_that_loads_in_a_fresh_process(
    tmp_path,
) -> None:
    """multichannel, frozen-then-tuned (two phases, a smaller embedding learning rate) and
    frozen-oov, each with its vocabulary extension, and tf-idf with word pairs (no embedding
    layer): built-in layers only, so the saved model loads without embrec and answers from raw
    strings as the trained model does from ids, pairs of awkward text included."""
    import_keras()
    dataset = load_dataset(EXAMPLES / "customer_reviews.txt")
    texts, labels = list(dataset.texts[::20]), list(dataset.labels[::20])  # ~190 real reviews
    tokens = tokenize_all(texts, ASCII_RULES)  # Keras' built-in rules: no embrec code to load
    needed = {t for document in tokens for t in document}
    vectors = load_vectors("glove-6b-50d", needed, rules=ASCII_RULES)
    splits = split(labels, seed=0)
    prepared = prepare(
        tokens, labels, splits, [vectors], max_vocabulary=5000, max_length=30, seed=0
    )
    common = {"learning_rate": 0.01, "dropout": 0.1, "oov_init": "mean"}
    configs = {
        "multichannel": {**common, "encoder": "cnn", "filters": 4, "kernel_sizes": "2,3"},
        "frozen-then-tuned": {**common, "encoder": "rnn", "cell": "gru", "units": 4}
        | {"warmup_epochs": 1, "embedding_lr_scale": 0.1},
        "frozen-oov": {**common, "encoder": "pool", "pooling": "mean-max", "hidden_units": 0},
        "tf-idf": {"encoder": "linear", "learning_rate": 0.01, "dropout": 0.1}
        | {"bigram_buckets": "auto"},
    }
    train_texts = [texts[i] for i in splits.train]
    folders, expected = [], []
    for strategy, config in configs.items():
        candidate = Candidate(strategy, None if strategy == "tf-idf" else vectors.name)
        model = fit_candidate(
            candidate,
            config,
            prepared,
            seed=0,
            max_epochs=2,
            patience=1,
            batch_size=32,
            fixed_epochs=2,
        ).model
        folder = tmp_path / strategy
        exported = export_model(
            [model],
            prepared.vocabulary,
            prepared.sequence_length,
            prepared.classes,
            folder,
            test_texts=[texts[i] for i in splits.test],
            test_labels=prepared.y["test"],
            vectors=vectors if candidate.pretrained else None,
            extension_limit=30,
            rules=ASCII_RULES,
        )
        assert exported.extension["words"] == (30 if candidate.pretrained else 0), strategy
        assert exported.max_abs_diff < 1e-5, strategy
        folders.append(str(folder))
        # training texts hold only training words: the extension must not change their answer
        ids = prepared.vocabulary.encode(
            tokenize_all(train_texts, ASCII_RULES), prepared.sequence_length
        )
        expected.append(model.predict(ids, verbose=0))
    answers = _in_a_fresh_process(
        tmp_path,
        {"texts": train_texts, "folders": folders},
        "answers = [np.asarray(keras.models.load_model(folder + '/model.keras')(texts)).tolist()\n"
        "           for folder in request['folders']]\n",
    )
    for strategy, answer, from_ids in zip(configs, answers, expected, strict=True):
        answer = np.array(answer)
        np.testing.assert_allclose(answer.sum(axis=1), 1.0, rtol=1e-5)
        assert np.abs(answer - from_ids).max() < 1e-5, strategy


@pytest.mark.slow
def test_an_average_of_models_answers_their_mean_from_raw_strings_with_the_extension(
    tmp_path,
) -> None:
    """Fine-tuned models trained with two seeds, exported as one (the vocabulary extension
    appended to each and measured): loaded without embrec, it answers from raw strings the mean
    of the two models' answers on ids, not either model's alone. Training texts hold only
    training words, so the extension, kept or not, leaves their answers as they were."""
    import_keras()
    dataset = load_dataset(EXAMPLES / "customer_reviews.txt")
    texts, labels = list(dataset.texts[::20]), list(dataset.labels[::20])
    tokens = tokenize_all(texts, ASCII_RULES)
    needed = {t for document in tokens for t in document}
    vectors = load_vectors("glove-6b-50d", needed, rules=ASCII_RULES)
    splits = split(labels, seed=0)
    prepared = prepare(
        tokens, labels, splits, [vectors], max_vocabulary=5000, max_length=30, seed=0
    )
    config = {"encoder": "pool", "pooling": "mean-max", "hidden_units": 0, "dropout": 0.1}
    config |= {"learning_rate": 0.01, "oov_init": "random"}
    candidate = Candidate("fine-tuned", vectors.name)
    members = [
        fit_candidate(
            candidate,
            config,
            prepared,
            seed=seed,
            max_epochs=2,
            patience=1,
            batch_size=32,
            fixed_epochs=2,
        ).model
        for seed in (0, 1)
    ]
    train_texts = [texts[i] for i in splits.train]
    ids = prepared.vocabulary.encode(
        tokenize_all(train_texts, ASCII_RULES), prepared.sequence_length
    )
    each = [member.predict(ids, verbose=0) for member in members]
    assert np.abs(each[0] - each[1]).max() > 1e-3  # the seeds made two different models
    folder = tmp_path / "average"
    exported = export_model(
        members,
        prepared.vocabulary,
        prepared.sequence_length,
        prepared.classes,
        folder,
        test_texts=[texts[i] for i in splits.test],
        test_labels=prepared.y["test"],
        vectors=vectors,
        extension_limit=30,
        rules=ASCII_RULES,
    )
    assert exported.max_abs_diff < 1e-5
    assert exported.extension["words"] == 30
    (answer,) = _in_a_fresh_process(
        tmp_path,
        {"texts": train_texts, "folder": str(folder)},
        "model = keras.models.load_model(request['folder'] + '/model.keras')\n"
        "answers = [np.asarray(model(texts)).tolist()]\n",
    )
    np.testing.assert_allclose(np.array(answer), (each[0] + each[1]) / 2, atol=1e-5)


@pytest.mark.slow
def test_export_retrains_a_finalist_exactly_as_recommend_did(run, tmp_path) -> None:
    """Exporting the recommended finalist again reproduces the run's own model."""
    keras = import_keras()
    import tensorflow as tf

    data, out = run
    recommended = json.loads((out / "report.json").read_text())["recommendation"]["recommended"]
    again = tmp_path / "again"
    result = invoke("export", str(out), "--strategy", recommended, "--out", str(again))
    assert result.exit_code == 0, result.output
    assert str(again) in result.output and "test accuracy" in result.output
    texts = tf.constant(_test_texts(data)[0])
    first = keras.models.load_model(out / "model/model.keras")(texts)
    second = keras.models.load_model(again / "model.keras")(texts)
    assert np.abs(np.asarray(first) - np.asarray(second)).max() < 1e-5
    assert _model_report(again)["path"] == str(again / "model.keras")


@pytest.mark.slow
def test_export_names_the_finalists_and_spares_other_files(run, tmp_path) -> None:
    _, out = run
    line = _one_error_line(invoke("export", str(out), "--strategy", "frozen:other.vec"))
    assert "'frozen:other.vec' is not a finalist of this run" in line
    assert "learned" in line and FROZEN in line
    (tmp_path / "thesis.tex").write_text("precious")
    line = _one_error_line(invoke("export", str(out), "--strategy", FROZEN, "--out", str(tmp_path)))
    assert "holds files that are not an exported model (thesis.tex)" in line
    assert (tmp_path / "thesis.tex").read_text() == "precious"


def test_export_of_a_folder_that_is_not_a_run_is_one_line(tmp_path: Path) -> None:
    line = _one_error_line(invoke("export", str(tmp_path), "--strategy", "learned"))
    assert "not an embrec run directory (no config.json)" in line


def test_missing_tensorflow_under_another_backend_is_one_line(monkeypatch, tmp_path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name)
    )
    with pytest.raises(
        UserError,
        match=r"needs TensorFlow \(trained under jax\)\. Install it \(pip install tensorflow",
    ):
        _write_in_subprocess(tmp_path, "jax")


def test_the_cli_default_extension_is_the_api_default() -> None:
    for command in (cli.recommend, cli.export):
        default = inspect.signature(command).parameters["export_vocab"].default
        assert default == DEFAULT_EXTENSION


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_model_built_under_jax_or_torch_is_wrapped_by_a_tensorflow_subprocess(
    backend, tmp_path
) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    script = (
        "import json, sys, numpy as np\n"
        "from pathlib import Path\n"
        "import keras\n"
        "from recommender.export import export_model\n"
        "from recommender.models import Candidate, build_model\n"
        "from recommender.text import Vocabulary, tokenize_all\n"
        "texts = ['great sound', 'it broke', 'Ünïcode?!', '', 'great, GREAT sound']\n"
        "vocabulary = Vocabulary.build(tokenize_all(texts[:2]))\n"
        "config = {'encoder': 'pool', 'pooling': 'mean-max', 'hidden_units': 0,\n"
        "          'dropout': 0.0, 'learning_rate': 1e-3, 'embedding_dim': 8}\n"
        "model = build_model(Candidate('learned'), config, vocabulary_size=len(vocabulary),\n"
        "                    num_classes=2, embedding_matrix=None,\n"
        "                    covered=None)\n"
        "exported = export_model([model], vocabulary, 8, ['neg', 'pos'], Path(sys.argv[1]),\n"
        "                        test_texts=texts, test_labels=np.array([1, 0, 0, 0, 1]))\n"
        "print(json.dumps([keras.backend.backend(), exported.max_abs_diff]))\n"
    )
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    used, difference = json.loads(done.stdout.strip().splitlines()[-1])
    assert used == backend and difference < 1e-5
    assert (tmp_path / "model.keras").is_file() and (tmp_path / "saved_model").is_dir()


# --- embrec predict ----------------------------------------------------------------------------


@pytest.mark.slow
def test_predict_writes_a_csv_for_a_table_with_the_top_labels(run, tmp_path) -> None:
    _, out = run
    texts = ["great sound, love it", 'it broke, "again", in a day', "", "Ünïcode 😀"]
    source = tmp_path / "reviews.csv"
    with open(source, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "review"])
        writer.writerows([[number, text] for number, text in enumerate(texts)])
    target = tmp_path / "predictions.csv"
    args = ["predict", str(out / "model"), "--input", str(source), "--output", str(target)]
    result = invoke(*args, "--top-k", "2")
    assert result.exit_code == 0, result.output
    assert f"4 predictions written to {target}" in result.output
    rows = _csv_rows(target)
    assert list(rows[0]) == ["text", "label", "probability", "label_2", "probability_2"]
    assert [row["text"] for row in rows] == texts
    for row in rows:
        assert {row["label"], row["label_2"]} == {"0", "1"}
        assert float(row["probability"]) >= float(row["probability_2"])
        assert float(row["probability"]) + float(row["probability_2"]) == pytest.approx(1, abs=2e-6)
    printed = invoke("predict", str(out / "model"), *texts[:2]).output.strip().splitlines()
    assert [line.split("\t")[0] for line in printed] == [row["label"] for row in rows[:2]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predictions.csv", "reviews.csv"]


@pytest.mark.slow
def test_predict_reads_plain_lines_and_jsonl_columns(run, tmp_path) -> None:
    _, out = run
    lines = tmp_path / "texts.txt"
    lines.write_bytes("the zoom is superb\n\nbatterie morte apr\xe8s un jour\n".encode("latin-1"))
    result = invoke(
        "predict", str(out / "model"), "--input", str(lines), "--output", str(tmp_path / "a.csv")
    )
    assert result.exit_code == 0, result.output
    rows = _csv_rows(tmp_path / "a.csv")
    assert [row["text"] for row in rows] == ["the zoom is superb", "batterie morte après un jour"]
    records = tmp_path / "texts.jsonl"
    records.write_text('{"said": "works great", "n": 1}\n{"said": "awful", "n": 2}\n')
    args = ["--input", str(records), "--output", str(tmp_path / "b.csv")]
    line = _one_error_line(invoke("predict", str(out / "model"), *args))
    assert "cannot find the text column; the columns are ['said', 'n']" in line
    result = invoke("predict", str(out / "model"), *args, "--text-column", "said")
    assert result.exit_code == 0, result.output
    rows = _csv_rows(tmp_path / "b.csv")
    assert [row["text"] for row in rows] == ["works great", "awful"]


@pytest.mark.slow
def test_predict_option_mistakes_are_one_line(run, tmp_path) -> None:
    _, out = run
    model = str(out / "model")
    source = tmp_path / "t.txt"
    source.write_text("fine\n")
    target = tmp_path / "x.csv"
    assert "--input and --output go together" in _one_error_line(
        invoke("predict", model, "--input", str(source))
    )
    assert "nothing to classify" in _one_error_line(invoke("predict", model))
    line = _one_error_line(
        invoke("predict", model, "--input", str(source), "--output", str(target), "--top-k", "3")
    )
    assert "--top-k must be between 1 and the model's 2 classes, got 3" in line
    assert not target.exists()


@pytest.mark.slow
def test_a_run_won_by_tf_idf_says_no_embedding_layer_and_exports_it_for_plain_keras(
    tmp_path,
) -> None:
    """When the bag-of-words model is the answer, the recommendation names it plainly, the
    scikit-learn TF-IDF yardstick stays beside it, and `model/` holds it: raw strings in,
    loading with Keras alone (under the ascii rules, Keras' own), scoring on the test split what
    the report says."""
    data = write_reviews_sample(EXAMPLES / "customer_reviews.txt", tmp_path / "reviews.txt")
    space = write_tiny_space(tmp_path)
    space.write_text(
        space.read_text().replace('["learned", "frozen", "fine-tuned"]', '["tf-idf"]')
        + "\n[strategy.tf-idf]\nbigram_buckets = { choices = [5000] }\n"
    )
    out = tmp_path / "run"
    result = invoke(
        "recommend",
        str(data),
        "--space",
        str(space),
        "--seeds",
        "2",
        "--more-seeds",
        "0",
        "--final",
        "holdout",
        "--no-learning-curve",
        "--tokenizer",
        "ascii",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    named = "tf-idf (no embedding layer: TF-IDF of words and word pairs + logistic regression)"
    assert f"Recommendation: {named}" in " ".join(result.output.split())
    report = json.loads((out / "report.json").read_text())
    assert report["recommendation"]["recommended"] == "tf-idf"
    assert "yardstick:tfidf-logreg" in [y["candidate"] for y in report["yardsticks"]]
    card = (out / "model" / "model_card.md").read_text()
    assert card.startswith(f"# Model card: {named}")
    texts, truth = _test_texts(data)
    (answer,) = _in_a_fresh_process(
        tmp_path,
        {"texts": texts, "folders": [str(out / "model")]},
        "model = keras.models.load_model(request['folders'][0] + '/model.keras')\n"
        "answers = [np.asarray(model(texts)).tolist()]\n",
    )
    labels = json.loads((out / "model" / "labels.json").read_text())["labels"]
    predicted = [labels[i] for i in np.array(answer).argmax(axis=1)]
    accuracy = np.mean([p == t for p, t in zip(predicted, truth, strict=True)])
    assert accuracy == pytest.approx(_model_report(out / "model")["test_accuracy"], abs=1e-9)
    assert _model_report(out / "model")["member_seeds"] == [0]  # its fit has no seed
    assert "models of this configuration" not in card


def test_a_very_long_text_is_predicted_in_a_batch_of_its_own(monkeypatch) -> None:
    """A predict batch is as wide as its longest text, so one text of millions of characters
    must not share it with 255 others (gigabytes): it goes alone, the texts around it keep
    their batches and every text keeps its place in the answer."""
    from recommender import export

    monkeypatch.setattr(export, "PREDICT_CHARACTERS", 1_000)
    seen: list[list[str]] = []

    class Recording:
        """Stands in for the exported model: one probability row per text, its length."""

        output_shape = (None, 1)

        def __call__(self, texts, training: bool) -> np.ndarray:
            batch = [t.decode() for t in texts.numpy().tolist()]
            seen.append(batch)
            return np.array([[len(t)] for t in batch], dtype=np.float32)

    texts = ["a b"] * 5 + ["word " * 400] + ["c"] * 7
    probabilities = export.predict_texts(Recording(), texts, batch_size=4)
    assert probabilities[:, 0].tolist() == [len(t) for t in texts]  # order kept
    assert [len(batch) for batch in seen] == [4, 1, 1, 4, 3]
    assert seen[2] == ["word " * 400]  # alone
    assert max(len(b) * max(map(len, b)) for b in seen if len(b) > 1) <= 1_000


@pytest.mark.parametrize("held_out", [True, False])
def test_a_model_trained_on_the_test_split_checks_parity_on_a_bounded_sample(
    monkeypatch, tmp_path, held_out
) -> None:
    """Trained on every document (the default), the test split only checks parity, on
    `PARITY_TEXTS` of its texts spread over it (a large split would be tokenised in Python and
    predicted twice for nothing); held out, every test text is scored, as its accuracy is
    reported. Parity holds on the texts checked either way."""
    from recommender import export

    import_keras()
    texts = list(load_dataset(EXAMPLES / "customer_reviews.txt").texts[:60])
    labels = np.array([0, 1] * 30)
    vocabulary = Vocabulary.build(tokenize_all(texts))
    config = {"encoder": "pool", "pooling": "mean", "hidden_units": 0, "dropout": 0.0}
    config |= {"learning_rate": 1e-3, "embedding_dim": 8}
    model = _learned(vocabulary, config)
    checked: list[list[str]] = []
    real = export._write_on_tensorflow

    def recording(variant, length, given, folder, rules):
        checked.append(list(given))
        return real(variant, length, given, folder, rules)

    monkeypatch.setattr(export, "_write_on_tensorflow", recording)
    monkeypatch.setattr(export, "PARITY_TEXTS", 10)
    exported = export_model(
        [model],
        vocabulary,
        30,
        ["a", "b"],
        tmp_path / "model",
        test_texts=texts,
        test_labels=labels,
        held_out=held_out,
    )
    assert len(checked) == 1 and exported.max_abs_diff < 1e-5
    from_test = checked[0][: len(checked[0]) - len(PARITY_PROBES) - 1]  # probes and a long text
    if held_out:
        assert from_test == texts and exported.test_accuracy is not None
    else:
        assert len(from_test) == 10 and set(from_test) <= set(texts)
        assert from_test[0] == texts[0] and from_test[-1] == texts[-1]  # spread over the split
        assert exported.test_accuracy is None
