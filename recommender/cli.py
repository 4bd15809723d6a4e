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
TestOption = Annotated[
    Path | None,
    typer.Option(
        "--test",
        help="Your own test split (such as a dataset's official one), in DATA's format and "
        "columns; used instead of a random 20% of DATA. Its classes must all be in DATA.",
    ),
]
ValidationOption = Annotated[
    Path | None,
    typer.Option(
        "--validation",
        help="Your own validation split (early stopping, hyperparameter choice), in DATA's "
        "format and columns; used instead of a random share of DATA.",
    ),
]
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
TokenizerOption = Annotated[
    str,
    typer.Option(
        help="'unicode': NFKC per character, Unicode lowercase, Unicode punctuation and symbols "
        "as tokens or deleted (--punctuation) (loading model.keras needs embrec; its SavedModel "
        "does not); 'ascii': Keras' built-in rules, ASCII only, punctuation deleted (model.keras "
        "loads with plain Keras)."
    ),
]
LowercaseOption = Annotated[
    bool | None,
    typer.Option(
        "--lowercase/--no-lowercase",
        help="Lowercase the texts (default: yes, unless a --vectors file keeps case, such as "
        "fastText's cc.* files).",
        show_default=False,
    ),
]
SplitOption = Annotated[
    str,
    typer.Option(
        help="'characters': one token per character of Chinese, Japanese, Thai, Lao, Khmer and "
        "Myanmar (words of other scripts stay whole; the pool encoder's word pairs then learn "
        "character pairs); 'words': split on spaces only; 'auto': characters when at least "
        "30% of the letters are in those scripts."
    ),
]
PunctuationOption = Annotated[
    str,
    typer.Option(
        help="'keep': each punctuation mark and symbol is a token of its own ('!', '?', ':', "
        "'£'), as fastText, GloVe and Kim's CNN see them; apostrophes are still deleted "
        '("don\'t" -> "dont"). \'drop\': they are deleted, or a space between words. '
        "'keep' needs --tokenizer unicode; 'auto': keep, or drop with --tokenizer ascii."
    ),
]
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
    ctx: typer.Context,
    data: Annotated[Path | None, DataArgument.__metadata__[0]] = None,
    test: TestOption = None,
    validation: ValidationOption = None,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    vectors: VectorsOption = None,
    unlabeled: Annotated[
        Path | None,
        typer.Option(
            help="Unlabelled in-domain text (one document a line, a folder of .txt files, or a "
            "data file's text column) to pretrain domain vectors on, compared with the others. "
            "Lines of the validation and test texts are always left out.",
        ),
    ] = None,
    space: Annotated[
        str, typer.Option(help="Search space: quick, default, thorough, or a path to a .toml file.")
    ] = "quick",
    trials: Annotated[
        int | None, typer.Option(help="Trials per strategy (default: the space's).")
    ] = None,
    engine: Annotated[
        str,
        typer.Option(help="Search engine: optuna, keras-tuner-bayesian or keras-tuner-hyperband."),
    ] = "optuna",
    time_budget: Annotated[
        str | None,
        typer.Option(
            help="Bound the whole run (90s, 10m, 1h): later search rounds, more evidence and "
            "the learning curve start only when the time left covers them; the report says "
            "what was left out."
        ),
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option(
            help="Optuna storage URL shared with `embrec worker` processes, such as "
            "postgresql://user@host/db (default: study.db in the run directory)."
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            help="Processes that run the search's trials on this machine, each with an equal "
            "share of the cores (Optuna engine). Small models use many threads poorly, so 2 or "
            "more search faster; the search samples and prunes the same.",
        ),
    ] = 1,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue an interrupted run from RUN_DIR/config.json (no DATA)."),
    ] = None,
    seeds: Annotated[
        int,
        typer.Option(
            help="Repetitions of each finalist in the evidence (each with its own seed and, on "
            "small and medium data, its own draw of the training documents)."
        ),
    ] = 3,
    more_seeds: Annotated[
        int,
        typer.Option(
            help="Repetitions that may be added, --seeds at a time, while the evidence cannot "
            "tell the best option from another (0: none)."
        ),
    ] = 6,
    final: Annotated[
        str,
        typer.Option(
            help="What the exported model trains on: 'all' labelled documents (its expected "
            "accuracy is the evidence's), or 'holdout': all but the test split, scored on it. "
            "A --test file is never trained on.",
        ),
    ] = "all",
    final_models: Annotated[
        int,
        typer.Option(
            help="Models of the recommended configuration, each trained with its own seed, whose "
            "probabilities the exported model averages: one training's luck weighs less (1: one "
            "model; a tf-idf model is always one, its fit has no seed). Under --time-budget, only "
            "those the time left covers.",
        ),
    ] = 3,
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
    tokenizer: TokenizerOption = "unicode",
    lowercase: LowercaseOption = None,
    split: SplitOption = "auto",
    punctuation: PunctuationOption = "auto",
    quiet: Annotated[bool, typer.Option(help="Print only the recommendation line.")] = False,
    debug: DebugOption = False,
) -> None:
    """Profile the data, search frozen / fine-tuned / learned embeddings, recommend one with
    its evidence, and export the winning model (which takes raw strings)."""
    _environment()
    stem = data.stem if data else "run"
    run_dir = resume or out or Path("runs") / f"{stem}-{time.strftime('%Y-%m-%dT%H-%M-%S')}"

    def action() -> None:
        from rich.console import Console

        from recommender.api import recommend as run_recommend
        from recommender.config import RunConfig, load_config, parse_duration
        from recommender.errors import UserError
        from recommender.report.console import ProgressEvents
        from recommender.report.files import headline

        if resume is not None:
            _check_resume_alone(ctx)
        elif data is None:
            raise UserError("no DATA given", fix="pass the labelled data file, or --resume RUN_DIR")
        budget = None if time_budget is None else parse_duration(time_budget)  # before Keras
        _load_keras()
        config = RunConfig(
            data=str(data),
            out=str(run_dir),
            test=None if test is None else str(test),
            validation=None if validation is None else str(validation),
            text_column=text_column,
            label_column=label_column,
            vectors=tuple(vectors or ("glove-6b-50d",)),
            unlabeled=None if unlabeled is None else str(unlabeled),
            space=space,
            trials=trials,
            seeds=seeds,
            more_seeds=more_seeds,
            seed=seed,
            min_effect=min_effect,
            final=final,
            final_models=final_models,
            yardsticks=yardsticks,
            learning_curve=learning_curve,
            engine=engine,
            time_budget=budget,
            storage=storage,
            tokenizer=tokenizer,
            lowercase=lowercase,
            split=split,
            punctuation=punctuation,
        )
        if resume is not None:  # every option from the run's own config.json
            config = load_config(resume)
        with ProgressEvents(Console(), quiet=quiet) as events:
            result = run_recommend(config, events, export_vocab=export_vocab, jobs=jobs)
        if quiet:
            typer.echo(headline(result.report))

    hint = shlex.join(["embrec", *sys.argv[1:]]) if out or resume else None
    _run(action, debug, resume_hint=hint or f"embrec recommend --resume {run_dir}")


