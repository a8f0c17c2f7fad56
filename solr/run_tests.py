"""The engine-facing tests on a real SolrCloud: starts ZooKeeper and two Solr nodes on loopback
with a collection of 2 shards x 2 replicas (solr/cloud.py), runs SOLR_TESTS against it with
SEARCH_ENGINE=solr, and stops the cloud. Without Java and Maven it says so and passes: `make
test` then covers Whoosh only (.ci/run installs neither; its machines have both).

    .venv/bin/python solr/run_tests.py [pytest arguments]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from solr.cloud import COLLECTION, available, solr_cloud  # noqa: E402

# The contract suite and every page and API test: what a reader or a curator gets from the
# engine. Tests of the Whoosh adapter's own workings are marked whoosh_only.
SOLR_TESTS = [
    "tests/search/test_engine_contract.py",
    "tests/search/test_search.py",
    "tests/search/test_search_page.py",
    "tests/search/test_api.py",
    "tests/search/test_network.py",
    "tests/search/test_alerts.py",
    "tests/search/test_consistency.py",
    "tests/archive/test_demo_facets.py",
    "tests/archive/test_curation.py",
    "tests/security/test_hostile_queries.py",
]


def main() -> int:
    if reason := available():
        print(f"Solr tests skipped: {reason} (they need OpenJDK 17 and Maven 3.8).")
        return 0
    work = HERE.parent / "var" / "solr" / "test"
    shutil.rmtree(work, ignore_errors=True)
    print("Starting a SolrCloud on loopback for the Solr tests...", flush=True)
    with solr_cloud(work, nodes=2, shards=2, replicas=2) as cloud:
        env = {
            **os.environ,
            "SEARCH_ENGINE": "solr",
            "SOLR_URLS": ",".join(cloud.nodes),
            "SOLR_COLLECTION": COLLECTION,
        }
        command = [sys.executable, "-m", "pytest", *SOLR_TESTS, *sys.argv[1:]]
        return subprocess.run(command, env=env, cwd=HERE.parent).returncode


if __name__ == "__main__":
    sys.exit(main())
