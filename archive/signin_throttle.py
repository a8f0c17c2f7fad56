"""Slowing down password guessing on every sign-in form (readers' and the admin's): after
FREE_FAILURES wrong passwords for one user name, or FREE_FAILURES_PER_ADDRESS from one address,
further tries are refused for a lockout that doubles with each failure (up to MAX_LOCKOUT).
A correct password after the lockout clears the name's count.

The check is in the archive's authentication backend, so no way of signing in skips it; the
forms say why they refuse instead of repeating "wrong password"."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone

from archive.models import SignInFailure

FREE_FAILURES = 5
FREE_FAILURES_PER_ADDRESS = 50
FIRST_LOCKOUT = timedelta(seconds=30)
MAX_LOCKOUT = timedelta(hours=1)
# Failures older than this are forgotten.
WINDOW = timedelta(hours=1)


def _keys(request, username: str | None) -> list[tuple[str, int]]:
    keys = []
    if username:
        keys.append((f"user:{username.strip().lower()[:150]}", FREE_FAILURES))
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    if address:
        keys.append((f"address:{address[:100]}", FREE_FAILURES_PER_ADDRESS))
    return keys


def locked_for(request, username: str | None) -> timedelta | None:
    """How long sign-in stays refused for this name or address, or None."""
    now = timezone.now()
    keys = [key for key, _ in _keys(request, username)]
    until = (
        SignInFailure.objects.filter(key__in=keys, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return until - now if until else None


def record_failure(request, username: str | None) -> None:
    now = timezone.now()
    for key, free in _keys(request, username):
        SignInFailure.objects.filter(key=key, last_at__lt=now - WINDOW).delete()
        failure, created = SignInFailure.objects.get_or_create(key=key, defaults={"last_at": now})
        if not created:
            SignInFailure.objects.filter(pk=failure.pk).update(count=F("count") + 1, last_at=now)
            failure.refresh_from_db()
        over = failure.count - free
        if over >= 0:
            lockout = min(FIRST_LOCKOUT * 2 ** min(over, 20), MAX_LOCKOUT)
            SignInFailure.objects.filter(pk=failure.pk).update(locked_until=now + lockout)


@receiver(user_login_failed)
def _failed(sender, credentials, request=None, **kwargs) -> None:
    record_failure(request, credentials.get("username"))


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs) -> None:
    SignInFailure.objects.filter(key=f"user:{user.get_username().lower()}").delete()


class ThrottledModelBackend(ModelBackend):
    """Django's own backend, but a locked name or address is refused before any password is
    checked (PermissionDenied: Django sends user_login_failed, which lengthens the lock)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if locked_for(request, username):
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)


def _message(wait: timedelta) -> str:
    minutes = max(1, round(wait.total_seconds() / 60))
    return (
        f"Too many failed sign-ins for this name or from this address. Try again in "
        f"{minutes} minute{'s' * (minutes != 1)}."
    )


class _Throttled:
    def clean(self):
        wait = locked_for(self.request, self.data.get("username"))
        if wait:
            # Counted too: guessing on during a lockout lengthens it.
            record_failure(self.request, self.data.get("username"))
            raise forms.ValidationError(_message(wait), code="throttled")
        return super().clean()


class SignInForm(_Throttled, AuthenticationForm):
    pass


class AdminSignInForm(_Throttled, AdminAuthenticationForm):
    pass
