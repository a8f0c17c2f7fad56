"""Facet quality on Universal NER English PUD (news documents), micro P/R/F1.

Per document, the set of distinct (kind, name) pairs extracted is compared with the gold set.
Names compare by their normalized key. Three systems, one run:
  raw        en_core_web_sm entities with the plain label mapping, text as spaCy gives it
  cleaned    + the archive's name cleaning and in-article resolution
  archive    + archive-wide kind consistency (each name takes the kind most documents give it)

Usage: .venv/bin/python bench/entity_quality.py [--docs PATH]
"""

import argparse
import json
from collections import Counter

from _django import SHARED_DATA, setup

GOLD_KINDS = {"PER": "person", "LOC": "place", "ORG": "organization"}


def score(predicted: list[set], gold: list[set]) -> dict:
    tp = sum(len(p & g) for p, g in zip(predicted, gold, strict=True))
    npred = sum(len(p) for p in predicted)
    ngold = sum(len(g) for g in gold)
    precision = tp / npred if npred else 0.0
    recall = tp / ngold if ngold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", default=str(SHARED_DATA / "uner-en-pud" / "docs.jsonl"))
    args = parser.parse_args()
    setup()
    from archive.extraction import LABEL_KINDS, entities_from_doc, get_pipeline
    from archive.kinds import harmonize_kinds
    from archive.names import normalize_key

    with open(args.docs, encoding="utf-8") as handle:
        every_doc = [json.loads(line) for line in handle]
    docs = [d for d in every_doc if d["genre"] == "news"]
    gold = [
        {(GOLD_KINDS[e["label"]], normalize_key(e["text"])) for e in d["entities"]} for d in docs
    ]
    nlp = get_pipeline()
    parsed = list(nlp.pipe([d["text"] for d in docs]))
    raw = [
        {
            (LABEL_KINDS[e.label_], normalize_key(e.text))
            for e in doc.ents
            if e.label_ in LABEL_KINDS
        }
        for doc in parsed
    ]
    extracted = [entities_from_doc(doc) for doc in parsed]
    cleaned = [{(e.kind, e.key) for e in ents} for ents in extracted]
    # The archive holds every document (news and encyclopedia); kinds are settled across it.
    others = [
        entities_from_doc(doc)
        for doc in nlp.pipe([d["text"] for d in every_doc if d["genre"] != "news"])
    ]
    harmonized = harmonize_kinds(extracted + others)[: len(extracted)]
    archive = [{(e.kind, e.key) for e in ents} for ents in harmonized]

    print(f"{len(docs)} news documents, {sum(len(g) for g in gold)} gold entities")
    print(f"{'system':<10} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, predicted in [("raw", raw), ("cleaned", cleaned), ("archive", archive)]:
        s = score(predicted, gold)
        print(f"{name:<10} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:6.3f}")
    errors = Counter()
    for p, g in zip(archive, gold, strict=True):
        for kind, key in p - g:
            errors[("extra", kind, key)] += 1
        for kind, key in g - p:
            errors[("missed", kind, key)] += 1
    print("most common errors:", errors.most_common(25))


if __name__ == "__main__":
    main()
