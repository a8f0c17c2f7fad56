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


def test_a_typo_in_a_boolean_setting_stops_the_archive_naming_it(tmp_path):
    # PRIVATE_ARCHIVE=ture read as false would open a private archive to everyone.
    result = run(["manage.py", "check"], PRIVATE_ARCHIVE="ture", ARCHIVE_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "PRIVATE_ARCHIVE='ture' is not a boolean" in result.stderr


def test_the_web_server_does_not_start_on_a_mistyped_setting(tmp_path):
    result = run(
        ["-c", "import config.wsgi"],
        SECRET_KEY=secrets.token_urlsafe(50),
        ARCHIVE_DATA_DIR=str(tmp_path),
        FETCH_TIMEOUT_SECONDS="20s",
    )
    assert result.returncode != 0
    assert "FETCH_TIMEOUT_SECONDS='20s' is not a whole number" in result.stderr


def test_settings_take_exactly_the_documented_spellings(monkeypatch):
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from config.environment import envbool, envint, envlist

    for value, expected in [("Yes", True), ("OFF", False), (" 1 ", True), ("no", False)]:
        monkeypatch.setenv("SOME_FLAG", value)
        assert envbool("SOME_FLAG", "false") is expected
    for bad in ["ture", "", "2", "enabled"]:
        monkeypatch.setenv("SOME_FLAG", bad)
        with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
            envbool("SOME_FLAG", "false")
    monkeypatch.setenv("SOME_NUMBER", "-3")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER=-3 is below"):
        envint("SOME_NUMBER", "1", minimum=0)
    monkeypatch.setenv("SOME_LIST", "a.example,,b.example")
    with pytest.raises(ImproperlyConfigured, match="empty item"):
        envlist("SOME_LIST", "")
    monkeypatch.setenv("SOME_LIST", " a.example , b.example ")
    assert envlist("SOME_LIST", "") == ["a.example", "b.example"]
