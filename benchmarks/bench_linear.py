"""How fast is the logistic regression behind the tf-idf strategy and the TF-IDF yardstick?

`linear.fit_classifier` picks the solver by the data's shape: liblinear for two classes; for
more, newton-cg on small data and saga above `linear.SAGA_WORK` (nonzeros x classes). This
benchmark fits, on the first of five stratified folds of each set's training split, the model
with the solver embrec picks and with newton-cg (the previous choice for every many-class set),
for each C the strength walk usually visits, and prints the seconds of each, their ratio and
the held-out accuracy of each (the two solvers reach the same optimum, so the accuracies should
agree within a few hundredths of a point).

Sets: `trec` (6 classes, 5,452 questions: the fixed split of ../shared/ANCHORS.md), `tweets`
(TweetEval emoji, 45,000 tweets, 20 classes) and `tweets4` (the same tweets, the label modulo 4:
four classes on large data). Features: the TF-IDF yardstick's (embrec's tokens, 1-2 grams,
sublinear tf).

    python benchmarks/bench_linear.py [--sets trec tweets tweets4] [--c 1 4 16]

About 10 minutes on 2 cores with the defaults (newton-cg's 20-class fits take most of it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tokens import SHARED, load  # noqa: E402


def features_and_labels(name: str, splits_dir: Path) -> tuple[object, np.ndarray]:
    """The yardstick's TF-IDF features of the set's training split, and its labels as ids."""
    from recommender.text import DEFAULT_RULES, TokenIds
    from recommender.yardsticks import _vectorizer

    (texts, labels), _ = load("tweets" if name.startswith("tweets") else name, splits_dir)
    ids = np.unique(labels, return_inverse=True)[1]
    if name == "tweets4":
        ids = ids % 4
    tokens = TokenIds.tokenize(texts, DEFAULT_RULES)
    vectorizer = _vectorizer(int(ids.max()) + 1)
    return vectorizer.fit_transform(tokens[i] for i in range(len(tokens))), ids


def main(argv: list[str] | None = None) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from recommender.linear import fit_classifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets",
        nargs="+",
        default=["trec", "tweets", "tweets4"],
        choices=["trec", "tweets", "tweets4"],
    )
    parser.add_argument("--c", nargs="+", type=float, default=[1.0, 4.0, 16.0])
    args = parser.parse_args(argv)
    splits_dir = Path(tempfile.mkdtemp(prefix="bench-linear-"))
    subprocess.run([sys.executable, str(SHARED / "given_splits.py"), str(splits_dir)], check=True)
    print(
        "| set | classes | nonzeros x classes | C | embrec's solver | s | newton-cg s | ratio |"
        " accuracy % (newton-cg %) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.sets:
        features, labels = features_and_labels(name, splits_dir)
        classes = int(labels.max()) + 1
        fit_rows, score_rows = next(
            StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(labels)), labels)
        )
        x, y = features[fit_rows], labels[fit_rows]
        for c in args.c:
            started = time.perf_counter()
            chosen = fit_classifier(c, x, y, classes, 0)
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            reference = LogisticRegression(C=c, solver="newton-cg", max_iter=2000).fit(x, y)
            reference_seconds = time.perf_counter() - started
            right = np.mean(chosen.predict(features[score_rows]) == labels[score_rows])
            reference_right = np.mean(reference.predict(features[score_rows]) == labels[score_rows])
            print(
                f"| {name} | {classes} | {x.nnz * classes:,} | {c:g} | {chosen.solver} "
                f"| {seconds:.1f} | {reference_seconds:.1f} | {seconds / reference_seconds:.2f}x "
                f"| {100 * right:.2f} ({100 * reference_right:.2f}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
