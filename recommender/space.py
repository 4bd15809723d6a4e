"""The search space: declarative TOML, validated when read, sampled by an Optuna trial.

A space says *what* to search (strategies, encoders, hyperparameter ranges, budgets); the
engines in `recommender.search` only say *how*. Parameters are scoped: `[common]` applies to
every trial, `[encoder.NAME]` only when that encoder is chosen, `[strategy.NAME]` only for that
embedding strategy (a learned layer's dimension exists only for `learned`).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from recommender.errors import ConfigError
from recommender.models import (
    AUTO_BUCKETS,
    CELLS,
    ENCODERS,
    FROZEN_THEN_TUNED,
    LINEAR,
    MAX_BIGRAM_BUCKETS,
    OOV_INITS,
    STRATEGIES,
    TFIDF,
)

BUILTIN_SPACES = ("quick", "default", "thorough")

# What the models read from a configuration, and what each value must be: a value outside this
# would fail every trial that draws it, so the space is refused when read.
_PARAMETERS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "learning_rate": ("a number above 0", lambda v: _is_number(v) and v > 0),
    "dropout": ("a number from 0 to below 1", lambda v: _is_number(v) and 0 <= v < 1),
    "pooling": ("'mean', 'max' or 'mean-max'", lambda v: v in ("mean", "max", "mean-max")),
    "hidden_units": ("a whole number, 0 or more", lambda v: _is_whole(v) and v >= 0),
    "bigram_buckets": (
        f'"{AUTO_BUCKETS}" or a whole number from 0 (no word pairs) to {MAX_BIGRAM_BUCKETS}',
        lambda v: v == AUTO_BUCKETS or (_is_whole(v) and 0 <= v <= MAX_BIGRAM_BUCKETS),
    ),
    "filters": ("a whole number above 0", lambda v: _is_whole(v) and v > 0),
    "kernel_sizes": ('widths such as "3,4,5"', lambda v: _are_widths(v)),
    "embedding_dim": ("a whole number above 0", lambda v: _is_whole(v) and v > 0),
    "cell": ("'gru' or 'lstm'", lambda v: v in CELLS),
    "units": ("a whole number above 0", lambda v: _is_whole(v) and v > 0),
    "oov_init": ("'random', 'zeros' or 'mean'", lambda v: v in OOV_INITS),
    "warmup_epochs": ("a whole number above 0", lambda v: _is_whole(v) and v > 0),
    "embedding_lr_scale": (
        "a number above 0, at most 1",
        lambda v: _is_number(v) and 0 < v <= 1,
    ),
}
# Which parameters each encoder and strategy needs, from any scope that applies to it.
_REQUIRED = {
    "pool": ("learning_rate", "dropout", "pooling"),
    "cnn": ("learning_rate", "dropout", "filters", "kernel_sizes"),
    "rnn": ("learning_rate", "dropout", "cell", "units"),
    "learned": ("embedding_dim",),
    FROZEN_THEN_TUNED: ("warmup_epochs",),
    LINEAR: (),  # tf-idf is solved, not trained by steps (`linear.py`): no rate, no dropout
}
# Optional: `bigram_buckets` (pool and tf-idf; 0, no word pairs, when absent), `oov_init`
# (pretrained strategies; "random" when absent) and `embedding_lr_scale` (a tuned pretrained
# embedding: fine-tuned, multichannel, frozen-then-tuned; 1 when absent).

_SEARCH_KEYS = {
    "trials_per_strategy": int,
    "max_epochs": int,
    "patience": int,
    "batch_size": int,
    "strategies": list,
    "encoders": list,
}
# Optional [search] keys, with their value when absent.
_OPTIONAL_SEARCH_KEYS = {"min_steps": 0, "epoch_tokens": 0, "validation_documents": 0}


class Suggester(Protocol):
    """The part of `optuna.Trial` a space needs (so tests can pass a fake)."""

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float: ...
    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int: ...
    def suggest_categorical(self, name: str, choices: list[Any]) -> Any: ...


@dataclass(frozen=True)
class Param:
    """One hyperparameter: a float or int range, or a list of choices."""

    name: str
    kind: str  # "float" | "int" | "choice"
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def sample(self, trial: Suggester, key: str) -> Any:
        if self.kind == "choice":
            return trial.suggest_categorical(key, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(key, int(self.low), int(self.high), log=self.log)  # type: ignore[arg-type]
        return trial.suggest_float(key, float(self.low), float(self.high), log=self.log)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "choice":
            return {"choices": list(self.choices)}
        return {"low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class SearchSpace:
    """A validated search space; `sample()` draws one configuration for a strategy."""

    name: str
    trials_per_strategy: int
    max_epochs: int
    patience: int
    batch_size: int
    strategies: tuple[str, ...]
    encoders: tuple[str, ...]
    common: tuple[Param, ...] = ()
    encoder_params: dict[str, tuple[Param, ...]] = field(default_factory=dict)
    strategy_params: dict[str, tuple[Param, ...]] = field(default_factory=dict)
    min_steps: int = 0  # optimizer steps a trial may take at least, whatever the data's size
    epoch_tokens: int = 0  # tokens an epoch trains on at most (0: the whole split)
    validation_documents: int = 0  # documents a trial is scored on at most (0: the whole split)
    first: tuple[dict[str, Any], ...] = ()  # known-good first trials (see `first_params`)

    def epochs(self, train_documents: int) -> tuple[int, int]:
        """(max_epochs, patience) for epochs of this many documents. An epoch of a small
        split is a few dozen optimizer steps, so a fixed epoch count can stop a model before it
        has learned anything: when `max_epochs` epochs give fewer than `min_steps` steps, both
        the epochs and the patience grow by the same factor (patience stays the same share of
        the budget). An epoch of a large split is fewer documents than the split holds
        (`epoch_tokens`): pass `batches.epoch_documents()` of the training ids."""
        steps = max(1, math.ceil(train_documents / self.batch_size)) * self.max_epochs
        factor = max(1.0, self.min_steps / steps)
        return math.ceil(self.max_epochs * factor), math.ceil(self.patience * factor)

    def firsts(self, strategy: str) -> tuple[dict[str, Any], ...]:
        """The `[[first]]` entries of a strategy, in order: those naming the "linear" encoder
        are tf-idf's (it has no other), the others every embedding strategy's."""
        linear = strategy == TFIDF
        return tuple(entry for entry in self.first if (entry["encoder"] == LINEAR) == linear)

    def first_config(self, strategy: str, slot: int) -> dict[str, Any] | None:
        """The values fixed for a strategy's first trials (slot < its number of `firsts`):
        those of its entry that are in scope for the encoder and the strategy, keyed by the
        names `sample()` gives them. Parameters an entry leaves out are sampled as usual."""
        entries = self.firsts(strategy)
        if slot >= len(entries):
            return None
        entry = entries[slot]
        encoder = entry["encoder"]
        fixed: dict[str, Any] = {} if encoder == LINEAR else {"encoder": encoder}
        scopes = [
            ("", () if encoder == LINEAR else self.common),
            (f"{encoder}.", self.encoder_params.get(encoder, ())),
            (f"{strategy}.", self.strategy_params.get(strategy, ())),
        ]
        for prefix, params in scopes:
            for param in params:
                if param.name in entry:
                    fixed[prefix + param.name] = entry[param.name]
        return fixed

    def first_names(self, strategy: str) -> list[str]:
        """The names of a strategy's known-good first trials, slot by slot."""
        entries = self.firsts(strategy)
        return [str(e.get("name", f"first trial {n + 1}")) for n, e in enumerate(entries)]

    def sample(self, trial: Suggester, strategy: str) -> dict[str, Any]:
        """One configuration: {"encoder": ..., param: value, ...} with only the params in scope.
        tf-idf has no encoder to choose ("linear") and no training steps: its trials sample its
        own `[strategy.tf-idf]` parameters only, none of `[common]`."""
        linear = strategy == TFIDF
        encoder = LINEAR if linear else trial.suggest_categorical("encoder", list(self.encoders))
        config: dict[str, Any] = {"encoder": encoder}
        for param in () if linear else self.common:
            config[param.name] = param.sample(trial, param.name)
        for param in self.encoder_params.get(encoder, ()):
            config[param.name] = param.sample(trial, f"{encoder}.{param.name}")
        for param in self.strategy_params.get(strategy, ()):
            config[param.name] = param.sample(trial, f"{strategy}.{param.name}")
        return config

    def to_dict(self) -> dict[str, Any]:
        return {
            "search": {
                "trials_per_strategy": self.trials_per_strategy,
                "max_epochs": self.max_epochs,
                "patience": self.patience,
                "batch_size": self.batch_size,
                "strategies": list(self.strategies),
                "encoders": list(self.encoders),
                "min_steps": self.min_steps,
                "epoch_tokens": self.epoch_tokens,
                "validation_documents": self.validation_documents,
            },
            "common": {p.name: p.to_dict() for p in self.common},
            "encoder": {
                name: {p.name: p.to_dict() for p in params}
                for name, params in self.encoder_params.items()
            },
            "strategy": {
                name: {p.name: p.to_dict() for p in params}
                for name, params in self.strategy_params.items()
            },
            "first": [dict(entry) for entry in self.first],
        }


