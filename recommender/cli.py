"""The `embrec` command line: parse options, call `recommender.api`, turn user errors into one
line and exit code 2. Heavy libraries are imported inside the commands, so --help is instant."""

from __future__ import annotations

import json
import os
import shlex
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
# The default is recommender.export.DEFAULT_EXTENSION (not imported here: --help stays instant).
ExportVocabOption = Annotated[
    int,
    typer.Option(
        min=0,
        help="Pretrained strategies: the exported model also keeps the pretrained vectors of up "
        "to N frequent words that training never saw, unless that lowers test accuracy. "
        "0 disables.",
    ),
]


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
    yardsticks: Annotated[
        bool,
        typer.Option(
            help="Also score a TF-IDF logistic regression and a majority-class predictor on the "
            "same test split, and say whether the embedding model beats them."
        ),
    ] = True,
    export_vocab: ExportVocabOption = 50_000,
    learning_curve: Annotated[
        bool | None,
        typer.Option(
            "--learning-curve/--no-learning-curve",
            help="Retrain the finalists on 10/25/50% of the training data to see whether more "
            "labelled data would change the answer (default: on for small and medium data).",
            show_default=False,
        ),
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
            yardsticks=yardsticks,
            learning_curve=learning_curve,
        )
        with ProgressEvents(Console(), quiet=quiet) as events:
            result = run_recommend(config, events, export_vocab=export_vocab)
        if quiet:
            typer.echo(headline(result.report))

    hint = shlex.join(["embrec", *sys.argv[1:]]) if out else None
    _run(action, debug, resume_hint=hint or f"the same command with --out {run_dir}")


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="The directory of a finished run.")],
    debug: DebugOption = False,
) -> None:
    """Re-render the summary and report.md / report.html of a finished run, without training."""
    _environment()

    def action() -> None:
        from rich.console import Console

        from recommender.api import rerender
        from recommender.report.console import render_summary

        render_summary(Console(), rerender(run_dir))

    _run(action, debug)


@app.command()
def profile(
    data: DataArgument,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    vectors: VectorsOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
    debug: DebugOption = False,
) -> None:
    """Print the dataset profile, the coverage of each vectors source side by side and a quick
    probe of what the vectors carry (seconds), without training anything."""
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
def export(
    run_dir: Annotated[Path, typer.Argument(help="The directory of a finished run.")],
    strategy: Annotated[
        str,
        typer.Option(
            help="The finalist to export, named as in report.json's evidence: learned, "
            "frozen:VECTORS or fine-tuned:VECTORS."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Model folder (default: RUN_DIR/model-NAME).")
    ] = None,
    export_vocab: ExportVocabOption = 50_000,
    debug: DebugOption = False,
) -> None:
    """Export another finalist of a run, say a cheaper runner-up.

    It is retrained on train+validation exactly as the recommended model was, and gets its own
    model card."""
    _environment()

    def action() -> None:
        from rich.console import Console

        from recommender.api import export as run_export
        from recommender.report.console import ProgressEvents

        _load_keras()
        with ProgressEvents(Console()) as events:
            model_dir = run_export(
                run_dir, strategy, out=out, export_vocab=export_vocab, events=events
            )
        model = json.loads((model_dir / "report.json").read_text())["model"]
        typer.echo(
            f"{model_dir}: test accuracy {model['test_accuracy'] * 100:.1f}% from raw strings; "
            f"vocabulary extension: {model['vocabulary_extension']['reason']}"
        )

    _run(action, debug)


@app.command()
def predict(
    model_dir: Annotated[Path, typer.Argument(help="The model/ folder of a run.")],
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to classify.")] = None,
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input",
            help="A file of texts: CSV, TSV, JSONL or Parquet with a text column, or plain text "
            "with one document per line.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(help="The CSV to write for --input: text, label, probability."),
    ] = None,
    text_column: TextColumn = None,
    top_k: Annotated[
        int, typer.Option(min=1, help="Also give the next most probable labels, K in all.")
    ] = 1,
    debug: DebugOption = False,
) -> None:
    """Classify texts with an exported model: label and probability per text.

    Texts given as arguments are printed; a whole file (--input FILE --output predictions.csv)
    is written as CSV."""
    _environment()

    def action() -> None:
        from recommender.api import predict as run_predict
        from recommender.errors import UserError
        from recommender.export import check_top_k

        if bool(texts) == (input_file is not None):
            raise UserError(
                "give texts or --input FILE, not both" if texts else "nothing to classify",
                fix="pass texts, or --input FILE --output predictions.csv",
            )
        if (input_file is None) != (output is None):
            raise UserError("--input and --output go together", fix="pass both, or texts")
        _load_keras()
        if input_file is not None and output is not None:
            count = _predict_file(model_dir, input_file, output, text_column, top_k)
            typer.echo(f"{count:,} predictions written to {output}")
            return
        labels, probabilities = run_predict(model_dir, texts or [])
        check_top_k(top_k, len(labels))
        for text, row in zip(texts or [], probabilities, strict=True):
            ranked = (-row).argsort(kind="stable")[:top_k]
            typer.echo("\t".join([*(f"{labels[i]}\t{row[i]:.3f}" for i in ranked), text]))

    _run(action, debug)


def _predict_file(
    model_dir: Path, input_file: Path, output: Path, text_column: str | None, top_k: int
) -> int:
    """`api.predict_file` behind a progress bar on stderr (it goes once the file is written)."""
    from rich.console import Console
    from rich.progress import Progress

    from recommender.api import predict_file

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Predicting", total=None)

        def on_event(kind: str, payload: dict[str, Any]) -> None:
            if kind == "predict":
                progress.update(task, total=payload["total"])
            elif kind == "predicted":
                progress.advance(task, payload["count"])

        return predict_file(
            model_dir, input_file, output, text_column=text_column, top_k=top_k, events=on_event
        )


if __name__ == "__main__":
    app()
