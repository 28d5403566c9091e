"""Secrets and tokens: drawn at random, shown once, stored only as hashes.

They carry 256 bits of entropy, so a plain SHA-256 is a safe hash (a slow password hash is for
guessable secrets); comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret() -> str:
    return secrets.token_hex(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str | None) -> bool:
    return stored_digest is not None and hmac.compare_digest(digest(secret), stored_digest)
