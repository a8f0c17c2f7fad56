"""Password guessing is slowed on every sign-in form: after a few wrong passwords the name is
locked for a while, with a message saying so, even for the right password."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from archive.models import SignInFailure
from archive.signin_throttle import FREE_FAILURES

pytestmark = pytest.mark.django_db

FORMS = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def staff():
    return User.objects.create_user("editor", password="the right passphrase", is_staff=True)


def sign_in(client, url, password, address="203.0.113.7"):
    return client.post(url, {"username": "editor", "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("url", FORMS)
def test_wrong_passwords_lock_the_name_even_for_the_right_one(client, staff, url):
    for _ in range(FREE_FAILURES):
        assert sign_in(client, url, "guess").status_code == 200  # the form again
    refused = sign_in(client, url, "the right passphrase")
    assert refused.status_code == 200
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Once the lockout is over, the right password works and clears the count.
    SignInFailure.objects.update(locked_until=timezone.now())
    assert sign_in(client, url, "the right passphrase").status_code == 302
    assert not SignInFailure.objects.filter(key="user:editor").exists()


def test_a_hundred_guesses_lengthen_the_lockout_and_never_get_in(client, staff):
    for n in range(100):
        response = sign_in(client, FORMS[n % 2], f"guess {n}")
        assert "_auth_user_id" not in client.session
    failure = SignInFailure.objects.get(key="user:editor")
    assert failure.count == 100
    assert (failure.locked_until - timezone.now()).total_seconds() > 50 * 60
    assert "Too many failed sign-ins" in response.content.decode()


def test_one_address_guessing_many_names_is_locked_too(client):
    for n in range(60):
        client.post(FORMS[0], {"username": f"user{n}", "password": "x"}, REMOTE_ADDR="198.51.100.9")
    User.objects.create_user("fresh", password="the right passphrase")
    locked = client.post(
        FORMS[0],
        {"username": "fresh", "password": "the right passphrase"},
        REMOTE_ADDR="198.51.100.9",
    )
    assert "Too many failed sign-ins" in locked.content.decode()
    other = client.post(
        FORMS[0], {"username": "fresh", "password": "the right passphrase"}, REMOTE_ADDR="192.0.2.1"
    )
    assert other.status_code == 302
