"""Sign once, admissible in both formats: a Data Integrity proof made on a certificate
verifies on its JSON and on its XML rendering, after any number of conversions, and
changing any single leaf value in either form breaks it with ``proof.integrity``."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspectx.formats._table import RECORDS, Kind
from inspectx.formats.certificate import certificate_to_data, data_to_json_bytes, data_to_xml_bytes
from inspectx.model import Certificate
from inspectx.proofs.certificate import sign_certificate, verify_certificate
from inspectx.proofs.dataintegrity import ProofError
from inspectx.proofs.multibase import did_key_verification_method
from inspectx.validation import convert_bytes, read_certificate, render
from tests.conftest import FIXTURES
from tests.strategies import certificates

CREATED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
KEYS = {
    "ed25519": ed25519.Ed25519PrivateKey.generate(),
    "p256": ec.generate_private_key(ec.SECP256R1()),
    "p384": ec.generate_private_key(ec.SECP384R1()),
}


def _sign(cert: Certificate, key_name: str = "ed25519") -> tuple[Certificate, dict[str, Any]]:
    key = KEYS[key_name]
    method = did_key_verification_method(key.public_key())
    signed = sign_certificate(cert, private_key=key, verification_method=method, created=CREATED)
    return signed, {method: key.public_key()}


def _fixtures() -> list[Path]:
    return sorted((FIXTURES / "certificates").glob("*.json"))


@pytest.mark.parametrize("key_name", sorted(KEYS))
@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_a_proof_made_on_json_verifies_on_xml_and_back(path: Path, key_name: str) -> None:
    cert = read_certificate(path.read_bytes()).certificate
    signed, keys = _sign(cert, key_name)
    as_json = render(signed, "json")
    as_xml = convert_bytes(as_json, "xml")[1]
    back = convert_bytes(as_xml, "json")[1]
    assert back == as_json
    for data in (as_json, as_xml, back):
        verified = verify_certificate(data, public_keys=keys)
        assert verified.certificate == signed
        assert verified.proofs[0].cryptosuite in ("eddsa-jcs-2022", "ecdsa-jcs-2019")


def test_a_proof_made_on_xml_verifies_on_json() -> None:
    xml = (FIXTURES / "certificates" / "wheat-mycotoxins.xml").read_bytes()
    signed, keys = _sign(read_certificate(xml).certificate, "p256")
    signed_xml = render(signed, "xml")
    assert verify_certificate(convert_bytes(signed_xml, "json")[1], public_keys=keys)


def test_a_proof_set_verifies_and_each_proof_is_checked() -> None:
    cert = read_certificate(
        (FIXTURES / "certificates" / "toys-en71-3.json").read_bytes()
    ).certificate
    once, keys1 = _sign(cert, "ed25519")
    twice, keys2 = _sign(once, "p384")  # the platform countersigns
    data = render(twice, "xml")
    verified = verify_certificate(data, public_keys={**keys1, **keys2})
    assert len(verified.proofs) == 2
    with pytest.raises(ProofError) as info:
        verify_certificate(data, public_keys=keys1)
    assert info.value.code == "proof.key-unknown"


def test_unsigned_and_wrong_key() -> None:
    data = (FIXTURES / "certificates" / "toys-en71-3.json").read_bytes()
    with pytest.raises(ProofError) as info:
        verify_certificate(data, public_keys={})
    assert info.value.code == "proof.missing"
    signed, keys = _sign(read_certificate(data).certificate)
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    with pytest.raises(ProofError) as info:
        verify_certificate(render(signed, "json"), public_keys=dict.fromkeys(keys, other))
    assert info.value.code == "proof.integrity"


def test_a_proof_over_json_as_received_verifies_even_where_the_model_writes_it_otherwise() -> None:
    """The W3C procedure: a signer who signs their JSON as it is (``+00:00``, not
    the model's ``Z``) gets a proof that verifies over that JSON."""
    from inspectx.proofs.dataintegrity import add_proof, create_proof

    data = json.loads((FIXTURES / "certificates" / "toys-en71-3.json").read_bytes())
    data["issuedAt"] = "2026-03-18T13:05:00.50+00:00"  # the model writes ...05:00.5Z
    key = KEYS["ed25519"]
    method = did_key_verification_method(key.public_key())
    proof = create_proof(data, private_key=key, verification_method=method, created=CREATED)
    signed = data_to_json_bytes(add_proof(data, proof) | {"proof": [proof]})
    verified = verify_certificate(signed, public_keys={method: key.public_key()})
    assert verified.certificate.issued_at == datetime.fromisoformat(data["issuedAt"])


def test_a_proof_over_the_model_survives_a_lexically_different_equal_value() -> None:
    """A proof covers the model's values: ``14:05:00.000`` written by a system in
    between for ``14:05:00`` is the same value, and the proof still verifies
    (through the model's form); a different time breaks it."""
    cert = read_certificate((FIXTURES / "certificates" / "toys-en71-3.json").read_bytes())
    signed, keys = _sign(cert.certificate)
    text = render(signed, "json").decode()
    issued = json.loads(text)["issuedAt"]
    head, offset = issued[:19], issued[19:]
    assert "." not in offset
    same = text.replace(f'"{issued}"', f'"{head}.000{offset}"').encode()
    assert verify_certificate(same, public_keys=keys).certificate == signed
    later = text.replace(f'"{issued}"', f'"{head}.001{offset}"').encode()
    with pytest.raises(ProofError) as info:
        verify_certificate(later, public_keys=keys)
    assert info.value.code == "proof.integrity"


# --- any single leaf changed, in either form --------------------------------------------


def _leaves(data: Any, rec: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Paths of the string leaves a tamperer can change and stay schema-valid."""
    found: list[tuple[tuple[Any, ...], Any]] = []
    for f in rec.fields:
        if f.name not in data or f.name == "proof":
            continue
        values = data[f.name] if f.repeated else [data[f.name]]
        for i, value in enumerate(values):
            p = (*path, f.name, i) if f.repeated else (*path, f.name)
            if f.kind is Kind.RECORD:
                found += _leaves(value, RECORDS[f.target], p)
            elif f.kind is Kind.DECIMAL or (
                f.kind is Kind.STRING
                and f.lexical is not None
                and f.lexical.name in ("text", "token")
            ):
                found.append((p, f.kind))
    return found


def _tamper(data: dict[str, Any], path: tuple[Any, ...], kind: Any) -> None:
    node: Any = data
    for step in path[:-1]:
        node = node[step]
    last = path[-1]
    value = node[last]
    if isinstance(value, dict):  # a typed value (Text, Code, Identifier, Measure)
        node, last = value, "value"
        value = node[last]
    node[last] = value + "1" if kind is Kind.DECIMAL and "." in value else value + "7"


@given(certificates, st.data())
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
def test_changing_any_single_leaf_breaks_the_proof_in_both_forms(
    cert: Certificate, data: Any
) -> None:
    signed, keys = _sign(dataclasses.replace(cert, proofs=()))
    as_data = certificate_to_data(signed)
    for render_bytes in (data_to_json_bytes, data_to_xml_bytes):
        assert verify_certificate(render_bytes(as_data), public_keys=keys)
    leaves = _leaves(as_data, RECORDS[Certificate])
    path, kind = data.draw(st.sampled_from(leaves))
    tampered = json.loads(json.dumps(as_data))
    _tamper(tampered, path, kind)
    for render_bytes in (data_to_json_bytes, data_to_xml_bytes):
        with pytest.raises(ProofError) as info:
            verify_certificate(render_bytes(tampered), public_keys=keys)
        assert info.value.code == "proof.integrity"


@given(certificates)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_fast_canonical_json_is_rfc8785_for_certificate_data(cert: Certificate) -> None:
    """The orjson path used to sign and verify certificates equals RFC 8785 byte for byte,
    on the certificate data and on each proof (generated text includes non-BMP characters,
    U+2028, CR, tab and quotes)."""
    import rfc8785

    from inspectx.formats._bind import unbind
    from inspectx.proofs.certificate import certificate_jcs, unsigned_data

    document = unsigned_data(cert)
    assert certificate_jcs(document) == rfc8785.dumps(document)
    for proof in cert.proofs:
        assert certificate_jcs(unbind(proof)) == rfc8785.dumps(unbind(proof))
