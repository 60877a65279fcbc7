"""Personal verification links: random, signed, tied to one office, one round and an expiry.

A token is ``<nonce>.<mac>`` in URL-safe base64: 16 random bytes (128 bits, :func:`secrets.token_bytes`)
and an HMAC-SHA-256 (cut to 16 bytes) over the nonce, the office id, the round and the expiry, keyed with
the outreach secret. The database keeps only the SHA-256 of the whole token next to the office, round
and expiry (:class:`finder.outreach.models.OutreachLink`); a check looks that hash up and recomputes the
MAC from the stored facts, compared in constant time (:func:`hmac.compare_digest`). So

- nobody can guess or enumerate a link (2^128 nonces; a wrong one is simply unknown);
- a copy of the database does not give the links (only their hashes), and without the secret nobody can
  add a valid row to it;
- a changed character anywhere makes the token unknown or its MAC wrong, and the page says only that
  the link is not valid, never whether an office exists.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = ["NONCE_BYTES", "MintedToken", "looks_like_token", "mac_ok", "mint", "token_hash"]

#: Random bytes per token (128 bits).
NONCE_BYTES = 16
#: Bytes of the MAC kept in the token.
MAC_BYTES = 16
#: Longest text accepted as a token (anything longer is refused before any work).
MAX_TOKEN_CHARS = 64


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _message(nonce: bytes, office_id: str, round_id: int, expires: dt.datetime) -> bytes:
    # Length-prefixed parts, so no two different (office, round, expiry) give the same message.
    parts = [
        nonce,
        office_id.encode("utf-8"),
        str(int(round_id)).encode(),
        expires.strftime("%Y%m%dT%H%M%S").encode(),
    ]
    return b"".join(len(p).to_bytes(2, "big") + p for p in parts)


def _mac(key: bytes, nonce: bytes, office_id: str, round_id: int, expires: dt.datetime) -> bytes:
    return hmac.new(key, _message(nonce, office_id, round_id, expires), hashlib.sha256).digest()[:MAC_BYTES]


@dataclass(frozen=True)
class MintedToken:
    """A new token and what the database keeps of it."""

    token: str
    hash: str


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256, hex (a random 128-bit token needs no slow hash)."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def mint(key: bytes, office_id: str, round_id: int, expires: dt.datetime) -> MintedToken:
    """A new random token for one office, round and expiry (naive UTC).

    Examples
    --------
    >>> import datetime as dt
    >>> when = dt.datetime(2027, 1, 31, 12, 0)
    >>> minted = mint(b"k" * 32, "mbe-x", 1, when)
    >>> looks_like_token(minted.token), len(minted.hash)
    (True, 64)
    >>> mac_ok(b"k" * 32, minted.token, "mbe-x", 1, when), mac_ok(b"k" * 32, minted.token, "mbe-y", 1, when)
    (True, False)
    """
    nonce = secrets.token_bytes(NONCE_BYTES)
    token = f"{_b64(nonce)}.{_b64(_mac(key, nonce, office_id, round_id, expires))}"
    return MintedToken(token, token_hash(token))


def _parts(token: str) -> tuple[bytes, bytes] | None:
    if not isinstance(token, str) or not token.isascii() or len(token) > MAX_TOKEN_CHARS:
        return None
    nonce_text, sep, mac_text = token.partition(".")
    if not sep:
        return None
    try:
        nonce, mac = _unb64(nonce_text), _unb64(mac_text)
    except (binascii.Error, ValueError):
        return None
    if len(nonce) != NONCE_BYTES or len(mac) != MAC_BYTES or token != f"{_b64(nonce)}.{_b64(mac)}":
        return None
    return nonce, mac


def looks_like_token(token: object) -> bool:
    """Whether ``token`` has the form of a token (checked before any database look-up)."""
    return isinstance(token, str) and _parts(token) is not None


def mac_ok(key: bytes, token: str, office_id: str, round_id: int, expires: dt.datetime) -> bool:
    """Whether the token's MAC matches the stored office, round and expiry (constant-time comparison)."""
    parts = _parts(token)
    if parts is None:
        return False
    nonce, mac = parts
    return hmac.compare_digest(mac, _mac(key, nonce, office_id, round_id, expires))
