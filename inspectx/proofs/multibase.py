"""Multibase base58btc, multicodec public-key headers and ``did:key`` identifiers.

Written from the specifications (draft-msporny-base58, the multibase and multicodec tables,
the did:key method) so that every decode is strict: unknown characters, a missing ``z``
prefix, an unknown multicodec header or a key of the wrong length are all rejected with
:class:`MultibaseError`, never guessed at.
"""

from __future__ import annotations

from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from inspectx.errors import InspectxError

__all__ = [
    "MultibaseError",
    "PublicKey",
    "b58decode",
    "b58encode",
    "did_key",
    "did_key_verification_method",
    "multibase_decode",
    "multibase_encode",
    "public_key_from_did_key",
    "public_key_from_multibase",
    "public_key_to_multibase",
]

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_MULTIBASE_BASE58BTC: Final = "z"
_DID_KEY_PREFIX: Final = "did:key:"

# Multicodec codes as unsigned varints: ed25519-pub 0xed, p256-pub 0x1200, p384-pub 0x1201.
_ED25519_PUB: Final = b"\xed\x01"
_P256_PUB: Final = b"\x80\x24"
_P384_PUB: Final = b"\x81\x24"

# Longest multibase string accepted for decoding: base58 decoding is quadratic, and nothing
# this module handles (keys, signatures) comes anywhere near it.
MAX_ENCODED_LENGTH: Final = 1024


class MultibaseError(InspectxError):
    """A multibase, multicodec or did:key value is malformed or names an unsupported key."""


def b58encode(data: bytes) -> str:
    """Base58btc (Bitcoin alphabet): each leading zero byte becomes one leading ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, rem = divmod(number, 58)
        digits.append(_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Strict base58btc decoding: any character outside the alphabet is an error."""
    if len(text) > MAX_ENCODED_LENGTH:
        raise MultibaseError(
            "multibase.too-long",
            f"base58 value of {len(text)} characters exceeds {MAX_ENCODED_LENGTH}",
        )
    number = 0
    for pos, char in enumerate(text):
        digit = _ALPHABET.find(char)
        if digit < 0:
            raise MultibaseError(
                "multibase.invalid",
                f"character {char!r} at position {pos} is not in the base58btc alphabet",
                hint="base58btc excludes 0, O, I and l and every non-alphanumeric character",
            )
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: ``z`` followed by the base58btc encoding."""
    return _MULTIBASE_BASE58BTC + b58encode(data)


def multibase_decode(text: str) -> bytes:
    """Decode a multibase base58btc value (prefix ``z``; no other base is accepted)."""
    if not text.startswith(_MULTIBASE_BASE58BTC):
        raise MultibaseError(
            "multibase.invalid",
            "multibase value does not start with 'z' (base58btc)",
            hint="only multibase base58btc is supported",
        )
    return b58decode(text[1:])


def public_key_to_multibase(public_key: PublicKey) -> str:
    """The multicodec-prefixed public key (EC keys compressed) as multibase base58btc."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return multibase_encode(_ED25519_PUB + raw)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        header = _ec_header(public_key.curve)
        point = public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        return multibase_encode(header + point)
    raise MultibaseError(
        "multibase.unsupported-key",
        f"no multicodec header for a {type(public_key).__name__}",
        hint="use an Ed25519, P-256 or P-384 key",
    )


def public_key_from_multibase(text: str) -> PublicKey:
    """Parse a multibase multicodec public key (Ed25519, compressed P-256 or P-384)."""
    data = multibase_decode(text)
    header, body = data[:2], data[2:]
    if header == _ED25519_PUB:
        if len(body) != 32:
            raise _bad_length("Ed25519", 32, len(body))
        return ed25519.Ed25519PublicKey.from_public_bytes(body)
    curves: dict[bytes, tuple[ec.EllipticCurve, int]] = {
        _P256_PUB: (ec.SECP256R1(), 33),
        _P384_PUB: (ec.SECP384R1(), 49),
    }
    if header not in curves:
        raise MultibaseError(
            "multibase.unsupported-key",
            f"unknown or unsupported multicodec header {header.hex() or '(none)'}",
            hint="supported: ed25519-pub (0xed), p256-pub (0x1200), p384-pub (0x1201)",
        )
    curve, size = curves[header]
    if len(body) != size or body[0] not in (2, 3):
        raise _bad_length(f"compressed {curve.name}", size, len(body))
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(curve, body)
    except ValueError as exc:
        raise MultibaseError("multibase.invalid", f"not a point on {curve.name}: {exc}") from None


def did_key(public_key: PublicKey) -> str:
    """The ``did:key`` DID of a public key."""
    return _DID_KEY_PREFIX + public_key_to_multibase(public_key)


def did_key_verification_method(public_key: PublicKey) -> str:
    """The did:key verification method id: ``did:key:<mb>#<mb>``."""
    encoded = public_key_to_multibase(public_key)
    return f"{_DID_KEY_PREFIX}{encoded}#{encoded}"


def public_key_from_did_key(did: str) -> PublicKey:
    """The public key a ``did:key`` DID (optionally ``#fragment`` equal to it) encodes."""
    if not did.startswith(_DID_KEY_PREFIX):
        raise MultibaseError("multibase.invalid", f"not a did:key identifier: {did[:80]!r}")
    identifier, sep, fragment = did[len(_DID_KEY_PREFIX) :].partition("#")
    if sep and fragment != identifier:
        raise MultibaseError(
            "multibase.invalid",
            "the did:key fragment does not equal the method-specific identifier",
        )
    return public_key_from_multibase(identifier)


def _ec_header(curve: ec.EllipticCurve) -> bytes:
    if isinstance(curve, ec.SECP256R1):
        return _P256_PUB
    if isinstance(curve, ec.SECP384R1):
        return _P384_PUB
    raise MultibaseError(
        "multibase.unsupported-key",
        f"no multicodec header for curve {curve.name}",
        hint="use P-256 or P-384",
    )


def _bad_length(kind: str, expected: int, actual: int) -> MultibaseError:
    return MultibaseError(
        "multibase.invalid", f"{kind} public key must be {expected} bytes, got {actual}"
    )
