"""A SolrCloud on loopback for trying the archive's Solr configset, and for tests: ZooKeeper
and Solr nodes, each its own JVM (so one node can be killed), from Maven Central artifacts
(Solr 9.10.1, Java 17), with the archive's configset uploaded and a collection created.

    python solr/cloud.py [--nodes 2] [--shards 2] [--replicas 2]

prints the ZooKeeper host and the node URLs, then runs until Ctrl-C or SIGTERM, and stops
everything it started. Its state lives in var/solr/ (`make clean` removes it).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "launcher"
CONFIGSET = HERE / "configset" / "conf"
MAIN_CLASS = "archive.SolrOnLoopback"
CONFIG_NAME = "archive"
COLLECTION = "articles"
START_TIMEOUT = 180  # seconds for a JVM to say it serves (the first run also compiles)


class SolrCloudError(RuntimeError):
    pass


def available() -> str:
    """Why the cloud cannot start here, or "" when Java and Maven are at hand."""
    missing = [tool for tool in ("java", "javac", "mvn") if shutil.which(tool) is None]
    return f"{', '.join(missing)} not found" if missing else ""


def build(work: Path) -> str:
    """The launcher's classpath: Solr's jars resolved by Maven, the launcher compiled."""
    classes, classpath = work / "classes", work / "classpath.txt"
    source = LAUNCHER / "src" / "main" / "java" / "archive" / "SolrOnLoopback.java"
    pom = LAUNCHER / "pom.xml"
    if not classpath.exists() or classpath.stat().st_mtime < pom.stat().st_mtime:
        work.mkdir(parents=True, exist_ok=True)
        resolve = ["mvn", "-q", "-B", "-f", str(pom), "dependency:build-classpath",
                   f"-Dmdep.outputFile={classpath}"]  # fmt: skip
        try:
            _run(resolve)
        except SolrCloudError:  # a download cut short: Maven resumes it the second time
            _run(resolve)
    jars = classpath.read_text().strip()
    compiled = classes / "archive" / "SolrOnLoopback.class"
    if not compiled.exists() or compiled.stat().st_mtime < source.stat().st_mtime:
        _run(["javac", "-d", str(classes), "-cp", jars, str(source)])
    return f"{jars}:{classes}"


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SolrCloudError(f"{' '.join(command[:3])} failed:\n{result.stdout}{result.stderr}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cloud:
    work: Path
    classpath: str
    zk_host: str = ""
    nodes: dict[str, subprocess.Popen] = field(default_factory=dict)  # base URL -> JVM
    zookeeper: subprocess.Popen | None = None
    heap: str = "512m"  # each JVM's -Xmx

    def _start(self, *args: str, log: Path) -> tuple[subprocess.Popen, str]:
        """Start one JVM, its output going to `log`, and wait for its ready line there (a
        pipe left unread would fill and stop the JVM)."""
        command = ["java", f"-Xmx{self.heap}", "-cp", self.classpath, MAIN_CLASS, *args]
        with open(log, "w") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith(args[0] + " "):
                    return process, line.split(" ", 1)[1].strip()
            time.sleep(0.2)
        process.kill()
        process.wait()
        raise SolrCloudError(f"{args[0]} did not start; see {log}")

    def start_zookeeper(self) -> None:
        self.zookeeper, self.zk_host = self._start(
            "zk", str(self.work / "zk"), str(free_port()), log=self.work / "zk.log"
        )

    def start_node(self, port: int | None = None) -> str:
        port = port or free_port()
        home = self.work / f"node-{port}"
        process, url = self._start(
            "node", str(home), str(port), self.zk_host, log=self.work / f"node-{port}.log"
        )
        self.nodes[url] = process
        return url

    def kill_node(self, url: str) -> None:
        """SIGKILL, as a crashed server: no goodbye to ZooKeeper or the other nodes."""
        process = self.nodes.pop(url)
        process.kill()
        process.wait()

    def api(self, path: str, data: bytes | None = None, **params) -> dict:
        return api(next(iter(self.nodes)), path, data, **params)

    def upload_configset(self) -> None:
        upload_configset(next(iter(self.nodes)))

    def create_collection(self, shards: int, replicas: int, name: str = COLLECTION) -> None:
        create_collection(next(iter(self.nodes)), name, shards, replicas)

    def stop(self) -> None:
        for process in [*self.nodes.values(), self.zookeeper]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.nodes.values(), self.zookeeper]:
            if process is None:
                continue
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.nodes.clear()


# The Collections and Configsets APIs, on any node of a SolrCloud (also `manage.py
# create_collection`, for an existing cluster).


def api(node: str, path: str, data: bytes | None = None, **params) -> dict:
    url = f"{node}/{path}?" + urllib.parse.urlencode({**params, "wt": "json"})
    headers = {"Content-Type": "application/octet-stream"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise SolrCloudError(f"{path}: {error.read().decode(errors='replace')[:500]}") from None
    except OSError as error:
        raise SolrCloudError(f"{node} did not answer: {error}") from None


def upload_configset(node: str, name: str = CONFIG_NAME) -> None:
    """Upload (or replace) the archive's configset."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(CONFIGSET.iterdir()):
            archive.write(path, path.name)
    api(node, "admin/configs", buffer.getvalue(), action="UPLOAD", name=name,
        overwrite="true", cleanup="true")  # fmt: skip


def collections(node: str) -> list[str]:
    return api(node, "admin/collections", action="LIST").get("collections", [])


def create_collection(node: str, name: str, shards: int, replicas: int) -> None:
    api(node, "admin/collections", action="CREATE", name=name, numShards=shards,
        replicationFactor=replicas, **{"collection.configName": CONFIG_NAME},
        waitForFinalState="true")  # fmt: skip


def reload_collection(node: str, name: str) -> None:
    """Load the collection's configset again (after `upload_configset`)."""
    api(node, "admin/collections", action="RELOAD", name=name)


@contextmanager
def solr_cloud(work: Path, nodes: int = 2, shards: int = 2, replicas: int = 2, heap: str = "512m"):
    """ZooKeeper and `nodes` Solr nodes with the configset and a COLLECTION of `shards` x
    `replicas`, stopped on leaving."""
    cloud = Cloud(work, build(work / "build"), heap=heap)
    try:
        cloud.start_zookeeper()
        for _ in range(nodes):
            cloud.start_node()
        cloud.upload_configset()
        cloud.create_collection(shards, replicas)
        yield cloud
    finally:
        cloud.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--heap", default="512m", help="each JVM's -Xmx")
    args = parser.parse_args()
    if reason := available():
        sys.exit(f"Cannot start Solr here: {reason} (needs OpenJDK 17 and Maven 3.8).")
    work = HERE.parent / "var" / "solr"
    shutil.rmtree(work / "run", ignore_errors=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("Resolving Solr with Maven and starting ZooKeeper and the nodes...", flush=True)
    with solr_cloud(work / "run", args.nodes, args.shards, args.replicas, args.heap) as cloud:
        print(f"ZooKeeper: {cloud.zk_host}")
        for url in cloud.nodes:
            print(f"Solr node: {url}")
        print(f"Collection {COLLECTION!r}: {args.shards} shards x {args.replicas} replicas, "
              f"configset {CONFIG_NAME!r}. Ctrl-C stops everything.")  # fmt: skip
        print("To run the archive on it, in another terminal:")
        print(f"  export SEARCH_ENGINE=solr SOLR_URLS={','.join(cloud.nodes)}", flush=True)
        try:
            while all(p.poll() is None for p in cloud.nodes.values()):
                time.sleep(1)
            print("A node ended; stopping.", file=sys.stderr)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
