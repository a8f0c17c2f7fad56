"""How large a request may be, checked before its body is read (by Content-Length) and while
it is read (counting what arrives), never after it all arrived: a 4 GB post must not reach the
disk or the memory first.

Curators who may start imports may send MAX_IMPORT_UPLOAD_BYTES to the import page; every
other request, MAX_REQUEST_BYTES.

A parameter holding a NUL character is refused too (400): no text the archive keeps or looks
up holds one, and PostgreSQL fails a query that does (a 500, found by the URL fuzz test)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict, UnreadablePostError
from django.urls import reverse

# Room for the form's own fields and the multipart boundaries around the files.
FORM_OVERHEAD = 1024 * 1024


def body_limit(request: HttpRequest) -> int:
    if request.path == reverse("admin:archive_importjob_add") and request.user.has_perm(
        "archive.add_importjob"
    ):
        return settings.MAX_IMPORT_UPLOAD_BYTES + FORM_OVERHEAD
    return settings.MAX_REQUEST_BYTES


def _too_large_message(limit: int) -> str:
    return f"The request is larger than {limit // (1024 * 1024)} MB, the most this page takes."


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """The API answers in JSON, as it does for every other error; pages in plain text."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": message}, status=status)
    else:
        response = HttpResponse(
            message + "\n", status=status, content_type="text/plain; charset=utf-8"
        )
    if status == 413:
        response["Connection"] = "close"  # the rest of the body is never read
    return response


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = str(request.META.get("CONTENT_LENGTH") or "0").strip()
        limit = body_limit(request)
        if not declared.isdigit() or int(declared) > limit:
            return _refused(request, _too_large_message(limit), 413)
        request.body_limit = limit
        # Forms are read here as CSRF would read them next (files stay on the upload handlers).
        form = request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}
        if _holds_nul(request.GET) or (form and _holds_nul(_posted(request))):
            return _refused(request, "A parameter holds a NUL character.", 400)
        return self.get_response(request)


def _posted(request: HttpRequest):
    try:
        return request.POST
    except UnreadablePostError:  # the client went away mid-upload: nothing to look at
        return QueryDict()


def _holds_nul(params: QueryDict) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in params.lists()
    )


class LimitedUploadHandler(FileUploadHandler):
    """First of the upload handlers: counts every byte of every file as it arrives and stops
    the upload past the request's limit, whatever Content-Length said."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = getattr(self.request, "body_limit", settings.MAX_REQUEST_BYTES)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            # Not StopUpload: that ends parsing quietly and the view would get the files
            # that came before, as if the upload were whole. This fails the request (400).
            raise RequestDataTooBig(f"Upload larger than {self.limit} bytes.")
        return raw_data

    def file_complete(self, file_size):
        return None
