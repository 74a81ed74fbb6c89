"""Encryption at rest for personal data (phone numbers, IP addresses, documents, drafts,
journaled updates) and the blind index that finds them without decrypting.

AES-256-GCM from the `cryptography` package, a fresh 96-bit nonce per value, and the value's
context as associated data: which row it belongs to (moderation/sealing.py), so a ciphertext
copied into another row does not open. Each row records the id of the key that encrypted it,
so keys can be rotated: the current key encrypts, previous keys only decrypt until `report-bot
keys rotate` has re-encrypted their rows. The blind index is HMAC-SHA256 under a separate key
(with an id of its own, so it can be rotated too) over the normalised value.

A key that is all one byte, a short pattern repeated, or otherwise nowhere near 32 random bytes
is refused: such a key is a placeholder or a typo, and encrypts nothing.
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


#: The id a BLIND_INDEX_KEY written without one has (the form `keys generate` printed first).
DEFAULT_INDEX_KEY_ID = "b1"
#: 32 random bytes have about 30 distinct values; fewer than this is not a random key.
_MIN_DISTINCT_BYTES = 16


def parse_index_key(spec: str, what: str = "BLIND_INDEX_KEY") -> DataKey:
    """`<id>:<base64>` or, as first generated, the bare base64 (id `b1`)."""
    text = spec.strip()
    if ":" in text:
        return parse_key(text, what)
    return DataKey(DEFAULT_INDEX_KEY_ID, decode_secret(text, what))


def weakness(secret: bytes) -> str | None:
    """Why these bytes cannot be a key (None: they can)."""
    if len(set(secret)) == 1:
        return "is the same byte repeated (all zero?); generate one with: report-bot keys generate"
    for period in (2, 3, 4, 8, 16):
        if secret == (secret[:period] * (len(secret) // period + 1))[: len(secret)]:
            return (
                f"repeats a {period}-byte pattern; generate a random key with: "
                "report-bot keys generate"
            )
    if len(set(secret)) < _MIN_DISTINCT_BYTES:
        return (
            "has too few distinct bytes to be random; generate one with: report-bot keys generate"
        )
    return None


def decode_secret(encoded: str, what: str) -> bytes:
    try:
        secret = base64.b64decode(encoded.strip(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise KeyProblem(f"{what} is not valid base64") from exc
    if len(secret) != KEY_BYTES:
        raise KeyProblem(
            f"{what} must be {KEY_BYTES} bytes (base64 of 32 random bytes), not {len(secret)}"
        )
    problem = weakness(secret)
    if problem is not None:
        raise KeyProblem(f"{what} {problem}")
    return secret


def new_key_text(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()}"


def new_secret_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


class PersonalDataCipher:
    def __init__(
        self,
        current: DataKey,
        previous: Iterable[DataKey],
        index_key: bytes | DataKey,
        previous_index_keys: Iterable[DataKey] = (),
    ) -> None:
        self.current = current
        self._keys = {key.key_id: AESGCM(key.secret) for key in (*previous, current)}
        index = (
            index_key
            if isinstance(index_key, DataKey)
            else DataKey(DEFAULT_INDEX_KEY_ID, index_key)
        )
        self.current_index_key_id = index.key_id
        self._index_keys = {key.key_id: key.secret for key in (*previous_index_keys, index)}

    @property
    def current_key_id(self) -> str:
        return self.current.key_id

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    @property
    def index_key_ids(self) -> frozenset[str]:
        return frozenset(self._index_keys)

    def encrypt(self, plaintext: str, context: str) -> tuple[str, bytes]:
        """(key id, nonce + ciphertext) under the current key, bound to `context`."""
        return self.encrypt_bytes(plaintext.encode(), context)

    def decrypt(self, key_id: str, blob: bytes, context: str) -> str:
        return self.decrypt_bytes(key_id, blob, context).decode()

    def encrypt_bytes(self, data: bytes, context: str) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        aead = self._keys[self.current.key_id]
        return self.current.key_id, nonce + aead.encrypt(nonce, data, context.encode())

    def decrypt_bytes(self, key_id: str, blob: bytes, context: str) -> bytes:
        aead = self._keys.get(key_id)
        if aead is None:
            raise DecryptionFailed(f"key {key_id!r} is not configured")
        try:
            return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except InvalidTag as exc:
            raise DecryptionFailed(
                f"a value does not open under key {key_id!r} in its row (changed, or moved "
                "from another row)"
            ) from exc

    def blind_index(self, kind: str, normalized: str) -> bytes:
        """The index under the current BLIND_INDEX_KEY."""
        return self.blind_index_under(self.current_index_key_id, kind, normalized)

    def blind_indexes(self, kind: str, normalized: str) -> list[bytes]:
        """The index under every configured BLIND_INDEX_KEY, current first: a lookup finds a
        row whether or not `keys rotate` has rebuilt its index yet."""
        ids = [
            self.current_index_key_id,
            *sorted(self._index_keys.keys() - {self.current_index_key_id}),
        ]
        return [self.blind_index_under(key_id, kind, normalized) for key_id in ids]

    def blind_index_under(self, key_id: str, kind: str, normalized: str) -> bytes:
        message = kind.encode() + b"\x00" + normalized.encode()
        return hmac.new(self._index_keys[key_id], message, hashlib.sha256).digest()
