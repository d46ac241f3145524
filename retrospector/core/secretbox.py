"""Secrets stored encrypted at rest (tracker credentials, webhook secrets): Fernet (AES-128-CBC with an HMAC-SHA256
tag) under keys derived from settings.ENCRYPTION_KEYS, the first of which encrypts. A value encrypted under an older
key still opens, so a key can be rotated without losing what was stored."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys opens (the key changed and the old one was dropped)."""


def _box() -> MultiFernet:
    keys = settings.ENCRYPTION_KEYS
    # Any string makes a key: SHA-256 of a labelled input, so the same SECRET_KEY yields a key used for nothing else.
    derived = [hashlib.sha256(b"retrospector secretbox\0" + key.encode()).digest() for key in keys]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in derived])


def seal(plaintext: str) -> str:
    """The encrypted form of `plaintext`, as text for a TextField; "" stays "" (no secret set)."""
    if not plaintext:
        return ""
    return _box().encrypt(plaintext.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    """The plaintext of a value made by `seal`; SecretUnreadable when no configured key opens it."""
    if not sealed:
        return ""
    try:
        return _box().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("This secret was encrypted with a key this installation no longer has.") from exc


def reseal(sealed: str) -> str:
    """The same secret encrypted under the newest key (key rotation)."""
    if not sealed:
        return ""
    try:
        return _box().rotate(sealed.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("This secret was encrypted with a key this installation no longer has.") from exc
