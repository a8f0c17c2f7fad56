"""Time of the extraction rules on one long piece of text, doubling its length: a rule that
reads the whole text for each name it meets makes the time grow faster than the length.

The text repeats sentences that wake every rule that looks for cue words ("… said", "the …
region", "… Street", "newspaper …", "X and Y Hospitals"); a blank pipeline tokenizes it, so
the figures are the rules' own, without the model.

Usage: .venv/bin/python bench/rules_linearity.py [--repeats 2000]
Prints tokens, seconds and seconds per 10,000 tokens for 1x, 2x and 4x the text.
"""

import argparse
import time

from _django import setup

SENTENCES = (
    "Wendlandt said the Haute Savoie region and K Street were calm. "
    "The newspaper Die Zeit wrote that Papworth and Addenbrooke Hospitals, 47, agreed. "
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    setup()
    import spacy

    from archive import extraction

    extraction.warm_up()
    nlp = spacy.blank("en")
    nlp.max_length = 10**9
    for factor in (1, 2, 4):
        doc = nlp(SENTENCES * args.repeats * factor)
        start = time.perf_counter()
        extraction.resolve_mentions(extraction._mentions_from_doc(doc))
        seconds = time.perf_counter() - start
        print(
            f"{len(doc):>8} tokens  {seconds:6.2f} s  {seconds / len(doc) * 10_000:.3f} s per 10k"
        )


if __name__ == "__main__":
    main()
