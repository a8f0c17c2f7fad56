"""Who may read: API tokens for scripts, and the private-archive switch.

A request with `Authorization: Bearer TOKEN` to the API or an export is that token's user for
the request (an unknown or revoked token is refused, never ignored). Anywhere else (the admin,
sign-in, reader pages) a token is refused: a script's token must not open a staff member's
admin. With PRIVATE_ARCHIVE on, everything but signing
in, the admin (which has its own sign-in) and a saved search's secret feed address needs a
user: pages redirect to sign-in, the API answers 401.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone

from archive.models import ApiToken

# Stamping last use on every request would write to the database on every API call.
LAST_USED_PRECISION = timedelta(minutes=1)


def create_token(user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the secret is returned this once and never stored."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, digest=_digest(secret), prefix=secret[:8])
    return token, secret


def revoke(tokens) -> int:
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_for_token(secret: str):
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _unauthorized(message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="archive"'
    return response


class ArchiveAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            if not _token_path(request.path):
                return JsonResponse(
                    {"error": "API tokens are for /api/ and exports only."}, status=403
                )
            user = user_for_token(header[7:].strip())
            if user is None:
                return _unauthorized("This API token is not valid, or it was revoked.")
            request.user = user
        private = settings.PRIVATE_ARCHIVE and not request.user.is_authenticated
        if private and not _open_to_all(request.path):
            if request.path.startswith("/api/"):
                return _unauthorized(
                    "This archive is private: send 'Authorization: Bearer <token>'."
                )
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


def _token_path(path: str) -> bool:
    return path.startswith("/api/") or path.startswith("/export.")


def _open_to_all(path: str) -> bool:
    open_paths = [reverse("login"), reverse("signup"), reverse("admin:index")]
    # A saved search's feed address is its own secret, for feed readers that cannot sign in.
    return any(path.startswith(p) for p in open_paths) or (
        path.startswith("/saved/") and path.endswith("/feed.atom")
    )
