"""Settings read from the environment, strictly: a value that is not exactly what a setting
takes stops the archive at start, naming the setting, instead of falling back to a default
(`PRIVATE_ARCHIVE=ture` must not open a private archive)."""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def _raw(name: str, default: str) -> str:
    return os.environ.get(name, default).strip()


def envbool(name: str, default: str) -> bool:
    value = _raw(name, default).lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(
        f"Setting {name}={os.environ.get(name)!r} is not a boolean: use one of "
        "true/false, 1/0, yes/no, on/off."
    )


def envint(name: str, default: str, *, minimum: int | None = None) -> int:
    value = _raw(name, default)
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Setting {name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Setting {name}={number} is below its least value {minimum}.")
    return number


def envlist(name: str, default: str) -> list[str]:
    """A comma-separated list; an empty item (`a,,b`, a trailing comma) is refused, since it is
    most likely a typo that would otherwise pass silently."""
    value = _raw(name, default)
    if not value:
        return []
    items = [item.strip() for item in value.split(",")]
    if not all(items):
        raise ImproperlyConfigured(
            f"Setting {name}={value!r} has an empty item: separate items with one comma."
        )
    return items


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"Setting {name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def envurls(name: str, default: str) -> list[str]:
    """A comma-separated list of http(s) URLs, each without a trailing slash."""
    urls = envlist(name, default)
    for url in urls:
        scheme, _, rest = url.partition("://")
        if scheme not in {"http", "https"} or not rest.strip("/"):
            raise ImproperlyConfigured(f"Setting {name}: {url!r} is not an http(s) URL.")
    return [url.rstrip("/") for url in urls]
