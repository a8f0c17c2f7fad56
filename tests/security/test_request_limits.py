"""Request sizes are refused before the body is read (Content-Length) and while it is read
(counting what arrives): nothing oversized reaches the disk or a form."""

import json
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from archive.jobs import start_import
from archive.models import ImportJob
from archive.permissions import CURATORS

pytestmark = pytest.mark.django_db
GB = 1024**3


@pytest.fixture
def curator(client):
    user = User.objects.create_user("cura", password="a long passphrase", is_staff=True)
    user.groups.add(Group.objects.get(name=CURATORS))
    client.force_login(user)
    return user


def _tmp_usage() -> int:
    return sum(p.stat().st_size for p in Path(tempfile.gettempdir()).glob("*.upload*"))


@pytest.mark.parametrize("url", ["/names/", "/api/names/", "/accounts/login/", "/admin/login/"])
def test_a_huge_declared_body_is_refused_before_it_is_read(client, url):
    before = _tmp_usage()
    response = client.post(url, data=b"x" * 10, content_type="text/plain", CONTENT_LENGTH=4 * GB)
    assert response.status_code == 413
    assert b"larger than 3 MB" in response.content
    assert _tmp_usage() == before


def test_the_import_page_takes_large_uploads_only_from_a_curator(client, curator, settings):
    settings.MAX_IMPORT_UPLOAD_BYTES = 2 * 1024 * 1024
    add = reverse("admin:archive_importjob_add")
    # Anonymous: the small limit of every page, not the curator's.
    client.logout()
    big = 3 * 1024 * 1024 + 10
    assert client.post(add, b"", content_type="text/plain", CONTENT_LENGTH=big).status_code == 413
    client.force_login(curator)
    assert (
        client.post(add, b"", content_type="text/plain", CONTENT_LENGTH=2 * GB).status_code == 413
    )
    upload = SimpleUploadedFile("wire.jsonl", b'{"body": "Ferry crews were hired."}\n')
    client.post(add, {"files": [upload], "urls": ""})
    assert ImportJob.objects.filter(label="wire.jsonl").exists()


def test_an_upload_is_stopped_while_it_streams_past_the_limit(settings):
    from django.core.exceptions import RequestDataTooBig
    from django.test.client import encode_multipart

    boundary = "BoUnDaRy"
    body = encode_multipart(
        boundary, {"file": SimpleUploadedFile("names.csv", b"Ingrid Solberg\n" * 5000)}
    )
    request = RequestFactory().post(
        "/names/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    request.body_limit = 10_000  # as the middleware sets it; the body is 75 KB
    with pytest.raises(RequestDataTooBig):
        request.FILES  # noqa: B018


def test_deeply_nested_json_is_a_400(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/names/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]
    assert (
        client.post(
            "/api/names/", json.dumps({"names": ["x"]}), content_type="application/json"
        ).status_code
        == 200
    )


@pytest.mark.parametrize("name", ["a" * 249 + ".jsonl", "ä" * 200 + ".jsonl"])
def test_a_file_name_too_long_for_the_disk_is_imported_under_a_shorter_one(db, name):
    # 255 characters (what Django keeps of a name), or 406 bytes: too long once numbered.
    data = b'{"body": "Ferry crews were hired in Tromso on Tuesday."}\n'
    job = start_import(user=None, files=[SimpleUploadedFile(name, data)], urls=[])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.imported == 1


@pytest.mark.parametrize("url", ["/facets/person/", "/api/entities/autocomplete/", "/"])
def test_a_nul_character_in_a_parameter_is_a_400(client, url):
    response = client.get(url, {"contains": "a\x00b", "q": "x\x00"})
    assert response.status_code == 400
    assert client.post("/names/", {"names": "Ingrid\x00Solberg"}).status_code == 400


def test_nul_characters_in_a_json_name_list_are_spaces(client):
    from search.namelists import clean_lines

    assert clean_lines(["Ingrid\x00Solberg", "\x00"]) == ["Ingrid Solberg"]
    response = client.post(
        "/api/names/",
        json.dumps({"names": ["Ingrid\u0000Solberg"]}),
        content_type="application/json",
    )
    assert response.status_code == 200
