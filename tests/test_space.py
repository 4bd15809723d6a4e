"""Search spaces are data: validated with located errors, sampled with scoped parameters."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from recommender.errors import ConfigError
from recommender.models import ENCODERS, OWN_STRATEGIES, STRATEGIES
from recommender.space import BUILTIN_SPACES, load_space, parse_space, space_from_dict

MINIMAL = """
[search]
trials_per_strategy = 2
max_epochs = 3
patience = 1
batch_size = 32
strategies = ["learned", "frozen"]
encoders = ["pool", "cnn"]

[common]
learning_rate = { low = 1e-3, high = 1e-2, log = true }
dropout = { low = 0.0, high = 0.5 }

[encoder.cnn]
filters = { choices = [8, 16] }
kernel_sizes = { choices = ["2,3"] }

[encoder.pool]
pooling = { choices = ["mean"] }

[strategy.learned]
embedding_dim = { low = 8, high = 32 }
"""


@pytest.mark.parametrize("name", BUILTIN_SPACES)
def test_builtin_spaces_load_and_cover_the_three_basic_strategies(name: str) -> None:
    space = load_space(name)
    assert {"learned", "frozen", "fine-tuned"} <= set(space.strategies)
    assert {"pool", "cnn"} <= set(space.encoders)
    assert space.trials_per_strategy >= 1


def test_default_and_thorough_search_everything_and_thorough_searches_more() -> None:
    quick, default, thorough = (load_space(name) for name in ("quick", "default", "thorough"))
    for space in (default, thorough):
        assert space.strategies == STRATEGIES and space.encoders == ENCODERS
        for strategy in set(STRATEGIES) - set(OWN_STRATEGIES):  # every pretrained strategy
            # searches where the rows of words without a vector start
            names = {p.name for p in space.strategy_params[strategy]}
            assert "oov_init" in names, (space.name, strategy)
    assert quick.encoders == ("pool", "cnn"), "quick stays quick: no rnn"
    assert quick.trials_per_strategy < default.trials_per_strategy < thorough.trials_per_strategy
    assert default.max_epochs <= thorough.max_epochs
    for name in ("learning_rate", "dropout"):  # thorough's ranges hold default's
        wide = next(p for p in thorough.common if p.name == name)
        narrow = next(p for p in default.common if p.name == name)
        assert wide.low <= narrow.low and wide.high >= narrow.high, name


@pytest.mark.parametrize("name", BUILTIN_SPACES)
def test_tf_idf_is_an_option_everywhere_and_samples_no_encoder(name: str) -> None:
    """The bag-of-words model is in every built-in space, so the verdict can weigh "no
    embedding layer" beside the embeddings; it has no encoder and no embedding dimension."""
    space = load_space(name)
    assert "tf-idf" in space.strategies
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(10):
        config = space.sample(study.ask(), "tf-idf")
        assert config["encoder"] == "linear"
        assert set(config) == {"encoder", "bigram_buckets"}


def test_tf_idf_needs_no_learning_rate_and_samples_none_of_common() -> None:
    """tf-idf is solved, not trained by steps: a space whose learning rates are the encoders'
    own is valid with it, and its trials take nothing from `[common]`."""
    text = MINIMAL.replace(
        'strategies = ["learned", "frozen"]', 'strategies = ["learned", "tf-idf"]'
    )
    text = text.replace("learning_rate = { low = 1e-3, high = 1e-2, log = true }\n", "")
    text = text.replace("[encoder.cnn]\n", "[encoder.cnn]\nlearning_rate = { choices = [1e-3] }\n")
    text = text.replace(
        "[encoder.pool]\n", "[encoder.pool]\nlearning_rate = { choices = [1e-3] }\n"
    )
    space = parse_space(text, "mini.toml")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    assert space.sample(study.ask(), "tf-idf") == {"encoder": "linear"}


