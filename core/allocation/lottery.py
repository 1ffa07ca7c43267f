"""The verifiable lottery: a committed seed and keyed-hash numbers per serial."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

__all__ = ["Lottery", "LotteryError", "commitment_of", "lottery_number", "new_seed", "reveal"]

SEED_BYTES = 32


class LotteryError(ValueError):
    """A seed that is malformed or does not match its published commitment."""


def new_seed() -> str:
    """A fresh secret seed (hex) for the operator to commit before collection closes."""
    return secrets.token_hex(SEED_BYTES)


def _seed_bytes(seed_hex: str) -> bytes:
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError as exc:
        raise LotteryError("the seed must be hexadecimal") from exc
    if len(seed) < 16:
        raise LotteryError("the seed must hold at least 16 bytes")
    return seed


def commitment_of(seed_hex: str) -> str:
    """SHA-256 of the seed bytes: published and audited before the draw."""
    return hashlib.sha256(_seed_bytes(seed_hex)).hexdigest()


def reveal(seed_hex: str, commitment: str) -> bytes:
    """Check a revealed seed against its commitment; refuse a mismatch so no seed is swapped in late."""
    if not hmac.compare_digest(commitment_of(seed_hex), commitment.strip().lower()):
        raise LotteryError("the revealed seed does not match the published commitment")
    return _seed_bytes(seed_hex)


def lottery_number(seed: bytes, serial: str) -> str:
    """HMAC-SHA-256(seed, serial) in hex: the same on every machine, whatever the input order."""
    return hmac.digest(seed, serial.encode("utf-8"), "sha256").hex()


class Lottery:
    """Lottery numbers for many serials: HMAC-SHA-256 with the keyed pads hashed once (RFC 2104)."""

    def __init__(self, seed: bytes) -> None:
        block = hashlib.sha256().block_size
        key = hashlib.sha256(seed).digest() if len(seed) > block else seed
        key = key.ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def number(self, serial: str) -> str:
        """The same value as `lottery_number(seed, serial)`, a few times faster per call."""
        return self.numbers((serial,))[serial]

    def numbers(self, serials: Iterable[str]) -> dict[str, str]:
        """Lottery numbers of many serials at once (the loop of a whole season, kept tight)."""
        inner_pad, outer_pad = self._inner, self._outer
        found = {}
        for serial in serials:
            inner = inner_pad.copy()
            inner.update(serial.encode("utf-8"))
            outer = outer_pad.copy()
            outer.update(inner.digest())
            found[serial] = outer.hexdigest()
        return found
