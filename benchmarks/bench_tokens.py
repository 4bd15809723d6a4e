"""What does the tokeniser cost? One bag-of-words model, three ways of cutting the text.

For each set, on the fixed splits of ../shared/ANCHORS.md (written by
`../shared/data/given_splits.py`), the TF-IDF yardstick's model exactly as ANCHORS.md measures it
(word 1-2 grams, sublinear tf, logistic regression with C in {0.25, 1, 4, 16} by stratified
5-fold cross-validation on the training file, scored on the test file), fitted four times on
the same texts, cut:

- anchors: ANCHORS.md's tokens: lowercase, `[a-z0-9]+(?:'[a-z]+)?|[^\\sa-z0-9]` (punctuation
  marks are tokens; "you've" stays one word);
- unicode: embrec's unicode rules with `--punctuation drop` (`recommender.text`, punctuation
  deleted);
- ascii: embrec's `--tokenizer ascii` (Keras' lower_and_strip_punctuation);
- keep: embrec's default rules, unicode with `--punctuation keep` (each mark a token,
  apostrophes deleted).

A set from further afield, not in ANCHORS.md, checks that what holds on the four generalises:
`tweets` (TweetEval emoji: 45,000 tweets, 20 classes, its official 50,000-tweet test split). Its
grid search is long (a fit takes about 40 s), so `--c C` fits one C instead.

Only the tokens differ, so the gaps are what the tokeniser alone costs or gains the linear peer
(the embedding models see the same tokens). Printed: a row per set, test accuracy % per
tokeniser and the difference of each of embrec's against ANCHORS.md's.

    python benchmarks/bench_tokens.py [--sets mr trec cr sms tweets] [--c C]

About 2 minutes on 2 cores for the four given sets.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
ANCHORS_TOKENS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def read(path: Path) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["label"] for row in rows]


def tweets(part: str) -> tuple[list[str], list[str]]:
    """TweetEval emoji: one tweet a line (split on \\n only: some tweets hold other breaks)."""
    folder = SHARED / "datasets" / "tweeteval_emoji"
    texts = (folder / f"{part}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (folder / f"{part}_labels.txt").read_text(encoding="utf-8").split()
    return texts[: len(labels)], labels


def load(name: str, splits_dir: Path) -> tuple[tuple[list[str], list[str]], ...]:
    """(train, test) of a set: the given sets from their fixed splits."""
    if name == "tweets":
        return tweets("train"), tweets("test")
    return read(splits_dir / name / "train.csv"), read(splits_dir / name / "test.csv")


def accuracy(
    tokenize: Callable[[str], list[str]],
    train: tuple[list, list],
    test: tuple[list, list],
    c: float | None = None,
) -> float:
    """ANCHORS.md's TF-IDF + LR on the texts as `tokenize` cuts them: test accuracy %; with `c`,
    that C alone instead of the grid."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    def grams(text: str) -> list[str]:
        words = tokenize(text)
        return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]

    vectorizer = TfidfVectorizer(analyzer=grams, sublinear_tf=True)
    features = vectorizer.fit_transform(train[0])
    solver = "liblinear" if len(set(train[1])) == 2 else "newton-cg"
    if c is not None:
        model = LogisticRegression(solver=solver, max_iter=2000, C=c).fit(features, train[1])
        return 100 * float(model.score(vectorizer.transform(test[0]), test[1]))
    search = GridSearchCV(
        LogisticRegression(solver=solver, max_iter=2000),
        {"C": [0.25, 1.0, 4.0, 16.0]},
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    ).fit(features, train[1])
    return 100 * float(search.score(vectorizer.transform(test[0]), test[1]))


def main(argv: list[str] | None = None) -> None:
    from recommender.text import Rules, tokenize

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets",
        nargs="+",
        default=["mr", "trec", "cr", "sms"],
        choices=["mr", "trec", "cr", "sms", "tweets"],
    )
    parser.add_argument("--c", type=float, help="fit this C instead of the grid's")
    args = parser.parse_args(argv)
    splits_dir = Path(tempfile.mkdtemp(prefix="bench-tokens-"))
    subprocess.run([sys.executable, str(SHARED / "given_splits.py"), str(splits_dir)], check=True)
    tokenizers = {
        "anchors": lambda text: ANCHORS_TOKENS.findall(text.lower()),
        "unicode": lambda text: tokenize(text, Rules()),
        "ascii": lambda text: tokenize(text, Rules(tokenizer="ascii")),
        "keep": lambda text: tokenize(text, Rules(punctuation="keep")),
    }
    others = [label for label in tokenizers if label != "anchors"]
    print("| set | anchors % | " + " | ".join(f"{o} % (minus anchors)" for o in others) + " |")
    print("|---|---|" + "---|" * len(others))
    for name in args.sets:
        train, test = load(name, splits_dir)
        scores = {label: accuracy(cut, train, test, args.c) for label, cut in tokenizers.items()}
        base = scores["anchors"]
        cells = [f"{scores[o]:.1f} ({scores[o] - base:+.1f})" for o in others]
        print(f"| {name} | {base:.1f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
