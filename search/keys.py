"""Stable index terms for values whose text may contain anything (commas, quotes, spaces)."""

import hashlib


def source_key(source: str) -> str:
    return "s" + hashlib.blake2b(source.strip().encode("utf-8"), digest_size=8).hexdigest()
