"""Suggested duplicates on real news: how many of the first 50 are right.

Builds (once) an archive of the first 2,000 Reuters-21578 records that have a title and a
body (`../shared/data/reuters21578`), imported the way users import (`manage.py
import_articles`, spaCy extraction), and prints the first `--show` pairs the admin's
"Suggested duplicates" page offers, with the reason and the name a merge would keep, for a
person to judge. The judgement and the precision go in bench/RESULTS.md.

Usage: .venv/bin/python bench/duplicate_precision.py [--articles 2000] [--show 50] [--rebuild]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

from _django import ROOT, SHARED_DATA

OUT = ROOT / "bench" / "out" / "duplicates"


def build(articles: int) -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    corpus = OUT / "reuters.jsonl"
    kept = 0
    with open(SHARED_DATA / "reuters21578" / "articles.jsonl") as source, corpus.open("w") as out:
        for line in source:
            record = json.loads(line)
            if record.get("title") and record.get("body"):
                fields = ("title", "body", "date", "source")
                out.write(json.dumps({k: record[k] for k in fields if record.get(k)}) + "\n")
                kept += 1
                if kept == articles:
                    break
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=environment(), check=True)
    subprocess.run([*manage, "import_articles", str(corpus)], env=environment(), check=True)


def environment() -> dict:
    return {**os.environ, "ARCHIVE_DATA_DIR": str(OUT / "data"), "DEBUG": "true"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--show", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not (OUT / "data").exists():
        build(args.articles)
    os.environ.update(environment())
    from _django import setup

    setup()
    from archive.duplicates import suggest_duplicates

    suggestions = suggest_duplicates()
    print(f"{len(suggestions)} pairs suggested; the first {args.show}:")
    for n, s in enumerate(suggestions[: args.show], 1):
        keep = s.survivor
        print(
            f"{n:3}. {s.first.name} ({s.first.article_count}) / {s.second.name} "
            f"({s.second.article_count}) [{s.first.kind}]: {s.reason}; keeps {keep.name}"
        )


if __name__ == "__main__":
    main()
