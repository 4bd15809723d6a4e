"""Evidence that can decide: repetitions on fresh draws of the training documents, more of them
while the options cannot be told apart, and training budgets that fit small data."""

from __future__ import annotations

import numpy as np
import pytest

from recommender import evidence as evidence_module
from recommender.budget import RunClock, members_within
from recommender.data import Splits, split
from recommender.evidence import Cost, SeedRun, gather_until_decided, redraw, redraws
from recommender.models import Candidate, final_trainings
from recommender.search.engine import TrialRecord
from recommender.search.trial import fit_candidate
from recommender.space import load_space
from tests.helpers import tiny_prepared

LABELS = np.array(["a"] * 60 + ["b"] * 30, dtype=object)


def test_a_redraw_keeps_the_test_split_and_the_proportions() -> None:
    splits = split(LABELS.tolist(), seed=0)
    again = redraw(splits, LABELS, 1, seed=0)
    assert np.array_equal(again.test, splits.test)
    assert len(again.validation) == len(splits.validation)
    assert not np.array_equal(again.train, splits.train)  # a new training sample
    assert sorted([*again.train, *again.validation]) == sorted([*splits.train, *splits.validation])
    for part in (again.train, again.validation):  # stratified
        share = np.mean(LABELS[part] == "a")
        assert share == pytest.approx(2 / 3, abs=0.1)
    assert redraw(splits, LABELS, 0, seed=0) is splits  # repetition 0 is the searched split
    assert np.array_equal(redraw(splits, LABELS, 2, seed=0).test, splits.test)
    assert not np.array_equal(redraw(splits, LABELS, 2, seed=0).train, again.train)


def test_a_validation_split_the_user_gave_is_never_redrawn() -> None:
    splits = split(LABELS.tolist(), seed=0)
    given = Splits(splits.train, splits.validation, splits.test, fixed=("validation", "test"))
    assert redraw(given, LABELS, 3, seed=0) is given


def test_only_small_and_medium_data_without_a_validation_file_draw_each_repetition() -> None:
    """Where the repetitions share the run's split, the workers (which hold only that split)
    may take the evidence's runs."""
    splits = split(LABELS.tolist(), seed=0)
    given = Splits(splits.train, splits.validation, splits.test, fixed=("validation",))
    assert redraws("small", splits) and redraws("medium", splits)
    assert not redraws("large", splits)
    assert not redraws("small", given)


def test_more_repetitions_only_while_the_evidence_cannot_decide(monkeypatch, tmp_path) -> None:
    """A wide tie triggers more evidence, for the undecided options only, in batches, up to the
    limit; repetitions are trained on their own draws (prepared_for(r))."""
    trained: list[tuple[str, int]] = []
    drawn: list[int] = []

    def fake_seed_run(candidate, config, prepared, space, seed):
        trained.append((candidate.key, seed))
        return SeedRun(seed, 0.5, 0.5, 1, 1.0, (0, 1)), None

    monkeypatch.setattr(evidence_module, "seed_run", fake_seed_run)
    monkeypatch.setattr(evidence_module, "_measure_cost", lambda *a: Cost(1, 0, 1, 1.0, False))
    finalists = {
        key: TrialRecord(key, 0, "complete", 0.5, {"encoder": "pool"}, 1, 1.0)
        for key in ("learned", "frozen:v", "fine-tuned:v")
    }
    asked: list[int] = []

    def undecided(evidence):
        asked.append(len(evidence[0].runs))
        return ("learned", "fine-tuned:v") if len(evidence[0].runs) < 6 else ()

    def prepared_for(repetition: int):
        drawn.append(repetition)
        return None

    evidence = gather_until_decided(
        finalists,
        prepared_for,
        load_space("quick"),
        repetitions=3,
        more=6,
        seed=10,
        cache_dir=tmp_path / "evidence",
        undecided=undecided,
    )
    runs = {e.candidate: [r.seed for r in e.runs] for e in evidence}
    assert runs == {
        "learned": [10, 11, 12, 13, 14, 15],
        "frozen:v": [10, 11, 12],  # decided early: no more runs spent on it
        "fine-tuned:v": [10, 11, 12, 13, 14, 15],
    }
    assert asked == [3, 6] and sorted(set(drawn)) == [0, 1, 2, 3, 4, 5]
    assert len(trained) == 15  # 3 x 3, then 3 more for each of the two undecided

    # the same limit with an option that stays undecided: 3 + 6 repetitions, never more
    trained.clear()
    evidence = gather_until_decided(
        finalists,
        prepared_for,
        load_space("quick"),
        repetitions=3,
        more=6,
        seed=10,
        cache_dir=tmp_path / "other",
        undecided=lambda evidence: ("learned", "frozen:v"),
    )
    assert [len(e.runs) for e in evidence] == [9, 9, 3]