def load_space(name_or_path: str) -> SearchSpace:
    """Read a built-in space by name (quick, default, thorough) or a user's TOML file."""
    if name_or_path in BUILTIN_SPACES:
        text = resources.files("recommender.spaces").joinpath(f"{name_or_path}.toml").read_text()
        return parse_space(text, f"{name_or_path}.toml")
    path = Path(name_or_path)
    if not path.is_file():
        raise ConfigError(
            f"no search space named '{name_or_path}'",
            fix=f"use one of {', '.join(BUILTIN_SPACES)} or the path to a .toml file",
        )
    return parse_space(path.read_text(encoding="utf-8", errors="replace"), str(path))


def parse_space(text: str, source: str) -> SearchSpace:
    """Validate a TOML search space; every error names the file and key path."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML ({error})", where=source, fix="fix the syntax") from None
    return space_from_dict(raw, source)


def space_from_dict(raw: dict[str, Any], source: str = "plan") -> SearchSpace:
    """Validate a space given as a dict: a TOML file's tables, or `SearchSpace.to_dict()`
    (what a worker reads from the run's plan)."""
    _check_keys(raw, {"search", "common", "encoder", "strategy", "first"}, source)
    search = raw.get("search", {})
    _check_keys(search, set(_SEARCH_KEYS) | set(_OPTIONAL_SEARCH_KEYS), f"{source} -> search")
    search = {**_OPTIONAL_SEARCH_KEYS, **search}
    for key, kind in {**_SEARCH_KEYS, **dict.fromkeys(_OPTIONAL_SEARCH_KEYS, int)}.items():
        if key not in search:
            raise ConfigError(f"missing key '{key}'", where=f"{source} -> search", fix="add it")
        if not isinstance(search[key], kind) or isinstance(search[key], bool):
            raise ConfigError(
                f"must be {'a list' if kind is list else 'an integer'}, got {search[key]!r}",
                where=f"{source} -> search -> {key}",
                fix="correct the value",
            )
        least = 0 if key in _OPTIONAL_SEARCH_KEYS else 1
        if kind is int and search[key] < least:
            raise ConfigError(
                f"must be at least {least}, got {search[key]}",
                where=f"{source} -> search -> {key}",
                fix="use a positive integer",
            )
    strategies = _names(search["strategies"], STRATEGIES, f"{source} -> search -> strategies")
    encoders = _names(search["encoders"], ENCODERS, f"{source} -> search -> encoders")
    encoder_tables = _table(raw.get("encoder", {}), f"{source} -> encoder")
    strategy_tables = _table(raw.get("strategy", {}), f"{source} -> strategy")
    _names(list(encoder_tables), ENCODERS, f"{source} -> encoder")
    _names(list(strategy_tables), STRATEGIES, f"{source} -> strategy")
    space = SearchSpace(
        name=Path(source).stem,
        min_steps=search["min_steps"],
        epoch_tokens=search["epoch_tokens"],
        validation_documents=search["validation_documents"],
        trials_per_strategy=search["trials_per_strategy"],
        max_epochs=search["max_epochs"],
        patience=search["patience"],
        batch_size=search["batch_size"],
        strategies=strategies,
        encoders=encoders,
        common=_params(raw.get("common", {}), f"{source} -> common"),
        encoder_params={
            name: _params(table, f"{source} -> encoder -> {name}")
            for name, table in encoder_tables.items()
        },
        strategy_params={
            name: _params(table, f"{source} -> strategy -> {name}")
            for name, table in strategy_tables.items()
        },
    )
    _check_required(space, source)
    return replace(space, first=_first_trials(raw.get("first", []), space, f"{source} -> first"))


def _first_trials(entries: Any, space: SearchSpace, where: str) -> tuple[dict[str, Any], ...]:
    """`[[first]]` entries, each an encoder searched and values inside the space's ranges (a
    first trial is a point of the space, so the sampler can model it like any other)."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError("must be a list of tables", where=where, fix="use [[first]] tables")
    known: dict[str, list[Param]] = {}
    for param in (
        *space.common,
        *(p for params in space.encoder_params.values() for p in params),
        *(p for params in space.strategy_params.values() for p in params),
    ):
        known.setdefault(param.name, []).append(param)
    encoders = [*space.encoders, *([LINEAR] if TFIDF in space.strategies else [])]
    for number, entry in enumerate(entries, start=1):
        place = f"{where} #{number}"
        if entry.get("encoder") not in encoders:
            raise ConfigError(
                f"encoder {entry.get('encoder')!r} is not searched",
                where=place,
                fix=f"use one of {', '.join(encoders)} (linear: tf-idf's)",
            )
        for name, value in entry.items():
            if name in ("name", "encoder"):
                continue
            if name not in known:
                raise ConfigError(
                    f"'{name}' is not a parameter of this space",
                    where=place,
                    fix="remove it or add its range",
                )
            if not any(_contains(param, value) for param in known[name]):
                raise ConfigError(
                    f"{name} = {value!r} is outside the space's range for it",
                    where=place,
                    fix="widen the range or change the value",
                )
    return tuple(entries)


def _contains(param: Param, value: Any) -> bool:
    if param.kind == "choice":
        return value in param.choices
    return _is_number(value) and param.low <= value <= param.high  # type: ignore[operator]


def _check_required(space: SearchSpace, source: str) -> None:
    """Every encoder and strategy searched gets every parameter its model needs (tf-idf takes
    no encoder: only its own "linear" one)."""
    pairs = [(e, s) for e in space.encoders for s in space.strategies if s != TFIDF]
    pairs += [(LINEAR, TFIDF)] if TFIDF in space.strategies else []
    for encoder, strategy in pairs:
        params = (
            *space.common,
            *space.encoder_params.get(encoder, ()),
            *space.strategy_params.get(strategy, ()),
        )
        given = {param.name for param in params}
        needed = [(f"encoder.{encoder}", n) for n in _REQUIRED[encoder]]
        needed += [(f"strategy.{strategy}", n) for n in _REQUIRED.get(strategy, ())]
        for table, name in needed:
            if name not in given:
                what = "tf-idf" if strategy == TFIDF else f"{encoder} encoder with the {strategy}"
                raise ConfigError(
                    f"no '{name}' for the {what} strategy",
                    where=source,
                    fix=f"add {name} = {{ ... }} to [common] or [{table}]",
                )


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key '{unknown[0]}'",
            where=where,
            fix=f"allowed keys are {', '.join(sorted(allowed))}",
        )


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError("must be a table", where=where, fix="use [section] syntax")
    return value


def _names(values: list[Any], allowed: tuple[str, ...], where: str) -> tuple[str, ...]:
    if not values:
        raise ConfigError("is empty", where=where, fix=f"list some of {', '.join(allowed)}")
    for value in values:
        if value not in allowed:
            raise ConfigError(
                f"unknown name {value!r}", where=where, fix=f"use some of {', '.join(allowed)}"
            )
    if len(set(values)) != len(values):
        raise ConfigError("lists a name twice", where=where, fix="list each name once")
    return tuple(values)


def _params(table: Any, where: str) -> tuple[Param, ...]:
    return tuple(
        _param(name, spec, f"{where} -> {name}") for name, spec in _table(table, where).items()
    )


def _param(name: str, spec: Any, where: str) -> Param:
    if name not in _PARAMETERS:
        raise ConfigError(
            "unknown parameter",
            where=where,
            fix=f"the parameters are {', '.join(sorted(_PARAMETERS))}",
        )
    if not isinstance(spec, dict):
        raise ConfigError(
            f"must be a table like {{ low = 1, high = 2 }} or {{ choices = [...] }}, got {spec!r}",
            where=where,
            fix="write the range or the choices",
        )
    if "choices" in spec:
        _check_keys(spec, {"choices"}, where)
        choices = spec["choices"]
        if not isinstance(choices, list) or not choices:
            raise ConfigError("choices must be a non-empty list", where=where, fix="list values")
        return _checked(Param(name, "choice", choices=tuple(choices)), choices, where)
    _check_keys(spec, {"low", "high", "log"}, where)
    if "low" not in spec or "high" not in spec:
        raise ConfigError("needs both 'low' and 'high', or 'choices'", where=where, fix="add them")
    low, high, log = spec["low"], spec["high"], spec.get("log", False)
    numbers = (low, high)
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in numbers):
        raise ConfigError(
            f"low and high must be numbers, got {low!r} and {high!r}",
            where=where,
            fix="use numbers",
        )
    if not isinstance(log, bool):
        raise ConfigError(f"log must be true or false, got {log!r}", where=where, fix="fix it")
    if not low <= high:
        raise ConfigError(
            f"empty range: low ({low}) is greater than high ({high})",
            where=where,
            fix="swap them",
        )
    if log and low <= 0:
        raise ConfigError(
            f"a log range needs low > 0, got {low}", where=where, fix="raise low or drop log"
        )
    if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
        raise ConfigError("low and high must be finite", where=where, fix="use finite numbers")
    kind = "int" if isinstance(low, int) and isinstance(high, int) else "float"
    return _checked(Param(name, kind, low=low, high=high, log=log), [low, high], where)


def _checked(param: Param, values: list[Any], where: str) -> Param:
    """`param`, once every choice (or both ends of its range) is a value its model can use."""
    description, valid = _PARAMETERS[param.name]
    for value in values:
        if not valid(value):
            raise ConfigError(
                f"{value!r} is not {description}", where=where, fix="correct the value"
            )
    return param


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


def _are_widths(value: Any) -> bool:
    """'3,4,5' (or one width): what `models.kernel_widths` reads."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return False
    return all(part.strip().isdigit() and int(part) > 0 for part in str(value).split(","))
