"""Child processes of the archive (manage.py, gunicorn) against a throw-away archive of their own:
their own data folder and, when the suite runs on PostgreSQL, their own database."""

import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]


@dataclass
class ArchiveProcesses:
    env: dict[str, str]
    data_dir: Path

    def manage(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*MANAGE, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, check=check
        )

    def start(self, *args: str, program: list[str] = MANAGE, **popen) -> subprocess.Popen:
        """Start `manage.py ARGS` (or `program ARGS`) in the background."""
        return subprocess.Popen([*program, *args], env=self.env, cwd=ROOT, **popen)

    def start_worker(self, *args: str) -> subprocess.Popen:
        """`manage.py run_worker` in a session of its own: `os.killpg` ends it with its lanes
        and their NER and index processes, as a crash of the machine would."""
        return self.start(
            "run_worker",
            *args,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stored_articles(self) -> int:
        """Articles committed so far (0 before migrate)."""
        return self.scalar("SELECT count(*) FROM archive_article") or 0

    def scalar(self, sql: str):
        """The one value `sql` selects, read with the database's own client (None before
        migrate)."""
        url = self.env.get("DATABASE_URL")
        if url:
            import psycopg

            try:
                with psycopg.connect(url) as connection:
                    row = connection.execute(sql).fetchone()
            except psycopg.errors.UndefinedTable:
                return None
            return row[0] if row else None
        database = self.data_dir / "archive.sqlite3"
        if not database.exists():
            return None
        with sqlite3.connect(database, timeout=30) as connection:
            try:
                row = connection.execute(sql).fetchone()
            except sqlite3.OperationalError:  # not migrated yet
                return None
        return row[0] if row else None


@contextmanager
def archive_processes(tmp_path: Path, **env: str) -> Iterator[ArchiveProcesses]:
    data_dir = tmp_path / "data"
    child_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    child_env |= {"ARCHIVE_DATA_DIR": str(data_dir), "DEBUG": "true", **env}
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        child_env.pop("DATABASE_URL", None)
        yield ArchiveProcesses(child_env, data_dir)
        return
    with fresh_postgres_database(url) as child_url:
        yield ArchiveProcesses(child_env | {"DATABASE_URL": child_url}, data_dir)


@contextmanager
def fresh_postgres_database(url: str) -> Iterator[str]:
    """An empty database beside the suite's own, dropped afterwards even if children still hold
    connections (a killed import leaves them)."""
    import psycopg
    from psycopg import sql

    name = f"archive_child_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlsplit(url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
