"""W3C Data Integrity proofs (eddsa-jcs-2022, ecdsa-jcs-2019), multibase and did:key."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from inspectx.proofs.dataintegrity import (
    ECDSA_JCS_2019,
    EDDSA_JCS_2022,
    PrivateKey,
    ProofError,
    PublicKey,
    add_proof,
    compute_hash_data,
    create_proof,
    sign_bytes,
    verify_proof,
    verify_signature,
)
from inspectx.proofs.multibase import (
    MultibaseError,
    b58decode,
    b58encode,
    did_key,
    did_key_verification_method,
    multibase_decode,
    multibase_encode,
    public_key_from_did_key,
    public_key_from_multibase,
    public_key_to_multibase,
)

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SUITES = ("Ed25519", "P-256", "P-384")
MAX_SAFE = 2**53 - 1

# Multicodec private-key headers used by the W3C key-pair files (ed25519-priv 0x1300,
# p256-priv 0x1306, p384-priv 0x1307, as unsigned varints).
_PRIVATE_HEADERS = {b"\x80\x26": None, b"\x86\x26": ec.SECP256R1(), b"\x87\x26": ec.SECP384R1()}


@functools.cache
def key(kind: str, n: int = 0) -> PrivateKey:
    """A fresh test key per (kind, n), made once per test session."""
    del n
    if kind == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1() if kind == "P-256" else ec.SECP384R1())


def private_key_from_multibase(text: str) -> PrivateKey:
    data = multibase_decode(text)
    header, body = data[:2], data[2:]
    curve = _PRIVATE_HEADERS[header]
    if curve is None:
        return ed25519.Ed25519PrivateKey.from_private_bytes(body)
    return ec.derive_private_key(int.from_bytes(body, "big"), curve)


def code_of(call: Callable[..., object], /, *args: Any, **kwargs: Any) -> str:
    """The code of the ProofError that ``call(*args, **kwargs)`` raises."""
    with pytest.raises(ProofError) as info:
        call(*args, **kwargs)
    return info.value.code


def sample_document() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "result": {"lead": "0.050", "unit": "mg/kg", "pass": True, "count": 3},
        "note": "检测 ✓",
    }


def signed(kind: str, document: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = sample_document() if document is None else document
    private = key(kind)
    proof = create_proof(
        doc,
        private_key=private,
        verification_method=did_key_verification_method(private.public_key()),
        created=CREATED,
    )
    return add_proof(doc, proof)


# --- multibase / did:key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (b"", ""),
        (b"\0", "1"),
        (b"\0\0\x01", "112"),
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (b"\0\0\x28\x7f\xb4\xcd", "11233QC4"),
    ],
)
def test_base58_known_values(raw: bytes, encoded: str) -> None:
    assert b58encode(raw) == encoded
    assert b58decode(encoded) == raw


@given(st.binary(max_size=80), st.integers(0, 4))
def test_base58_round_trip(data: bytes, zeros: int) -> None:
    data = b"\0" * zeros + data
    assert b58decode(b58encode(data)) == data
    assert multibase_decode(multibase_encode(data)) == data


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc def", "abc+", "é", "z\n", "٣"])
def test_base58_rejects_characters_outside_the_alphabet(bad: str) -> None:
    with pytest.raises(MultibaseError) as info:
        b58decode(bad)
    assert info.value.code == "multibase.invalid"


def test_multibase_requires_base58btc_prefix() -> None:
    for bad in ["", "f00", "u", "Z2NEpo7"]:
        with pytest.raises(MultibaseError):
            multibase_decode(bad)
    with pytest.raises(MultibaseError):
        b58decode("2" * 5000)


@pytest.mark.parametrize("kind", SUITES)
def test_did_key_round_trip(kind: str) -> None:
    public = key(kind).public_key()
    did = did_key(public)
    prefix = {"Ed25519": "did:key:z6Mk", "P-256": "did:key:zDn", "P-384": "did:key:z82"}[kind]
    assert did.startswith(prefix)
    for text in (did, did_key_verification_method(public)):
        back = public_key_from_did_key(text)
        assert public_key_to_multibase(back) == public_key_to_multibase(public)


def test_did_key_rejects_bad_identifiers() -> None:
    ed = did_key(key("Ed25519").public_key())
    other = did_key(key("Ed25519", 1).public_key())
    bad = [
        "did:web:example.com",
        f"{ed}#{other.removeprefix('did:key:')}",
        "did:key:" + multibase_encode(b"\xed\x01" + b"\x01" * 31),  # wrong length
        "did:key:" + multibase_encode(b"\x12\x05" + b"\x01" * 33),  # unknown multicodec
        "did:key:" + multibase_encode(b"\x80\x24\x04" + b"\x01" * 32),  # not compressed
        "did:key:" + multibase_encode(b"\x80\x24\x02" + b"\xff" * 32),  # not on the curve
    ]
    for text in bad:
        with pytest.raises(MultibaseError):
            public_key_from_did_key(text)
    with pytest.raises(MultibaseError):
        did_key(ec.generate_private_key(ec.SECP521R1()).public_key())


# --- W3C test vectors --------------------------------------------------------------------------


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip()


@pytest.mark.interop
def test_eddsa_jcs_2022_vectors_byte_for_byte(shared_reference: Path) -> None:
    folder = shared_reference / "vc-data-integrity" / "eddsa-jcs-2022"
    if not folder.is_dir():
        pytest.skip(f"interop: {folder} is absent")
    pair = json.loads((folder / "keyPair.json").read_text())
    private = private_key_from_multibase(pair["privateKeyMultibase"])
    public = public_key_from_multibase(pair["publicKeyMultibase"])
    assert public_key_to_multibase(private.public_key()) == pair["publicKeyMultibase"]
    unsigned = json.loads((folder / "unsigned.json").read_text())
    config = json.loads((folder / "proofConfigJCS.json").read_text())
    expected = json.loads((folder / "signedJCS.json").read_text())

    data = compute_hash_data(unsigned, config, key=public)
    assert data.canonical_document.decode() == _text(folder / "canonDocJCS.txt")
    assert data.canonical_proof_config.decode() == _text(folder / "proofCanonJCS.txt")
    assert data.document_hash.hex() == _text(folder / "docHashJCS.txt")
    assert data.proof_config_hash.hex() == _text(folder / "proofHashJCS.txt")
    assert data.combined.hex() == _text(folder / "combinedHashJCS.txt")
    assert sign_bytes(private, data.combined).hex() == _text(folder / "sigHexJCS.txt")

    proof = create_proof(
        unsigned,
        private_key=private,
        verification_method=config["verificationMethod"],
        created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
    )
    assert proof["proofValue"] == _text(folder / "sigBTC58JCS.txt")
    assert proof == expected["proof"]
    assert json.dumps(add_proof(unsigned, proof)) == json.dumps(expected)
    assert public_key_from_did_key(config["verificationMethod"]) is not None
    result = verify_proof(expected, expected["proof"], public_key=public)
    assert result.cryptosuite == EDDSA_JCS_2022
    assert result.created == datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
    assert result.canonical_document_sha256 == _text(folder / "docHashJCS.txt")


@pytest.mark.interop
@pytest.mark.parametrize("curve", ["P256", "P384"])
def test_ecdsa_jcs_2019_vectors(shared_reference: Path, curve: str) -> None:
    folder = shared_reference / "vc-data-integrity" / f"ecdsa-jcs-2019-{curve.lower()}"
    if not folder.is_dir():
        pytest.skip(f"interop: {folder} is absent")
    pair = json.loads((folder / f"{curve.lower()}KeyPair.json").read_text())
    private = private_key_from_multibase(pair["secretKeyMultibase"])
    public = public_key_from_multibase(pair["publicKeyMultibase"])
    assert public_key_to_multibase(private.public_key()) == pair["publicKeyMultibase"]
    unsigned = json.loads((folder / "unsigned.json").read_text())
    config = json.loads((folder / f"proofConfigJCSECDSA{curve}.json").read_text())
    signed_doc = json.loads((folder / f"signedJCSECDSA{curve}.json").read_text())

    data = compute_hash_data(unsigned, config, key=public)
    assert data.canonical_document.decode() == _text(folder / f"canonDocJCSECDSA{curve}.txt")
    assert data.canonical_proof_config.decode() == _text(folder / f"proofCanonJCSECDSA{curve}.txt")
    assert data.document_hash.hex() == _text(folder / f"docHashJCSECDSA{curve}.txt")
    assert data.proof_config_hash.hex() == _text(folder / f"proofHashJCSECDSA{curve}.txt")
    assert data.combined.hex() == _text(folder / f"combinedHashJCSECDSA{curve}.txt")

    # Published signatures: randomised, so verified rather than reproduced.
    sig_hex = bytes.fromhex(_text(folder / f"sigHexJCSECDSA{curve}.txt"))
    assert len(sig_hex) == (64 if curve == "P256" else 96)
    verify_signature(public, sig_hex, data.combined)
    assert multibase_decode(_text(folder / f"sigBTC58JCSECDSA{curve}.txt")) == sig_hex
    result = verify_proof(signed_doc, signed_doc["proof"], public_key=public)
    assert result.cryptosuite == ECDSA_JCS_2019
    assert result.verification_method == config["verificationMethod"]
    assert (
        public_key_to_multibase(public_key_from_did_key(config["verificationMethod"]))
        == (pair["publicKeyMultibase"])
    )

    # Our own proof with the published key has the same configuration and verifies.
    proof = create_proof(
        unsigned,
        private_key=private,
        verification_method=config["verificationMethod"],
        created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
    )
    assert {k: v for k, v in proof.items() if k != "proofValue"} == config
    assert len(multibase_decode(proof["proofValue"])) == len(sig_hex)
    verify_proof(unsigned, proof, public_key=public)
    tampered = {**signed_doc, "name": "Forged Credential"}
    assert code_of(lambda: verify_proof(tampered, tampered["proof"], public_key=public)) == (
        "proof.integrity"
    )


@pytest.mark.interop
def test_rfc8785_vectors(shared_reference: Path) -> None:
    folder = shared_reference / "vectors" / "rfc8785-jcs"
    if not folder.is_dir():
        pytest.skip(f"interop: {folder} is absent")
    inputs = sorted((folder / "input").glob("*.json"))
    assert len(inputs) == 6
    for path in inputs:
        value = json.loads(path.read_text(encoding="utf-8"))
        expected = (folder / "output" / path.name).read_bytes()
        assert rfc8785.dumps(value) == expected, path.name
        outhex = (folder / "outhex" / f"{path.stem}.txt").read_text().split()
        assert rfc8785.dumps(value).hex() == "".join(outhex).lower(), path.name


# --- Wycheproof ----------------------------------------------------------------------------------


def _wycheproof(shared_reference: Path, name: str) -> dict[str, Any]:
    path = shared_reference / "vectors" / "wycheproof" / name
    if not path.is_file():
        pytest.skip(f"interop: {path} is absent")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _verdict(public: PublicKey, sig: bytes, msg: bytes) -> str:
    try:
        verify_signature(public, sig, msg)
    except ProofError as exc:
        return "invalid" if exc.code in {"proof.integrity", "proof.malformed"} else exc.code
    return "valid"


def _ec_keys(groups: list[dict[str, Any]]) -> Iterator[tuple[PublicKey, dict[str, Any]]]:
    for group in groups:
        curve = {"secp256r1": ec.SECP256R1()}[group["publicKey"]["curve"]]
        point = bytes.fromhex(group["publicKey"]["uncompressed"])
        public = ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
        for test in group["tests"]:
            yield public, test


@pytest.mark.interop
def test_wycheproof_ed25519(shared_reference: Path) -> None:
    data = _wycheproof(shared_reference, "ed25519_test.json")
    count = 0
    for group in data["testGroups"]:
        public = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(group["publicKey"]["pk"]))
        for test in group["tests"]:
            verdict = _verdict(public, bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]))
            assert verdict == test["result"], test["tcId"]
            count += 1
    assert count == data["numberOfTests"]


@pytest.mark.interop
def test_wycheproof_ecdsa_p256_p1363(shared_reference: Path) -> None:
    data = _wycheproof(shared_reference, "ecdsa_secp256r1_sha256_p1363_test.json")
    count = 0
    for public, test in _ec_keys(data["testGroups"]):
        verdict = _verdict(public, bytes.fromhex(test["sig"]), bytes.fromhex(test["msg"]))
        assert verdict == test["result"], test["tcId"]
        count += 1
    assert count == data["numberOfTests"]


@pytest.mark.interop
def test_wycheproof_der_ecdsa_signatures_are_malformed(shared_reference: Path) -> None:
    data = _wycheproof(shared_reference, "ecdsa_secp256r1_sha256_test.json")
    rejected = 0
    for public, test in _ec_keys(data["testGroups"]):
        if test["result"] != "valid":
            continue
        sig = bytes.fromhex(test["sig"])  # DER, valid as DER: must never be accepted
        assert len(sig) != 64
        msg = bytes.fromhex(test["msg"])
        assert code_of(verify_signature, public, sig, msg) == "proof.malformed"
        rejected += 1
    assert rejected > 0


@pytest.mark.parametrize("kind", ["P-256", "P-384"])
def test_ecdsa_signature_form_is_p1363_only(kind: str) -> None:
    private = key(kind)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    public = private.public_key()
    msg = b"hash data"
    sig = sign_bytes(private, msg)
    size = 64 if kind == "P-256" else 96
    assert len(sig) == size
    verify_signature(public, sig, msg)
    half = size // 2
    der = encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
    for bad in (der, sig[:-1], sig + b"\0", b"\0" + sig, b"", sig * 2):
        assert code_of(verify_signature, public, bad, msg) == "proof.malformed"
    # the same DER signature as a proofValue
    doc = signed(kind)
    proof = {**doc["proof"], "proofValue": multibase_encode(der)}
    assert code_of(lambda: verify_proof(doc, proof, public_key=public)) == "proof.malformed"


# --- error codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), "\ud800", MAX_SAFE + 1, -(2**64), {"k": object()}]
)
def test_values_jcs_cannot_represent_are_rejected(value: object) -> None:
    doc = {**sample_document(), "bad": [value]}
    private = key("Ed25519")
    make = functools.partial(
        create_proof, private_key=private, verification_method="urn:k", created=CREATED
    )
    assert code_of(lambda: make(doc)) == "proof.canonicalization"
    good = signed("Ed25519")
    forged = {**good, "bad": value}
    assert code_of(
        lambda: verify_proof(forged, good["proof"], public_key=private.public_key())
    ) == ("proof.canonicalization")
    assert code_of(lambda: make({"\ud800": 1})) == "proof.canonicalization"


def test_fractional_floats_and_safe_integers_are_fine() -> None:
    doc = {**sample_document(), "x": [0.5, 1e21, -0.0, 1e-7, MAX_SAFE, -MAX_SAFE]}
    verify_proof(
        signed("P-256", doc), signed("P-256", doc)["proof"], public_key=key("P-256").public_key()
    )


@pytest.mark.parametrize(
    "change",
    [
        {"type": "Ed25519Signature2020"},
        {"type": None},
        {"cryptosuite": None},
        {"cryptosuite": 7},
        {"verificationMethod": ""},
        {"proofPurpose": ["assertionMethod"]},
        {"proofValue": None},
        {"proofValue": "u" + "A" * 86},  # base64url multibase: not base58btc
        {"proofValue": "z0OIl"},  # characters outside base58btc
        {"proofValue": "z" + "2" * 300},
        {"proofValue": multibase_encode(b"\1" * 63)},
        {"proofValue": multibase_encode(b"\1" * 65)},
        {"created": "2026-01-02T03:04:05"},  # no time zone
        {"created": "2026-02-30T03:04:05Z"},
        {"created": 1767323045},
    ],
)
def test_malformed_proofs(change: dict[str, Any]) -> None:
    doc = signed("Ed25519")
    proof = {k: v for k, v in {**doc["proof"], **change}.items() if v is not None}
    public = key("Ed25519").public_key()
    assert code_of(lambda: verify_proof(doc, proof, public_key=public)) == "proof.malformed"


def test_missing_members_and_non_objects_are_malformed() -> None:
    doc = signed("P-256")
    public = key("P-256").public_key()
    for member in ("type", "cryptosuite", "verificationMethod", "proofPurpose", "proofValue"):
        proof = {k: v for k, v in doc["proof"].items() if k != member}
        assert code_of(verify_proof, doc, proof, public_key=public) == "proof.malformed"
    assert code_of(lambda: verify_proof(doc, [doc["proof"]], public_key=public)) == (  # type: ignore[arg-type]
        "proof.malformed"
    )
    assert code_of(lambda: verify_proof([], doc["proof"], public_key=public)) == (  # type: ignore[arg-type]
        "proof.malformed"
    )


def test_algorithms_outside_the_allow_list() -> None:
    doc = signed("Ed25519")
    proof = doc["proof"]
    p256, p384 = key("P-256").public_key(), key("P-384").public_key()
    p192 = ec.generate_private_key(ec.SECP192R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    not_allowed = [
        lambda: verify_proof(doc, proof, public_key=p256),
        lambda: verify_proof(doc, proof, public_key=p384),
        lambda: verify_proof(doc, proof, public_key=p192.public_key()),
        lambda: verify_proof(doc, proof, public_key=rsa_key.public_key()),  # type: ignore[arg-type]
        lambda: verify_proof(
            doc, {**proof, "cryptosuite": ECDSA_JCS_2019}, public_key=key("Ed25519").public_key()
        ),
        lambda: verify_proof(
            doc, {**proof, "cryptosuite": "eddsa-rdfc-2022"}, public_key=key("Ed25519").public_key()
        ),
        lambda: verify_proof(
            doc, {**proof, "cryptosuite": "bbs-2023"}, public_key=key("Ed25519").public_key()
        ),
        lambda: create_proof(
            doc,
            private_key=p192,
            verification_method="k",
            created=CREATED,
        ),
        lambda: create_proof(
            doc,
            private_key=rsa_key,  # type: ignore[arg-type]
            verification_method="k",
            created=CREATED,
        ),
        lambda: create_proof(
            doc,
            private_key=key("Ed25519"),
            verification_method="k",
            created=CREATED,
            cryptosuite=ECDSA_JCS_2019,
        ),
        lambda: create_proof(
            doc,
            private_key=key("P-256"),
            verification_method="k",
            created=CREATED,
            cryptosuite=EDDSA_JCS_2022,
        ),
        lambda: verify_signature(p192.public_key(), b"\0" * 48, b"m"),
    ]
    for i, call in enumerate(not_allowed):
        assert code_of(call) == "proof.algorithm-not-allowed", i


def test_allow_list_is_checked_before_the_proof_value_is_decoded() -> None:
    doc = signed("Ed25519")
    proof = {**doc["proof"], "cryptosuite": "rsa-2048", "proofValue": "not multibase"}
    public = key("Ed25519").public_key()
    assert code_of(lambda: verify_proof(doc, proof, public_key=public)) == (
        "proof.algorithm-not-allowed"
    )


def test_create_proof_arguments() -> None:
    private = key("Ed25519")
    doc = sample_document()
    for kwargs in (
        {"created": datetime(2026, 1, 2)},  # naive
        {"verification_method": ""},
        {"proof_purpose": ""},
    ):
        args: dict[str, Any] = {"verification_method": "urn:k", "created": CREATED, **kwargs}
        assert code_of(create_proof, doc, private_key=private, **args) == ("proof.malformed")


def test_created_is_written_in_utc_and_read_back() -> None:
    private = key("P-384")
    when = datetime(2026, 1, 2, 11, 4, 5, 250000, tzinfo=timezone(timedelta(hours=8)))
    proof = create_proof(
        sample_document(),
        private_key=private,
        verification_method="urn:k",
        created=when,
        proof_purpose="authentication",
    )
    assert proof["created"] == "2026-01-02T03:04:05.25Z"
    result = verify_proof(sample_document(), proof, public_key=private.public_key())
    assert result.created == when
    assert result.proof_purpose == "authentication"
    assert result.verification_method == "urn:k"


def test_proof_sets() -> None:
    doc = sample_document()
    proofs = []
    secured: dict[str, Any] = doc
    for kind in SUITES:
        private = key(kind)
        proof = create_proof(
            secured,
            private_key=private,
            verification_method=did_key_verification_method(private.public_key()),
            created=CREATED,
        )
        proofs.append(proof)
        secured = add_proof(secured, proof)
    assert "proof" not in doc
    assert secured["proof"] == proofs
    for kind, proof in zip(SUITES, proofs, strict=True):
        verify_proof(secured, proof, public_key=key(kind).public_key())
    assert add_proof({"proof": proofs[0]}, proofs[1])["proof"] == proofs[:2]


def test_verification_method_is_only_a_pointer() -> None:
    doc = signed("Ed25519")
    attacker = key("Ed25519", 1)
    forged_proof = create_proof(
        {**doc, "note": "forged"},
        private_key=attacker,
        verification_method=doc["proof"]["verificationMethod"],  # claims to be the lab's key
        created=CREATED,
    )
    forged = {**doc, "note": "forged", "proof": forged_proof}
    lab = key("Ed25519").public_key()
    assert code_of(lambda: verify_proof(forged, forged_proof, public_key=lab)) == "proof.integrity"


def test_context_prefix_rule() -> None:
    doc = signed("Ed25519")
    public = key("Ed25519").public_key()
    extended = {**doc, "@context": [*doc["@context"], "https://example.org/extra"]}
    verify_proof(extended, doc["proof"], public_key=public)  # later contexts: allowed by spec
    for context in (["https://example.org/other"], "https://example.org/other", None):
        changed = (
            {**doc, "@context": context}
            if context
            else {k: v for k, v in doc.items() if k != "@context"}
        )
        assert code_of(verify_proof, changed, doc["proof"], public_key=public) == (
            "proof.integrity"
        )


# --- properties ----------------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers(-MAX_SAFE, MAX_SAFE) | st.text(max_size=12)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=15,
)
documents = st.dictionaries(
    st.text(max_size=8).filter(lambda k: k != "proof"), _json, min_size=1, max_size=6
)


def _leaf_paths(value: object, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaf_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaf_paths(v, (*path, i))
    else:
        yield path


def _different(leaf: object) -> object:
    if leaf is None:
        return 0
    if isinstance(leaf, bool):
        return not leaf
    if isinstance(leaf, int):
        return leaf - 1 if leaf == MAX_SAFE else leaf + 1
    assert isinstance(leaf, str)
    return leaf + "x"


def _replace(value: Any, path: tuple[Any, ...], new: object) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    return [_replace(v, rest, new) if i == head else v for i, v in enumerate(value)]


@settings(max_examples=40, deadline=None)
@given(doc=documents, kind=st.sampled_from(SUITES), data=st.data())
def test_proofs_verify_and_detect_any_change(
    doc: dict[str, Any], kind: str, data: st.DataObject
) -> None:
    private = key(kind)
    public = private.public_key()
    proof = create_proof(doc, private_key=private, verification_method="urn:k", created=CREATED)
    secured = add_proof(doc, proof)
    assert verify_proof(secured, proof, public_key=public).cryptosuite == proof["cryptosuite"]

    paths = list(_leaf_paths(doc))
    if paths:
        path = data.draw(st.sampled_from(paths), label="leaf")
        changed = _replace(secured, path, _different(_get(doc, path)))
        assert rfc8785.dumps(changed) != rfc8785.dumps(secured)
        assert code_of(lambda: verify_proof(changed, proof, public_key=public)) == (
            "proof.integrity"
        )

    value = proof["proofValue"]
    # ECDSA proofValues differ in length from run to run: draw independently of the value.
    pos = 1 + data.draw(st.integers(0, 10**6), label="position") % (len(value) - 1)
    alphabet = "123456789ABCabcxyz"
    char = alphabet[(alphabet.find(value[pos]) + data.draw(st.integers(1, 17))) % 18]
    bad = {**proof, "proofValue": value[:pos] + char + value[pos + 1 :]}
    code = code_of(lambda: verify_proof(secured, bad, public_key=public))
    same_length = len(multibase_decode(bad["proofValue"])) == len(multibase_decode(value))
    assert code == ("proof.integrity" if same_length else "proof.malformed")

    other = key(kind, 1).public_key()
    assert code_of(lambda: verify_proof(secured, proof, public_key=other)) == "proof.integrity"
    wrong_type = key("P-256" if kind == "Ed25519" else "Ed25519").public_key()
    assert code_of(verify_proof, secured, proof, public_key=wrong_type) == (
        "proof.algorithm-not-allowed"
    )
    if kind != "Ed25519":  # same cryptosuite, other curve: the signature length is wrong
        other_curve = key("P-384" if kind == "P-256" else "P-256").public_key()
        assert code_of(verify_proof, secured, proof, public_key=other_curve) == "proof.malformed"


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


# --- independent cross-check ----------------------------------------------------------------


def _openssl() -> str:
    exe = shutil.which("openssl")
    if exe is None:
        pytest.skip("openssl is not on PATH: independent cross-check not run")
    return exe


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, timeout=30, check=False)


def test_openssl_verifies_our_ed25519_and_p256_signatures(tmp_path: Path) -> None:
    exe = _openssl()
    for kind in ("Ed25519", "P-256"):
        private = key(kind)
        doc = signed(kind)
        data = compute_hash_data(doc, doc["proof"], key=private)
        sig = multibase_decode(doc["proof"]["proofValue"])
        pub = tmp_path / f"{kind}.pub"
        pub.write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        msg, bad_msg, sig_file = tmp_path / "msg", tmp_path / "bad", tmp_path / "sig"
        msg.write_bytes(data.combined)
        bad_msg.write_bytes(data.combined[:-1] + bytes([data.combined[-1] ^ 1]))
        if kind == "Ed25519":
            sig_file.write_bytes(sig)
            cmd = [
                exe,
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                str(pub),
                "-rawin",
                "-sigfile",
                str(sig_file),
                "-in",
            ]
        else:
            r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
            sig_file.write_bytes(encode_dss_signature(r, s))  # openssl dgst wants DER
            cmd = [exe, "dgst", "-sha256", "-verify", str(pub), "-signature", str(sig_file)]
        ok = _run(*cmd, str(msg))
        assert ok.returncode == 0, ok.stderr
        assert _run(*cmd, str(bad_msg)).returncode != 0
