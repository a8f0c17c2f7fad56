"""End-to-end import throughput against bare spaCy NER on the same texts, in one run.

  bare-1   nlp.pipe over the bodies, one process (en_core_web_sm alone, trimmed to its NER
           as the archive loads a model; the import uses the archive's own model)
  bare-2   nlp.pipe(n_process=2): the model alone on both cores, run before and after each
           import (the machine's speed drifts); each import is compared with both
  import   manage.py import_articles on the same records: parse, de-duplicate, extract
           (two worker processes), store in SQLite, index in Whoosh
  startup  manage.py import_articles of one article (Python, Django, spaCy and the model
           loading, which the bare runs do before their clock starts)

Usage: .venv/bin/python bench/import_throughput.py [--articles 10000] [--rounds 2]
Writes a throw-away archive under bench/out/; prints articles/s, ratios and peak memory.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

from _django import ROOT, SHARED_DATA, setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="imports, each between bare-2 runs")
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
    from django.conf import settings

    from archive.extraction import load_pipeline

    nlp = load_pipeline(settings.SPACY_MODEL_FALLBACKS)
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    bare1 = len(texts) / (time.perf_counter() - start)

    def bare_on_both_cores() -> float:
        start = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=64, n_process=2):
            pass
        return len(texts) / (time.perf_counter() - start)

    manage = [sys.executable, str(ROOT / "manage.py")]

    def import_all() -> tuple[float, dict]:
        env = {**os.environ, "ARCHIVE_DATA_DIR": str(out / "data"), "DEBUG": "true"}
        shutil.rmtree(out / "data", ignore_errors=True)
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        start = time.perf_counter()
        subprocess.run([*manage, "import_articles", str(corpus)], env=env, check=True)
        return len(texts) / (time.perf_counter() - start), env

    # The machine is shared and its speed drifts by a quarter within minutes: bare-2 runs
    # before and after each import, and each import is compared with the runs beside it.
    bare2 = [bare_on_both_cores()]
    full = []
    for _ in range(args.rounds):
        rate, env = import_all()
        full.append(rate)
        bare2.append(bare_on_both_cores())
    one = out / "one.jsonl"
    one.write_text(json.dumps({"title": "Startup", "body": "A one-line article."}) + "\n")
    start = time.perf_counter()
    subprocess.run([*manage, "import_articles", str(one)], env=env, check=True)
    startup = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"articles: {len(texts)}")
    print(f"bare nlp.pipe, 1 process:   {bare1:7.1f} articles/s")
    print("bare nlp.pipe, 2 processes:", ", ".join(f"{b:.1f}" for b in bare2), "articles/s")
    print("import end to end:          ", ", ".join(f"{f:.1f}" for f in full), "articles/s")
    beside = [f / ((bare2[i] + bare2[i + 1]) / 2) for i, f in enumerate(full)]
    harder = [f / max(bare2[i], bare2[i + 1]) for i, f in enumerate(full)]
    print("ratio import / bare-2 beside it (mean):", ", ".join(f"{r:.2f}" for r in beside))
    print("ratio import / faster bare-2 beside it:", ", ".join(f"{r:.2f}" for r in harder))
    print(f"median ratio: {statistics.median(beside):.2f}; import / bare-1: {full[0] / bare1:.2f}")
    print(f"startup of one import: {startup:.1f} s")
    print(f"peak memory of one import process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
