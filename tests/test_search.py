"""The Optuna search: equal trials per strategy, stored in SQLite, resumable."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from recommender.models import candidates_for
from recommender.search.engine import Budget, SearchFailed, TrialRecord, best_trials
from recommender.search.optuna_engine import OptunaEngine, load_trials, pruner
from recommender.space import load_space
from tests.helpers import tiny_prepared, write_failing_space, write_tiny_space


def run_search(
    prepared, candidates, space, *, trials_per_candidate, storage_url, seed, on_trial=None
):
    """The Optuna engine's trials for a budget of trials only."""
    outcome = OptunaEngine(storage_url).run(
        prepared, candidates, space, Budget(trials_per_candidate), seed=seed, on_trial=on_trial
    )
    assert outcome.stopped_by == "trials"
    assert outcome.trials_per_candidate == trials_per_candidate
    return list(outcome.records)


@pytest.fixture(scope="module")
def prepared():
    return tiny_prepared()


def test_every_candidate_gets_the_same_trials_and_resume_adds_none(
    prepared, tmp_path: Path
) -> None:
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = candidates_for(space.strategies, ("glove-6b-50d",))
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    seen = []
    records = run_search(
        prepared,
        candidates,
        space,
        trials_per_candidate=2,
        storage_url=storage,
        seed=0,
        on_trial=seen.append,
    )
    assert [r.candidate for r in seen] == [c.key for c in candidates] * 2  # round-robin
    for candidate in candidates:
        mine = [r for r in records if r.candidate == candidate.key]
        assert len(mine) == 2 and all(r.state in ("complete", "pruned") for r in mine)
        assert all(r.config["encoder"] in ("pool", "cnn") for r in mine)
    assert set(best_trials(records)) == {c.key for c in candidates}

    again = []
    resumed = run_search(
        prepared,
        candidates,
        space,
        trials_per_candidate=2,
        storage_url=storage,
        seed=0,
        on_trial=again.append,
    )
    assert again == [] and resumed == records


def test_a_trial_left_running_by_a_killed_process_is_rerun(prepared, tmp_path: Path) -> None:
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = candidates_for(("learned",), ())
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    run_search(prepared, candidates, space, trials_per_candidate=1, storage_url=storage, seed=0)
    study = optuna.load_study(study_name="learned", storage=storage)
    study.ask()  # what a process killed mid-trial leaves behind: a RUNNING trial
    records = run_search(
        prepared, candidates, space, trials_per_candidate=2, storage_url=storage, seed=0
    )
    states = [r.state for r in records]
    assert states.count("failed") == 1 and [r.error for r in records if r.state == "failed"] == [
        "interrupted"
    ]
    assert len([s for s in states if s != "failed"]) == 2
    assert len(load_trials(storage, ["learned"])) == 3


def test_a_candidate_s_next_slot_waits_until_its_previous_one_is_done(
    prepared, tmp_path: Path
) -> None:
    """Processes sharing a search never run one candidate's slots side by side: slot 1's sampler
    and pruner must see slot 0 finished, as in a search run by one process."""
    from recommender.search.engine import CtrlC
    from recommender.search.optuna_engine import _Search

    space = load_space(str(write_tiny_space(tmp_path)))
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    search = _Search(storage, prepared, candidates_for(("learned",), ()), space, 2, 0)
    search._open_round(0)
    search._open_round(1)
    study = search.studies["learned"]
    first = next(t for t in study.get_trials() if t.user_attrs["slot"] == 0)
    search.storage.set_trial_state_values(first._trial_id, optuna.trial.TrialState.RUNNING)

    assert search._run_next(CtrlC()) is None  # slot 0 runs elsewhere: slot 1 must wait
    study.tell(first.number, 0.5)
    record = search._run_next(CtrlC())
    assert record is not None and record.slot == 1 and record.state in ("complete", "pruned")


def test_trials_are_listed_in_slot_order_when_a_killed_slot_was_run_again(tmp_path) -> None:
    """Slot 0 was killed and re-run after slot 1 finished: the report still lists slot 0 first,
    as an uninterrupted run would."""
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    load_trials(storage, ["learned"])  # creates the study as the engine does
    study = optuna.load_study(study_name="learned", storage=storage)
    for slot, state in ((0, "FAIL"), (1, "COMPLETE"), (0, "COMPLETE")):
        study.add_trial(
            optuna.trial.create_trial(
                state=optuna.trial.TrialState[state],
                value=0.5 if state == "COMPLETE" else None,
                user_attrs={"slot": slot, "config": "{}"},
            )
        )
    records = load_trials(storage, ["learned"])
    assert [(r.slot, r.number) for r in records] == [(0, 0), (0, 2), (1, 1)]
    assert [r.error for r in records] == ["interrupted", None, None]


def test_a_slow_starter_is_judged_only_once_half_its_epochs_are_done() -> None:
    """Two finished trials learned fast; a third sits at chance early on. It may still overtake
    them, so it is not pruned before 4 of its 8 epochs; if it is still at chance then, it is."""
    study = optuna.create_study(direction="maximize", pruner=pruner(optuna, max_epochs=8))
    for _ in range(2):
        study.add_trial(
            optuna.trial.create_trial(
                value=0.8,
                intermediate_values={epoch: 0.6 + 0.03 * epoch for epoch in range(1, 9)},
            )
        )
    slow = study.ask()
    verdicts = []
    for epoch in range(1, 9):
        slow.report(0.5, epoch)
        verdicts.append(slow.should_prune())
    assert verdicts[:3] == [False] * 3 and all(verdicts[3:])


def test_the_same_seed_samples_the_same_configurations(prepared, tmp_path: Path) -> None:
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = candidates_for(("learned",), ())
    first = run_search(
        prepared,
        candidates,
        space,
        trials_per_candidate=2,
        storage_url=f"sqlite:///{tmp_path / 'a.db'}",
        seed=3,
    )
    second = run_search(
        prepared,
        candidates,
        space,
        trials_per_candidate=2,
        storage_url=f"sqlite:///{tmp_path / 'b.db'}",
        seed=3,
    )
    assert [r.config for r in first] == [r.config for r in second]


def test_failing_trials_are_recorded_and_stop_the_search_after_three(prepared, tmp_path) -> None:
    """A convolution wider than every padded text cannot run: each trial fails the same way."""
    space = load_space(str(write_failing_space(tmp_path, prepared.sequence_length)))
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    candidates = candidates_for(space.strategies, ("glove-6b-50d",))
    with pytest.raises(SearchFailed, match="3 trials in a row failed; the last with: \\w+Error"):
        run_search(prepared, candidates, space, trials_per_candidate=2, storage_url=storage, seed=0)
    records = load_trials(storage, [c.key for c in candidates])
    assert len(records) == 3 and all(r.state == "failed" and r.error for r in records)
    assert all(r.error != "interrupted" for r in records)


def test_a_tie_goes_to_the_earlier_slot_even_when_it_was_re_run_after_a_kill() -> None:
    """Slot 0 was killed and re-run as trial 2: with equal scores it must still win, or a
    resumed run would retrain a different configuration than an uninterrupted one."""

    def record(number: int, slot: int, value: float | None, state: str = "complete"):
        config = {"encoder": "pool", "slot": slot}
        return TrialRecord("learned", number, state, value, config, 1, 1.0, None, slot)

    records = [record(0, 0, None, "failed"), record(1, 1, 0.7), record(2, 0, 0.7)]
    assert best_trials(records)["learned"].slot == 0
    assert best_trials([*records, record(3, 2, 0.71)])["learned"].slot == 2  # a higher score wins