def test_new_strategies_and_the_rnn_sample_their_own_parameters() -> None:
    space = load_space("thorough")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    seen_rnn = False
    for _ in range(20):
        config = space.sample(study.ask(), "frozen-then-tuned")
        assert 1 <= config["warmup_epochs"] <= 5
        assert config["embedding_lr_scale"] in (1.0, 0.3, 0.1)
        assert config["oov_init"] in ("random", "zeros", "mean")
        if config["encoder"] == "rnn":
            seen_rnn = True
            assert config["cell"] in ("gru", "lstm") and config["units"] in (32, 64, 128)
        assert "warmup_epochs" not in space.sample(study.ask(), "frozen-oov")
    assert seen_rnn


def test_sample_has_only_the_parameters_in_scope() -> None:
    space = parse_space(MINIMAL, "mini.toml")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(12):
        learned = space.sample(study.ask(), "learned")
        frozen = space.sample(study.ask(), "frozen")
        assert "embedding_dim" in learned and isinstance(learned["embedding_dim"], int)
        assert 8 <= learned["embedding_dim"] <= 32
        assert "embedding_dim" not in frozen
        for config in (learned, frozen):
            seen.add(config["encoder"])
            assert ("filters" in config) == (config["encoder"] == "cnn")
            assert ("pooling" in config) == (config["encoder"] == "pool")
    assert seen == {"pool", "cnn"}