def test_more_repetitions_only_when_the_time_budget_covers_them(monkeypatch, tmp_path) -> None:
    """Under --time-budget the first repetitions always run; a further batch starts only when
    the time left covers it and the final model, at the durations measured so far (here 1 s a
    run: a batch of 3 for 2 options and one more run is 7 s)."""
    monkeypatch.setattr(
        evidence_module,
        "seed_run",
        lambda c, config, p, s, seed: (SeedRun(seed, 0.5, 0.5, 1, 1.0, (0, 1)), None),
    )
    monkeypatch.setattr(evidence_module, "_measure_cost", lambda *a: Cost(1, 0, 1, 1.0, False))
    finalists = {
        key: TrialRecord(key, 0, "complete", 0.5, {"encoder": "pool"}, 1, 1.0)
        for key in ("learned", "frozen:v")
    }

    def gather(clock: RunClock, cache: str) -> list[int]:
        evidence = gather_until_decided(
            finalists,
            lambda repetition: None,
            load_space("quick"),
            repetitions=3,
            more=6,
            seed=0,
            cache_dir=tmp_path / cache,
            undecided=lambda evidence: ("learned", "frozen:v"),
            clock=clock,
        )
        return [len(e.runs) for e in evidence]

    short = RunClock(6.0)
    assert gather(short, "short") == [3, 3]
    [skipped] = short.skipped
    assert skipped["stage"] == "3 more evidence repetitions of learned, frozen:v"
    assert skipped["needed_seconds"] == 7.0 and 5.0 < skipped["left_seconds"] <= 6.0
    assert gather(RunClock(3600.0), "long") == [9, 9]
    assert gather(RunClock(None), "none") == [9, 9]


def test_runs_shared_by_processes_are_estimated_at_the_pace_measured() -> None:
    """Two processes trained 4 runs of 10 s in 22 s: a further batch takes about half its
    training time (the final model, in one process, does not); one process is never faster
    than its training, and a batch read from the cache says nothing of the pace."""
    runs = [SeedRun(seed, 0.5, 0.5, 1, 10.0, (0, 1)) for seed in range(4)]
    assert evidence_module._pace(22.0, runs) == pytest.approx(0.55)
    assert evidence_module._pace(48.0, runs) == 1.0
    assert evidence_module._pace(0.1, [], otherwise=0.55) == 0.55
    cost = Cost(1, 0, 1, 1.0, False)
    done = [evidence_module.CandidateEvidence(k, {}, tuple(runs), cost) for k in ("a", "b")]
    assert evidence_module._batch_seconds(done, ["a", "b"], 3, 0.55) == pytest.approx(43.0)


@pytest.mark.slow
def test_a_learned_layer_on_small_data_needs_more_steps_than_eight_epochs_give() -> None:
    """About 330 training documents are 6 steps an epoch: the quick space's 8 epochs leave a
    learned layer near the majority rate; its step budget lets it learn."""
    prepared = tiny_prepared()
    space = load_space("quick")
    train_documents = len(prepared.y["train"])
    epochs, patience = space.epochs(train_documents)
    assert epochs > 3 * space.max_epochs
    config = {
        "encoder": "pool",
        "pooling": "mean-max",
        "hidden_units": 0,
        "learning_rate": 1e-3,
        "dropout": 0.5,
        "embedding_dim": 100,
    }

    def accuracy(max_epochs: int, patience: int) -> float:
        outcome = fit_candidate(
            Candidate("learned"),
            config,
            prepared,
            seed=0,
            max_epochs=max_epochs,
            patience=patience,
            batch_size=space.batch_size,
        )
        return float(outcome.val_accuracy)

    majority = np.bincount(prepared.y["validation"]).max() / len(prepared.y["validation"])
    short = accuracy(space.max_epochs, space.patience)
    budgeted = accuracy(epochs, patience)
    assert short <= majority + 0.02
    assert budgeted >= short + 0.05


