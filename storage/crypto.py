"""Encryption at rest for personal data (phone numbers, IP addresses) and the blind index that
finds them without decrypting.

AES-256-GCM from the `cryptography` package, a fresh 96-bit nonce per value, and the value's
kind as associated data (a phone ciphertext cannot be passed off as an IP). Each row records
the id of the key that encrypted it, so keys can be rotated: the current key encrypts, previous
keys only decrypt until `report-bot keys rotate` has re-encrypted their rows. The blind index is
HMAC-SHA256 under a separate key over the normalised value, for exact-match lookups.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class KeyProblem(ValueError):
    """A key setting is missing or malformed; the message names the problem, never the key."""


class DecryptionFailed(Exception):
    """The ciphertext does not open under the key its row names (wrong key or tampering)."""


@dataclass(frozen=True, slots=True)
class DataKey:
    key_id: str
    secret: bytes = field(repr=False)


def parse_key(spec: str, what: str = "ENCRYPTION_KEY") -> DataKey:
    """`<key id>:<base64 of 32 random bytes>`, as `report-bot keys generate` prints it."""
    key_id, sep, encoded = spec.strip().partition(":")
    if not sep or not _KEY_ID.fullmatch(key_id):
        raise KeyProblem(
            f"{what} must look like <id>:<base64 key>, the id 1-16 letters, digits, - or _ "
            "(generate one with: report-bot keys generate)"
        )
    return DataKey(key_id, decode_secret(encoded, what))


def decode_secret(encoded: str, what: str) -> bytes:
    try:
        secret = base64.b64decode(encoded.strip(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise KeyProblem(f"{what} is not valid base64") from exc
    if len(secret) != KEY_BYTES:
        raise KeyProblem(f"{what} must be {KEY_BYTES} bytes (base64 of 32 random bytes)")
    return secret


def new_key_text(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()}"


def new_secret_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


class PersonalDataCipher:
    def __init__(self, current: DataKey, previous: Iterable[DataKey], index_key: bytes) -> None:
        self.current = current
        self._keys = {key.key_id: AESGCM(key.secret) for key in (*previous, current)}
        self._index_key = index_key

    @property
    def current_key_id(self) -> str:
        return self.current.key_id

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def encrypt(self, plaintext: str, kind: str) -> tuple[str, bytes]:
        """(key id, nonce + ciphertext) under the current key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current.key_id].encrypt(nonce, plaintext.encode(), kind.encode())
        return self.current.key_id, nonce + sealed

    def decrypt(self, key_id: str, blob: bytes, kind: str) -> str:
        aead = self._keys.get(key_id)
        if aead is None:
            raise DecryptionFailed(f"key {key_id!r} is not configured")
        try:
            return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], kind.encode()).decode()
        except InvalidTag as exc:
            raise DecryptionFailed(f"value does not open under key {key_id!r}") from exc

    def blind_index(self, kind: str, normalized: str) -> bytes:
        message = kind.encode() + b"\x00" + normalized.encode()
        return hmac.new(self._index_key, message, hashlib.sha256).digest()
