"""How fast embrec reads only the vectors a dataset needs, against gensim's whole-file load.

Prints seconds and the ratio for each file, measured in this run:
    python benchmarks/vectors_load.py [DATASET_FILE]
The default dataset is MR (../shared/data/datasets/mr/rt-polarity.all); its vocabulary is the
set of needed words.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from recommender.data import load_dataset
from recommender.text import tokenize_all
from recommender.vectors import load_vectors

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "datasets/mr/rt-polarity.all"
    tokens = tokenize_all(load_dataset(data).texts)
    needed = {t for doc in tokens for t in doc}
    print(f"{data.name}: {len(needed):,} distinct words needed")
    from gensim.models import KeyedVectors  # imported before timing: its import is not the point

    files = [
        ("glove.6B.50d.top20k.vec", False, False),
        ("glove.6B.50d.first8880.txt", False, True),
        ("glove.6B.50d.top50k.bin", True, False),
        ("minilm-l6-wholeword.384d.bin", True, False),
    ]
    for name, binary, no_header in files:
        path = SHARED / "vectors" / name
        ours, vectors = timed(lambda path=path: load_vectors(str(path), needed))
        theirs, _ = timed(
            lambda path=path, binary=binary, no_header=no_header: KeyedVectors.load_word2vec_format(
                str(path), binary=binary, no_header=no_header
            )
        )
        print(
            f"{name:32s} embrec {ours:6.2f} s  gensim whole file {theirs:6.2f} s  "
            f"ratio {theirs / ours:5.1f}x  rows kept {len(vectors.words):,}"  # type: ignore[attr-defined]
        )
    seconds, vectors = timed(lambda: load_vectors("glove-6b-50d", needed))
    print(
        f"{'builtin glove-6b-50d (400k words)':32s} embrec {seconds:6.2f} s  "
        f"rows kept {len(vectors.words):,}"
    )  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
