"""The run's time budget (`--time-budget`): one clock from the start of a run to its exported
model, shared between the stages that must run and those that may be left out.

A verdict needs the search's first round, the evidence's first repetitions of every finalist,
and the final model: those always run, so a budget shorter than they take is overrun, and the
report says by how much. What may be left out starts only when the time left covers its
estimate and what must still follow it: a later search round (the search keeps a reserve for
the evidence and the final model, in lengths of its longest round), a further batch of evidence
repetitions, the learning curve. Every estimate is a duration measured earlier in the same run,
so it holds on any machine and any data size."""

from __future__ import annotations

import math
import sys
import time
from typing import Any


class RunClock:
    """Wall-clock seconds of one run against its budget (None: no budget, nothing is skipped).

    It counts from its creation, at the start of the run in this process: a resumed run gets
    the whole budget again, for the stages still to run."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.skipped: list[dict[str, Any]] = []
        self.stages: list[tuple[str, float]] = []  # (stage, elapsed seconds when it began)
        self.peaks: list[float | None] = []  # peak memory when each stage ended (all but the last)

    def begin(self, stage: str) -> None:
        """Mark the start of a stage (and the end of the one before), for `stage_seconds` and
        `stage_peak_gib`."""
        if self.stages:
            self.peaks.append(peak_memory_gib())
        self.stages.append((stage, self.elapsed()))

    def stage_seconds(self) -> dict[str, float]:
        """Seconds each stage took in this process, the last one ending now: report.json's
        `stage_seconds`, so a user sees where a run's time went (a resumed run reads back
        what it had done in a fraction of the first run's time)."""
        ends = [started for _, started in self.stages[1:]] + [self.elapsed()]
        return {
            stage: round(end - started, 1)
            for (stage, started), end in zip(self.stages, ends, strict=True)
        }

    def stage_peak_gib(self) -> dict[str, float] | None:
        """The process's peak memory when each stage ended, the last one ending now: a running
        maximum, so the stage where it rises is the one that raised it (workers are other
        processes, not counted). None where the platform does not say."""
        peaks = [*self.peaks, peak_memory_gib()]
        if None in peaks:
            return None
        return {stage: round(peak, 2) for (stage, _), peak in zip(self.stages, peaks, strict=True)}

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        """Seconds left of the budget (infinite without one, never below 0)."""
        if self.seconds is None:
            return math.inf
        return max(0.0, self.seconds - self.elapsed())

    def covers(self, seconds: float) -> bool:
        """Whether the time left covers a stage estimated to take `seconds`."""
        return seconds <= self.left()

    def skip(self, stage: str, needed: float) -> None:
        """Record a stage left out because the time left did not cover its estimate."""
        entry = {"stage": stage, "needed_seconds": round(needed, 1)}
        self.skipped.append({**entry, "left_seconds": round(self.left(), 1)})

    def summary(self) -> dict[str, Any] | None:
        """report.json's `time_budget`; None without a budget."""
        if self.seconds is None:
            return None
        used = self.elapsed()
        return {
            "seconds": self.seconds,
            "used_seconds": round(used, 1),
            "overrun_seconds": round(max(0.0, used - self.seconds), 1),
            "skipped": list(self.skipped),
        }


def peak_memory_gib() -> float | None:
    """This process's peak resident memory so far, in GiB; None without `resource` (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS, KiB elsewhere
    return peak / 2**30 if sys.platform == "darwin" else peak / 2**20


def members_within(clock: RunClock, requested: int, seconds_each: float) -> int:
    """How many of the `requested` models the exported one averages (`--final-models`) the run
    trains: the first always (a verdict needs its model), each further one while the time left
    covers another training of `seconds_each` (the chosen option's longest evidence run: the
    final models train on more documents, for fewer epochs). Those left out are recorded."""
    extra = requested - 1
    if clock.seconds is not None and seconds_each > 0:
        extra = min(extra, int(clock.left() // seconds_each))
    if extra < requested - 1:
        clock.skip(f"{requested - 1 - extra} of {requested} final models", seconds_each)
    return 1 + extra


def reserve_rounds(seeds: int, jobs: int, candidates: int) -> float:
    """What the search keeps for the stages that must follow it, in lengths of its longest
    round: `seeds` repetitions of the evidence, which trains the candidates one after another
    where a round with `jobs` workers trained up to `jobs` at once, and one round more for the
    final model and the yardsticks."""
    return seeds * min(jobs, candidates) + 1.0