def test_the_final_models_are_those_the_time_left_covers_and_always_one() -> None:
    """`--final-models 3` under a budget: every model without a budget or with time enough,
    the first one always, and the models left out are recorded in the report's budget."""
    assert members_within(RunClock(None), 3, 50.0) == 3
    assert members_within(RunClock(3600.0), 3, 50.0) == 3
    tight = RunClock(120.0)  # covers two more trainings of 50 s, not three
    assert members_within(tight, 4, 50.0) == 3
    [skipped] = tight.skipped
    assert skipped["stage"] == "1 of 4 final models" and skipped["needed_seconds"] == 50.0
    spent = RunClock(10.0)
    assert members_within(spent, 3, 50.0) == 1
    assert spent.skipped[0]["stage"] == "2 of 3 final models"
    assert members_within(RunClock(10.0), 1, 50.0) == 1
    # tf-idf's export is one fit whatever is asked: a budget leaves none of it out
    spared = RunClock(10.0)
    assert members_within(spared, final_trainings(Candidate("tf-idf"), 3), 50.0) == 1
    assert spared.skipped == []
    assert final_trainings(Candidate("learned"), 3) == 3


@pytest.mark.slow
def test_a_candidates_only_search_trial_is_its_first_repetition_not_trained_twice(
    tmp_path,
) -> None:
    """Large data under a time budget often affords one search round: each candidate's only
    trial trained with the first repetition's seed, split and epochs, so the evidence scores it
    instead of training it again. A finalist that won among several trials is retrained: its
    test score would carry the luck that made it win."""
    from recommender.search.engine import TRIAL_RUNS, Budget, engine_for
    from tests.helpers import write_tiny_space

    prepared = tiny_prepared()
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = [Candidate("learned"), Candidate("frozen", "glove-6b-50d")]
    seed = 3
    one = engine_for("optuna", tmp_path, None).run(
        prepared, candidates, space, Budget(1), seed=seed
    )
    records = list(one.records)
    finalists = {r.candidate: r for r in records}
    known = evidence_module.trial_runs(tmp_path / TRIAL_RUNS, finalists, records, seed)
    assert sorted(e.candidate for e in known) == sorted(finalists)
    for entry in known:
        (run,) = entry.runs
        assert run.seed == seed and entry.cost is not None
        retrained, _ = evidence_module.seed_run(
            Candidate.from_key(entry.candidate), entry.config, prepared, space, seed
        )
        assert retrained.predictions == run.predictions  # what the evidence would have measured
        assert retrained.best_epoch == run.best_epoch

    evidence = gather_until_decided(
        finalists,
        lambda repetition: prepared,
        space,
        repetitions=2,
        more=0,
        seed=seed,
        cache_dir=tmp_path / "evidence",
        undecided=lambda evidence: (),
        known=known,
    )
    trained = sorted(p.name for p in (tmp_path / "evidence").glob("*.json"))
    assert trained == sorted(f"{k.replace(':', '__')}-seed{seed + 1}.json" for k in finalists)
    for entry in evidence:
        assert [run.seed for run in entry.runs] == [seed, seed + 1]

    other = tmp_path / "two"
    other.mkdir()
    two = engine_for("optuna", other, None).run(prepared, candidates, space, Budget(2), seed=seed)
    records = list(two.records)
    chosen = {r.candidate: r for r in records if r.slot == 0}
    assert evidence_module.trial_runs(other / TRIAL_RUNS, chosen, records, seed) == []
