"""End-to-end import throughput against bare spaCy NER on the same texts, in one run.

  bare-1   nlp.pipe over the bodies, one process (the model alone)
  bare-2   nlp.pipe(n_process=2): the model alone on both cores
  import   manage.py import_articles on the same records: parse, de-duplicate, extract
           (two worker processes), store in SQLite, index in Whoosh
  startup  manage.py import_articles of one article (Python, Django, spaCy and the model
           loading, which the bare runs do before their clock starts)

Usage: .venv/bin/python bench/import_throughput.py [--articles 10000]
Writes a throw-away archive under bench/out/; prints articles/s, ratios and peak memory.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

from _django import ROOT, SHARED_DATA, setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    out = ROOT / "bench" / "out" / "throughput"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    corpus = out / "articles.jsonl"
    texts = []
    with (
        open(SHARED_DATA / "reuters21578" / "articles.jsonl", encoding="utf-8") as source,
        open(corpus, "w", encoding="utf-8") as target,
    ):
        for line in source:
            record = json.loads(line)
            if record.get("body"):
                target.write(line)
                texts.append(record["body"])
            if len(texts) >= args.articles:
                break
    setup()
    from archive.extraction import get_pipeline

    nlp = get_pipeline()
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    bare1 = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=64, n_process=2):
        pass
    bare2 = len(texts) / (time.perf_counter() - start)

    env = {**os.environ, "ARCHIVE_DATA_DIR": str(out / "data"), "DEBUG": "true"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    start = time.perf_counter()
    subprocess.run([*manage, "import_articles", str(corpus)], env=env, check=True)
    elapsed = time.perf_counter() - start
    full = len(texts) / elapsed
    one = out / "one.jsonl"
    one.write_text(json.dumps({"title": "Startup", "body": "A one-line article."}) + "\n")
    start = time.perf_counter()
    subprocess.run([*manage, "import_articles", str(one)], env=env, check=True)
    startup = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"articles: {len(texts)}")
    print(f"bare nlp.pipe, 1 process:  {bare1:7.1f} articles/s")
    print(f"bare nlp.pipe, 2 processes: {bare2:7.1f} articles/s")
    print(f"import end to end:          {full:7.1f} articles/s")
    print(f"ratio import / bare-1: {full / bare1:.2f}; import / bare-2: {full / bare2:.2f}")
    steady = len(texts) / (elapsed - startup)
    print(
        f"startup of one import: {startup:.1f} s; without it import / bare-2: {steady / bare2:.2f}"
    )
    print(f"peak memory of one import process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
