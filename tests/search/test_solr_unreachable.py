"""With SEARCH_ENGINE=solr and no Solr node answering, every page says so (503 with
Retry-After) and check_index stops with a message: no traceback, no hang, no empty answer
that looks like "0 articles". Needs no Java: nothing listens on the port."""

import socket

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def solr_down(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connections are refused
    settings.SEARCH_ENGINE = "solr"
    settings.SOLR_URLS = [f"http://127.0.0.1:{port}/solr", f"http://127.0.0.1:{port}/other"]
    settings.SOLR_TIMEOUT_SECONDS = 2


@pytest.mark.parametrize("path", ["/", "/api/search/", "/network/", "/api/network/"])
def test_pages_answer_503_saying_search_is_unavailable(client, solr_down, path):
    response = client.get(path, {"q": "harbor"})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Search is unavailable" in response.content


def test_check_index_stops_with_a_message(solr_down):
    with pytest.raises(CommandError, match="could not answer"):
        call_command("check_index")
    with pytest.raises(CommandError, match="Could not rebuild"):
        call_command("check_index", "--rebuild")


def test_the_system_check_refuses_solr_without_nodes(settings):
    from django.core.management import call_command as run
    from django.core.management.base import SystemCheckError

    settings.SEARCH_ENGINE = "solr"
    settings.SOLR_URLS = []
    with pytest.raises(SystemCheckError, match=r"search\.E003"):
        run("check")
