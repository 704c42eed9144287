"""Bot tokens encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

`RAPPORT_TOKEN_KEY` is one Fernet key, or a comma-separated list of them for rotation
(`MultiFernet`): the first key encrypts, every key decrypts. `needs_rotation` tells a stored
value the first key did not write, so start-up can re-encrypt it and the old key can go.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenKeyError(ValueError):
    """RAPPORT_TOKEN_KEY is not a list of Fernet keys."""


class TokenCipher:
    def __init__(self, keys: str) -> None:
        raw = [key.strip() for key in keys.split(",") if key.strip()]
        if not raw:
            raise TokenKeyError("is empty")
        try:
            self._keys = [Fernet(key.encode()) for key in raw]
        except (ValueError, TypeError):
            raise TokenKeyError("is not a Fernet key (32 url-safe base64-encoded bytes)") from None
        self._all = MultiFernet(self._keys)

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, secret: str) -> str:
        return self._all.encrypt(secret.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """Raises `InvalidToken` when no key opens it (a key removed too early)."""
        return self._all.decrypt(stored.encode()).decode()

    def needs_rotation(self, stored: str) -> bool:
        """True if the first key did not encrypt `stored` (an older key did)."""
        try:
            self._keys[0].decrypt(stored.encode())
        except InvalidToken:
            return True
        return False

    def rotate(self, stored: str) -> str:
        return self._all.rotate(stored.encode()).decode()


__all__ = ["InvalidToken", "TokenCipher", "TokenKeyError"]
