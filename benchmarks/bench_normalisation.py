"""Which Unicode normalisation keeps more vector hits? None, NFC, NFKC, or NFKC per character.

The unicode rules of `recommender.text` normalise each character on its own (NFKC), because the
exported model must apply the same mapping with TensorFlow's string ops, which have no
normalisation op. This measures what that costs or gains against normalising whole texts, on
real data sets with non-ASCII text and real vectors: each variant tokenises the data and every
key of the vectors source the same way (a key that gives one token stands for that token, as
`load_vectors` does), then counts the data's tokens and distinct words that meet a key.

    python benchmarks/bench_normalisation.py [--limit 20000]

About a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from recommender.data import load_dataset
from recommender.text import _GLUE, EMOJI_RANGES, _in, _map_character, separated_pattern, tokenize
from recommender.vectors import load_vectors, source_words

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
SETS = {
    "tweeteval-emoji": "datasets/tweeteval_emoji/train_text.txt",
    "imdb (part 00)": "datasets/imdb/imdb_train.part00.csv",
    "sms-spam": "datasets/sms_spam/SMSSpamCollection.tsv",
    "mr (latin-1)": "datasets/mr/rt-polarity.all",
}
SOURCES = ("glove-6b-50d", "vectors/minilm-l6-wholeword.384d.bin")


def _without_nfkc() -> dict[int, str]:
    """The unicode rules' table with the per-character NFKC left out: lowercase and strip only."""
    table = {}
    for code in range(0x110000):
        character = chr(code)
        category = unicodedata.category(character)
        if category in ("Cn", "Cs", "Co"):
            continue
        if not character.isascii() and category[0] in "PS":
            mapped = _map_character(character, True)  # this path never normalises
        else:
            mapped = "".join(
                " "
                if c.isspace()
                else c
                if c not in _GLUE
                and (unicodedata.category(c)[0] not in "PS" or _in(EMOJI_RANGES, ord(c)))
                else ""
                for c in character.lower()
            )
        if mapped != character:
            table[code] = mapped
    return table


def _variants() -> dict[str, Callable[[str], list[str]]]:
    plain = _without_nfkc()
    separated = re.compile(separated_pattern(False, re2=False))

    def none(text: str) -> list[str]:
        return separated.sub(r" \g<0> ", text.translate(plain)).split()

    return {
        "none": none,
        "NFC, whole text": lambda text: none(unicodedata.normalize("NFC", text)),
        "NFKC, whole text": lambda text: none(unicodedata.normalize("NFKC", text)),
        "NFKC per character (embrec)": tokenize,
    }


def _texts(path: Path, limit: int) -> list[str]:
    if path.suffix == ".txt" and "tweeteval" in str(path):
        return path.read_text(encoding="utf-8").splitlines()[:limit]
    return list(load_dataset(str(path)).texts[:limit])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20_000, help="texts per data set")
    args = parser.parse_args()
    variants = _variants()
    keys = {}
    for source in SOURCES:
        name = source if source.startswith("glove") else str(SHARED / source)
        stub = load_vectors(name, ["the"])
        words = list(source_words(stub))
        keys[source] = {
            variant: {tokens[0] for w in words if len(tokens := split(w)) == 1}
            for variant, split in variants.items()
        }
    print(f"{'data':18} {'variant':28} " + " ".join(f"{s[-24:]:>34}" for s in SOURCES))
    for data, relative in SETS.items():
        texts = _texts(SHARED / relative, args.limit)
        for variant, split in variants.items():
            counts = Counter(token for text in texts for token in split(text))
            cells = []
            for source in SOURCES:
                known = keys[source][variant]
                hit_types = sum(1 for word in counts if word in known)
                hit_tokens = sum(n for word, n in counts.items() if word in known)
                cells.append(
                    f"tokens {hit_tokens / sum(counts.values()):7.3%} types "
                    f"{hit_types / len(counts):7.3%}"
                )
            print(f"{data:18} {variant:28} " + " ".join(f"{c:>34}" for c in cells))


if __name__ == "__main__":
    main()