def test_small_data_gets_more_epochs_and_patience_in_proportion() -> None:
    """An epoch of 1,600 documents is 25 steps of 64: 8 epochs would stop a model after 200
    steps, before a learned layer has learned much. The budget is at least `min_steps`."""
    quick = load_space("quick")
    epochs, patience = quick.epochs(1_600)
    assert epochs * -(-1_600 // quick.batch_size) >= quick.min_steps
    assert patience / epochs == pytest.approx(quick.patience / quick.max_epochs, rel=0.15)
    assert quick.epochs(1_000_000) == (quick.max_epochs, quick.patience)  # large data: as written
    plain = parse_space(MINIMAL, "mini.toml")
    assert plain.min_steps == 0 and plain.epochs(10) == (3, 1)


@pytest.mark.parametrize("name", BUILTIN_SPACES)
def test_every_builtin_space_starts_from_kim_swem_and_word_pairs(name: str) -> None:
    space = load_space(name)
    kim = space.first_config("learned", 0)
    assert kim is not None and kim["encoder"] == "cnn"
    assert (kim["learning_rate"], kim["dropout"]) == (1e-3, 0.5)
    assert (kim["cnn.filters"], kim["cnn.kernel_sizes"]) == (100, "3,4,5")
    swem = space.first_config("frozen", 1)
    assert swem is not None and swem["encoder"] == "pool" and swem["pool.pooling"] == "mean-max"
    assert "learned.embedding_dim" not in swem  # only the parameters in the strategy's scope
    assert space.first_config("frozen", 2) is None
    # tf-idf's own first trial: words and word pairs
    assert space.first_config("tf-idf", 0) == {"tf-idf.bigram_buckets": "auto"}
    assert space.first_config("tf-idf", 1) is None
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    study.enqueue_trial(space.first_config("tf-idf", 0))
    config = space.sample(study.ask(), "tf-idf")
    assert (config["encoder"], config["bigram_buckets"]) == ("linear", "auto")
    assert space.first_names("tf-idf") == ["TF-IDF of words and word pairs"]


def test_a_first_trial_is_sampled_with_its_values_fixed() -> None:
    space = load_space("quick")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    study.enqueue_trial(space.first_config("learned", 0))
    config = space.sample(study.ask(), "learned")
    assert config == {
        "encoder": "cnn",
        "learning_rate": 1e-3,
        "dropout": 0.5,
        "filters": 100,
        "kernel_sizes": "3,4,5",
        "embedding_dim": 100,
    }


@pytest.mark.parametrize(
    ("first", "message"),
    [
        ('encoder = "rnn"', "encoder 'rnn' is not searched"),
        ('encoder = "linear"', "encoder 'linear' is not searched"),  # no tf-idf in MINIMAL
        ('encoder = "cnn"\nfilters = 64', "filters = 64 is outside the space's range"),
        ('encoder = "cnn"\nunits = 64', "'units' is not a parameter of this space"),
    ],
)
def test_a_first_trial_outside_the_space_is_refused(first: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_space(MINIMAL + "\n[[first]]\n" + first + "\n", "mini.toml")


def test_round_trips_through_a_dict() -> None:
    space = parse_space(MINIMAL, "mini.toml")
    data = space.to_dict()
    assert data["strategy"]["learned"]["embedding_dim"] == {"low": 8, "high": 32, "log": False}
    assert data["search"]["strategies"] == ["learned", "frozen"]
    for name in BUILTIN_SPACES:  # what a worker reads back from the run's plan
        space = load_space(name)
        assert space_from_dict(space.to_dict(), space.name) == space


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("max_epochs = 3", "max_epochs = 3\nepochs = 4"),
            r"mini.toml -> search: unknown key 'epochs'",
        ),
        (
            ("dropout = { low = 0.0, high = 0.5 }", "dropout = { low = 0.6, high = 0.5 }"),
            r"mini.toml -> common -> dropout: empty range: low \(0.6\) is greater than high",
        ),
        (("batch_size = 32", 'batch_size = "big"'), r"search -> batch_size: must be an integer"),
        (
            ('strategies = ["learned", "frozen"]', 'strategies = ["learned", "glove"]'),
            r"search -> strategies: unknown name 'glove'",
        ),
        (
            ("filters = { choices = [8, 16] }", "filters = { choices = [] }"),
            r"encoder -> cnn -> filters: choices must be a non-empty list",
        ),
        (("log = true", "log = true, step = 2"), r"common -> learning_rate: unknown key 'step'"),
        (("trials_per_strategy = 2", "trials_per_strategy = 0"), r"must be at least 1"),
        (
            (
                "[strategy.learned]",
                '[strategy.frozen]\noov_init = { choices = ["mean", "glove"] }\n[strategy.learned]',
            ),
            r"mini.toml -> strategy -> frozen -> oov_init: 'glove' is not 'random', 'zeros' or",
        ),
        (
            ('strategies = ["learned", "frozen"]', 'strategies = ["learned", "frozen-then-tuned"]'),
            r"no 'warmup_epochs' for the pool encoder with the frozen-then-tuned strategy. "
            r"Add warmup_epochs = \{ ... \} to \[common\] or \[strategy.frozen-then-tuned\]",
        ),
        (
            ('encoders = ["pool", "cnn"]', 'encoders = ["pool", "cnn", "rnn"]'),
            r"mini.toml: no 'cell' for the rnn encoder with the learned strategy",
        ),
        (
            (
                "[strategy.learned]",
                "[encoder.rnn]\ncell = { choices = ['gru'] }\nunits = { low = 0, high = 8 }\n"
                "[strategy.learned]",
            ),
            r"encoder -> rnn -> units: 0 is not a whole number above 0",
        ),
        (
            (
                "[strategy.learned]",
                "[strategy.fine-tuned]\nembedding_lr_scale = { choices = [0.1, 2] }\n"
                "[strategy.learned]",
            ),
            r"fine-tuned -> embedding_lr_scale: 2 is not a number above 0, at most 1",
        ),
        (
            (
                'pooling = { choices = ["mean"] }',
                'pooling = { choices = ["mean"] }\nbigram_buckets = { choices = [0, 5000000] }',
            ),
            r'pool -> bigram_buckets: 5000000 is not "auto" or a whole number from 0 \(no word',
        ),
    ],
)
def test_invalid_space_names_the_file_and_key(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_space(MINIMAL.replace(*edit), "mini.toml")


def test_unknown_space_name_lists_the_builtin_ones() -> None:
    with pytest.raises(ConfigError, match="no search space named 'fast'.*quick, default, thorough"):
        load_space("fast")


def test_a_users_toml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(MINIMAL)
    assert load_space(str(path)).strategies == ("learned", "frozen")
