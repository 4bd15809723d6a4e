"""The `embrec` command line: parse options, call `recommender.api`, turn user errors into one
line and exit code 2. Heavy libraries are imported inside the commands, so --help is instant."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Should your text classifier use pretrained word vectors (frozen or fine-tuned) or "
    "learn its own embeddings? embrec measures it on your data.",
)

DataArgument = Annotated[
    Path,
    typer.Argument(
        help="Labelled data: CSV, TSV, JSONL, Parquet, a folder per class, or 'LABEL text' / "
        "'__label__X text' lines."
    ),
]
TextColumn = Annotated[str | None, typer.Option(help="Column holding the text.")]
LabelColumn = Annotated[str | None, typer.Option(help="Column holding the label.")]
VectorsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--vectors",
        help="Pretrained vectors: a GloVe/word2vec/fastText file or the built-in name "
        "'glove-6b-50d' (the default). Repeat to compare several.",
    ),
]
DebugOption = Annotated[bool, typer.Option(help="Show the full traceback of an error.")]


def _environment() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _load_keras() -> None:
    from recommender.backend import import_keras

    import_keras()


def _run(action: Callable[[], Any], debug: bool, resume_hint: str | None = None) -> Any:
    """Run a command body; a user error becomes one line on stderr and exit code 2."""
    from recommender.errors import UserError

    try:
        return action()
    except UserError as error:
        if debug:
            raise
        typer.echo(f"error: {error.one_line()}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo(
            "\ninterrupted." + (f" Resume with: {resume_hint}" if resume_hint else ""), err=True
        )
        raise typer.Exit(130) from None


@app.command()
def recommend(
    data: DataArgument,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    vectors: VectorsOption = None,
    space: Annotated[
        str, typer.Option(help="Search space: quick, default, or a path to a .toml file.")
    ] = "quick",
    trials: Annotated[
        int | None, typer.Option(help="Trials per strategy (default: the space's).")
    ] = None,
    seeds: Annotated[int, typer.Option(help="Seeds each finalist is retrained with.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed for splits, sampling and training.")] = 0,
    min_effect: Annotated[
        float, typer.Option(help="Smallest lead, in accuracy points, that counts as a win.")
    ] = 0.5,
    out: Annotated[
        Path | None, typer.Option(help="Run directory (default: runs/NAME-TIME). Reuse to resume.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="Print only the recommendation line.")] = False,
    debug: DebugOption = False,
) -> None:
    """Profile the data, search frozen / fine-tuned / learned embeddings, recommend one with
    its evidence, and export the winning model (which takes raw strings)."""
    _environment()
    run_dir = out or Path("runs") / f"{data.stem}-{time.strftime('%Y-%m-%dT%H-%M-%S')}"

    def action() -> None:
        from rich.console import Console

        from recommender.api import recommend as run_recommend
        from recommender.config import RunConfig
        from recommender.report.console import ProgressEvents
        from recommender.report.files import headline

        _load_keras()
        config = RunConfig(
            data=str(data),
            out=str(run_dir),
            text_column=text_column,
            label_column=label_column,
            vectors=tuple(vectors or ("glove-6b-50d",)),
            space=space,
            trials=trials,
            seeds=seeds,
            seed=seed,
            min_effect=min_effect,
        )
        result = run_recommend(config, ProgressEvents(Console(), quiet=quiet))
        if quiet:
            typer.echo(headline(result.report))

    hint = " ".join(["embrec", *sys.argv[1:]]) if out else None
    _run(action, debug, resume_hint=hint or f"the same command with --out {run_dir}")


@app.command()
def profile(
    data: DataArgument,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    vectors: VectorsOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
    debug: DebugOption = False,
) -> None:
    """Print the dataset profile and vocabulary coverage, without training anything."""
    _environment()

    def action() -> None:
        from rich.console import Console

        from recommender.api import profile as run_profile
        from recommender.report.console import render_profile

        result = run_profile(
            str(data),
            text_column=text_column,
            label_column=label_column,
            vectors=tuple(vectors or ("glove-6b-50d",)),
        )
        if json_output:
            typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        else:
            render_profile(Console(), result)

    _run(action, debug)


@app.command()
def predict(
    model_dir: Annotated[Path, typer.Argument(help="The model/ folder of a run.")],
    texts: Annotated[list[str], typer.Argument(help="Texts to classify.")],
    debug: DebugOption = False,
) -> None:
    """Classify texts with an exported model: prints label and probability per text."""
    _environment()

    def action() -> None:
        from recommender.api import predict as run_predict

        _load_keras()
        labels, probabilities = run_predict(model_dir, texts)
        for text, row in zip(texts, probabilities, strict=True):
            best = int(row.argmax())
            typer.echo(f"{labels[best]}\t{row[best]:.3f}\t{text}")

    _run(action, debug)


if __name__ == "__main__":
    app()
