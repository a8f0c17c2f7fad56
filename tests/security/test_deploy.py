"""Production settings: refuse the development secret, and pass Django's deployment checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def run(args: list[str], **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run(
        [sys.executable, *args], env=environment, cwd=ROOT, capture_output=True, text=True
    )


def test_serving_refuses_the_development_secret(tmp_path):
    result = run(["-c", "import config.wsgi"], ARCHIVE_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_deploy_check_is_clean_behind_https(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy"],
        SECRET_KEY=secrets.token_urlsafe(50),
        ARCHIVE_DATA_DIR=str(tmp_path),
    )
    warnings = {
        line.split(")")[0].strip("?: (")
        for line in result.stderr.splitlines()
        if "security.W" in line
    }
    # Preloading HSTS is the domain owner's decision, so the app leaves it off.
    assert warnings == {"security.W021"}, result.stderr