# Options that do not change the run (they are not in config.json), allowed with --resume.
_RESUME_OPTIONS = {"resume", "quiet", "debug", "export_vocab", "jobs"}


def _check_resume_alone(ctx: typer.Context) -> None:
    """--resume takes every option from the run's config.json: another one would be ignored."""
    from recommender.errors import UserError

    given = [
        name
        for name in ctx.params
        if name not in _RESUME_OPTIONS
        and getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"
    ]
    if given:
        option = "DATA" if given[0] == "data" else "--" + given[0].replace("_", "-")
        raise UserError(
            f"--resume takes the run's options from its config.json, so {option} cannot be given",
            fix=f"drop {option}, or start a new run without --resume",
        )


@app.command()
def worker(
    run_dir: Annotated[Path, typer.Argument(help="The run directory of a running recommend.")],
    storage: Annotated[
        str | None,
        typer.Option(help="The run's storage URL as seen from this machine (default: its own)."),
    ] = None,
    parent: Annotated[
        int | None,
        typer.Option(hidden=True, help="Leave when this process ends (`recommend --jobs`)."),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Take trials of a running `embrec recommend` search (same study storage), until every
    strategy has its budget, then on large data the evidence's runs: run it on more cores or
    machines to search faster."""
    _environment()

    def action() -> None:
        from rich.console import Console

        from recommender.evidence import work
        from recommender.search.workers import run_worker

        _load_keras()
        console = Console()
        ran = run_worker(
            run_dir,
            storage,
            parent=parent,
            on_trial=lambda r: console.print(
                f"{r.candidate} #{r.number} (slot {r.slot}) {r.state}"
                + (f" {r.value * 100:.1f}" if r.value is not None else "")
            ),
        )
        console.print(f"The search is over; this worker ran {ran} trial(s).")
        runs, stopped = work(run_dir, storage, parent=parent)
        if stopped:
            console.print(
                f"The run stopped with an error in its evidence (this worker ran {runs} of its "
                "runs); it says what went wrong. Resume it, then start the workers again."
            )
        else:
            console.print(f"The evidence is in; this worker ran {runs} of its runs.")

    _run(action, debug)


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
    test: TestOption = None,
    validation: ValidationOption = None,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    vectors: VectorsOption = None,
    tokenizer: TokenizerOption = "unicode",
    lowercase: LowercaseOption = None,
    split: SplitOption = "auto",
    punctuation: PunctuationOption = "auto",
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
            test=None if test is None else str(test),
            validation=None if validation is None else str(validation),
            tokenizer=tokenizer,
            lowercase=lowercase,
            split=split,
            punctuation=punctuation,
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
        from recommender.report.files import accuracy_words

        _load_keras()
        with ProgressEvents(Console()) as events:
            model_dir = run_export(
                run_dir, strategy, out=out, export_vocab=export_vocab, events=events
            )
        model = json.loads((model_dir / "report.json").read_text())["model"]
        typer.echo(
            f"{model_dir}: {accuracy_words(model)}; "
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


@app.command()
def pretrain(
    corpus: Annotated[
        list[Path],
        typer.Argument(
            help="Unlabelled text: plain text (one document a line), a folder of .txt files, or "
            "a CSV/TSV/JSONL/Parquet file with a text column. Several are joined."
        ),
    ],
    out: Annotated[Path, typer.Option(help="The vectors file to write.")],
    algorithm: Annotated[
        str, typer.Option(help="word2vec, or fasttext (keeps character n-grams for unseen words).")
    ] = "word2vec",
    dim: Annotated[int, typer.Option(help="Dimensions of the vectors.")] = 100,
    epochs: Annotated[
        int | None,
        typer.Option(help="Passes over the corpus (default: 5, up to 20 for small corpora)."),
    ] = None,
    min_count: Annotated[int, typer.Option(help="Words seen fewer times get no vector.")] = 2,
    window: Annotated[int, typer.Option(help="Context words on each side.")] = 5,
    vectors_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="kv: a gensim KeyedVectors file (fastText n-grams kept); vec: word2vec text.",
        ),
    ] = "kv",
    text_column: TextColumn = None,
    seed: Annotated[int, typer.Option(help="Seed of the initial vectors.")] = 0,
    debug: DebugOption = False,
) -> None:
    """Pretrain word vectors on your own unlabelled text with gensim, tokenised as embrec
    tokenises; pass the file to --vectors. Streams the corpus, so it may exceed memory."""
    _environment()

    def action() -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from recommender.errors import ConfigError
        from recommender.pretrain import FORMATS, Corpus, Settings, save, train

        if vectors_format not in FORMATS:
            raise ConfigError(
                f"unknown --format {vectors_format!r}", fix=f"pass one of {', '.join(FORMATS)}"
            )
        settings = Settings(algorithm, dim, window, min_count, epochs, seed)
        source = Corpus.from_paths([str(path) for path in corpus], text_column)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%  {task.fields[rate]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("Reading the corpus", total=None, rate="")

            def on_progress(phase: str, done: int, total: int | None, rate: float) -> None:
                title = "Reading the corpus" if phase == "read" else f"Training {algorithm}"
                speed = f"{rate:,.0f} words/s"
                progress.update(task, description=title, completed=done, total=total, rate=speed)

            kv, result = train(source, settings, out.parent, on_progress=on_progress)
        save(kv, out, vectors_format)
        typer.echo(
            f"{out}: {result.vocabulary_size:,} words x {result.dim} dimensions ({algorithm}) "
            f"from {result.words:,} words in {result.documents:,} documents, {result.epochs} "
            f"passes in {result.train_seconds:.1f} s: {result.words_per_second:,.0f} words/s on "
            f"{result.workers} core(s)"
        )

    _run(action, debug)


if __name__ == "__main__":
    app()
