"""Trust lists: load-time checks, admissibility per fixture case, HTTP distribution, CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from inspectx.formats.trustlist import TRUST_LIST
from inspectx.proofs.dataintegrity import create_proof
from inspectx.proofs.keys import load_private_key
from inspectx.proofs.multibase import did_key_verification_method
from inspectx.trust import (
    TrustError,
    TrustSnapshot,
    load_snapshot,
    load_trust_list,
    read_trust_list_data,
    render_trust_list,
    sign_trust_list,
    update_trust_list,
    verify_admissible,
)
from inspectx.trust.lists import build_trust_list, check_trust_list_schema, key_entry
from tests.conftest import FIXTURES, ROOT, run_cli

TRUST = FIXTURES / "trust"
EXPECTED = json.loads((TRUST / "EXPECTED.json").read_text("utf-8"))
AT = datetime.fromisoformat(EXPECTED["at"])
OPERATOR_PUB = TRUST / EXPECTED["operatorKey"]
OPERATOR = load_private_key((TRUST / "keys" / "operator.key").read_bytes(), passphrase=None)
OPERATOR_KEYS = {
    did_key_verification_method(OPERATOR.public_key()): OPERATOR.public_key()  # type: ignore[arg-type]
}
DEMO = TRUST / EXPECTED["trustList"]
CASES = sorted(EXPECTED["cases"])


def _unsigned() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO.read_bytes())
    data.pop("proof")
    return data


def _signed_bytes(document: dict[str, Any], *, check: bool = False) -> bytes:
    """Sign as the operator; ``check=False`` signs even a list the loader must refuse."""
    if check:
        return json.dumps(
            sign_trust_list(document, private_key=OPERATOR, created=AT)  # type: ignore[arg-type]
        ).encode()
    method = did_key_verification_method(OPERATOR.public_key())  # type: ignore[arg-type]
    proof = create_proof(document, private_key=OPERATOR, verification_method=method, created=AT)  # type: ignore[arg-type]
    return json.dumps({**document, "proof": [proof]}).encode()


def _code(data: bytes) -> str:
    with pytest.raises(TrustError) as info:
        load_trust_list(data, operator_keys=OPERATOR_KEYS)
    return info.value.code


# --------------------------------------------------------------------------- admissibility


@pytest.fixture(scope="module")
def snapshot() -> TrustSnapshot:
    trust_list = load_trust_list(DEMO.read_bytes(), operator_keys=OPERATOR_KEYS)
    return TrustSnapshot(trust_list=trust_list, source=str(DEMO), fetched_at=None, origin="file")


@pytest.mark.parametrize("case", CASES)
def test_fixture_case_verdict_and_codes(case: str, snapshot: TrustSnapshot) -> None:
    expected = EXPECTED["cases"][case]
    report = verify_admissible((TRUST / case).read_bytes(), trust=snapshot, at=AT)
    assert report.verdict.value == expected["verdict"]
    assert [c.code for c in report.failing()] == expected["codes"]
    assert sorted({c.step for c in report.checks}) == list(range(1, 9))  # each step reported
    assert report.trust_list_id == "urn:inspectx:trust-list:demo" and report.trust_sequence == 3


@pytest.mark.parametrize("case", CASES)
def test_fixture_case_through_the_cli(case: str) -> None:
    expected = EXPECTED["cases"][case]
    result = run_cli(
        "verify",
        str(TRUST / case),
        "--trust",
        str(DEMO),
        "--operator-key",
        str(OPERATOR_PUB),
        "--at",
        EXPECTED["at"],
        "--format",
        "json",
    )
    exit_code = {"VALID": 0, "INVALID": 1, "INDETERMINATE": 3}[expected["verdict"]]
    assert result.returncode == exit_code, result.stderr
    report = json.loads(result.stdout)
    (document,) = report["documents"]
    assert document["verdict"] == expected["verdict"]
    assert report["trust"] == {
        "id": "urn:inspectx:trust-list:demo",
        "sequenceNumber": 3,
        "source": str(DEMO),
        "origin": "file",
    }


def test_valid_model_is_the_signed_one(snapshot: TrustSnapshot) -> None:
    from inspectx.validation import read_certificate

    data = (TRUST / "signed" / "valid.json").read_bytes()
    report = verify_admissible(data, trust=snapshot, at=AT)
    assert report.certificate == read_certificate(data).certificate
    assert report.signers and "Nordwerk" in report.signers[0]


def test_withdrawn_after_signing_is_valid_while_still_accredited(snapshot: TrustSnapshot) -> None:
    """Before the withdrawal took effect the same certificate is VALID: only the
    unprovable signing time turns the later check INDETERMINATE."""
    data = (TRUST / "signed" / "withdrawn-after-signing.json").read_bytes()
    report = verify_admissible(data, trust=snapshot, at=datetime(2026, 9, 1, tzinfo=UTC))
    assert report.verdict.value == "VALID"


def test_tampered_certificate_fails_integrity(snapshot: TrustSnapshot) -> None:
    data = (TRUST / "signed" / "valid.json").read_bytes().replace(b"Nordwerk", b"Nordwerx", 1)
    report = verify_admissible(data, trust=snapshot, at=AT)
    assert report.verdict.value == "INVALID"
    assert [c.code for c in report.failing()] == ["proof.integrity"]


def test_unreadable_document_fails_at_step_one(snapshot: TrustSnapshot) -> None:
    report = verify_admissible(b'{"a": 1, "a": 2}', trust=snapshot, at=AT)
    assert report.verdict.value == "INVALID"
    assert report.checks[0].code == "format.json.duplicate-key"
    assert {c.status.value for c in report.checks[1:7]} == {"skipped"}


def test_stale_list_is_indeterminate(snapshot: TrustSnapshot) -> None:
    data = (TRUST / "signed" / "valid.json").read_bytes()
    late = verify_admissible(data, trust=snapshot, at=datetime(2031, 2, 1, tzinfo=UTC))
    assert [c.code for c in late.failing()] == ["trust.stale"]
    assert late.verdict.value == "INDETERMINATE"


def test_document_expiry_is_judged_at_the_verification_time(snapshot: TrustSnapshot) -> None:
    import dataclasses

    from inspectx.proofs.certificate import sign_certificate
    from inspectx.validation import read_certificate, render

    lab = load_private_key((TRUST / "keys" / "nordwerk.key").read_bytes(), passphrase=None)
    cert = read_certificate((FIXTURES / "certificates" / "toys-en71-3.json").read_bytes())
    until = datetime(2026, 10, 1, tzinfo=UTC)
    signed = sign_certificate(
        dataclasses.replace(cert.certificate, valid_until=until),
        private_key=lab,  # type: ignore[arg-type]
        verification_method=did_key_verification_method(lab.public_key()),  # type: ignore[arg-type]
        created=datetime(2026, 3, 18, 15, tzinfo=UTC),
    )
    data = render(signed, "json")
    assert verify_admissible(data, trust=snapshot, at=until).verdict.value == "VALID"
    report = verify_admissible(data, trust=snapshot, at=until + timedelta(days=1))
    assert [c.code for c in report.failing()] == ["document.expired"]


# --------------------------------------------------------------------------- load-time checks


def test_duplicate_key_across_entities_is_refused_at_load() -> None:
    assert _code((TRUST / "duplicate-key.trustlist.json").read_bytes()) == "trust.duplicate-key"
    result = run_cli(
        "verify",
        str(TRUST / "signed" / "valid.json"),
        "--trust",
        str(TRUST / "duplicate-key.trustlist.json"),
        "--operator-key",
        str(OPERATOR_PUB),
    )
    assert result.returncode == 4 and b"trust.duplicate-key" in result.stderr


def test_duplicate_key_id_is_refused() -> None:
    document = _unsigned()
    services = document["entities"][0]["services"]
    services[1]["keys"][0]["id"] = services[0]["keys"][0]["id"]
    assert _code(_signed_bytes(document)) == "trust.duplicate-key-id"


def _certificate(key: Any, digest: Any = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Weak Lab")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(AT - timedelta(days=1))
        .not_valid_after(AT + timedelta(days=1))
        .sign(key, digest or hashes.SHA256())
    )


def test_weak_keys_are_refused_at_load() -> None:
    rsa_1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    document = _unsigned()
    document["entities"][0]["services"][0]["keys"].append(
        key_entry(None, None, _certificate(rsa_1024))
    )
    assert _code(_signed_bytes(document)) == "trust.weak-key"


def test_p192_key_is_refused_at_load() -> None:
    p192 = ec.generate_private_key(ec.SECP192R1())
    document = _unsigned()
    document["entities"][0]["services"][0]["keys"].append(key_entry(None, None, _certificate(p192)))
    assert _code(_signed_bytes(document)) == "trust.weak-key"


def test_sha1_signed_certificate_is_refused_at_load() -> None:
    from inspectx.proofs.keys import generate_key, self_signed_certificate
    from tests.test_keys import _SHA1_RSA_OID, _forge_legacy_signature

    key = generate_key("rsa3072")
    good = self_signed_certificate(key, subject="CN=Old Lab", now=AT)
    forged = _forge_legacy_signature(good, key, _SHA1_RSA_OID, hashes.SHA1())  # type: ignore[arg-type]
    document = _unsigned()
    document["entities"][0]["services"][0]["keys"].append(key_entry(None, None, forged))
    assert _code(_signed_bytes(document)) == "trust.weak-key"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        pytest.param(
            lambda d: d["entities"][0]["services"][0]["scope"].update(hsPrefixes=["95A3"]),
            "trust.schema",
            id="malformed-hs-prefix",
        ),
        pytest.param(
            lambda d: d["entities"][0]["services"][0]["scope"].update(methods=[""]),
            "trust.schema",
            id="empty-method",
        ),
        pytest.param(
            lambda d: d["entities"][0]["services"][1]["statusHistory"].reverse(),
            "trust.status-history",
            id="history-out-of-order",
        ),
        pytest.param(
            lambda d: d["entities"][0]["services"][0]["keys"][0].update(
                publicKeyMultibase="z" + "1" * 40
            ),
            "trust.malformed",
            id="key-not-decodable",
        ),
    ],
)
def test_malformed_lists_are_refused_at_load(change: Any, code: str) -> None:
    document = _unsigned()
    change(document)
    assert _code(_signed_bytes(document)) == code


def test_tampered_or_foreign_signed_list_is_refused() -> None:
    tampered = DEMO.read_bytes().replace(b'"sequenceNumber": 3', b'"sequenceNumber": 4')
    assert _code(tampered) == "trust.proof"
    other = ed25519.Ed25519PrivateKey.generate()
    method = did_key_verification_method(other.public_key())
    document = _unsigned()
    proof = create_proof(document, private_key=other, verification_method=method, created=AT)
    assert _code(json.dumps({**document, "proof": [proof]}).encode()) == "trust.proof"
    assert _code(json.dumps(document).encode()) == "trust.proof"


def test_sign_refuses_a_list_verifiers_would_refuse() -> None:
    document = _unsigned()
    document["entities"][0]["services"][0]["scope"]["hsPrefixes"] = ["9"]
    with pytest.raises(TrustError) as info:
        _signed_bytes(document, check=True)
    assert info.value.code == "trust.schema"


# --------------------------------------------------------------------------- distribution


class _Server:
    """A trust-list host on 127.0.0.1: serves ``body`` with ``etag``; counts requests."""

    def __init__(self) -> None:
        self.body = b""
        self.etag = '"v1"'
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(dict(self.headers))
                if self.headers.get("If-None-Match") == server.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", server.etag)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/labs.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    host = _Server()
    host.body = DEMO.read_bytes()
    yield host
    host.stop()


def _update(server: _Server, cache: Path) -> TrustSnapshot:
    return update_trust_list(
        server.url, operator_keys=OPERATOR_KEYS, cache_dir=cache, timeout=(2.0, 5.0)
    )


def _cached(cache: Path) -> bytes:
    (folder,) = cache.iterdir()
    return (folder / "trustlist").read_bytes()


def test_first_fetch_then_304_reuse(server: _Server, tmp_path: Path) -> None:
    first = _update(server, tmp_path)
    assert first.origin == "fetched" and first.trust_list.sequence_number == 3
    second = _update(server, tmp_path)
    assert second.origin == "not-modified"
    assert server.requests[1].get("If-None-Match") == '"v1"'
    assert second.fetched_at is not None and first.fetched_at is not None
    assert second.fetched_at >= first.fetched_at


def test_tampered_list_refused_and_cache_unchanged(server: _Server, tmp_path: Path) -> None:
    _update(server, tmp_path)
    before = _cached(tmp_path)
    server.body = server.body.replace(b'"Nordwerk Pr', b'"Nordwerx Pr', 1)
    server.etag = '"v2"'
    with pytest.raises(TrustError) as info:
        _update(server, tmp_path)
    assert info.value.code == "trust.proof"
    assert _cached(tmp_path) == before


def test_rollback_refused(server: _Server, tmp_path: Path) -> None:
    newer = _unsigned() | {"sequenceNumber": 4}
    server.body = _signed_bytes(newer, check=True)
    assert _update(server, tmp_path).trust_list.sequence_number == 4
    server.body, server.etag = DEMO.read_bytes(), '"v0"'  # sequence 3 again
    with pytest.raises(TrustError) as info:
        _update(server, tmp_path)
    assert info.value.code == "trust.rollback"
    assert (
        load_snapshot(
            server.url, operator_keys=OPERATOR_KEYS, cache_dir=tmp_path
        ).trust_list.sequence_number
        == 4
    )


def test_oversized_list_refused(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(TrustError) as info:
        update_trust_list(
            server.url, operator_keys=OPERATOR_KEYS, cache_dir=tmp_path, max_bytes=1000
        )
    assert info.value.code == "trust.fetch-failed"
    assert not any(tmp_path.iterdir())


def test_server_down_uses_the_snapshot_and_says_so(server: _Server, tmp_path: Path) -> None:
    _update(server, tmp_path)
    server.stop()
    valid = str(TRUST / "signed" / "valid.json")
    result = run_cli(
        "verify",
        valid,
        "--trust",
        server.url,
        "--operator-key",
        str(OPERATOR_PUB),
        "--update",
        "--cache-dir",
        str(tmp_path),
        "--at",
        EXPECTED["at"],
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    trust = json.loads(result.stdout)["trust"]
    assert trust["origin"] == "offline" and "the update failed" in trust["note"]


def test_stale_snapshot_is_indeterminate(server: _Server, tmp_path: Path) -> None:
    _update(server, tmp_path)
    valid = str(TRUST / "signed" / "valid.json")
    later = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    result = run_cli(
        "verify",
        valid,
        "--trust",
        server.url,
        "--operator-key",
        str(OPERATOR_PUB),
        "--cache-dir",
        str(tmp_path),
        "--at",
        later,
        "--max-trust-age",
        "7d",
    )
    assert result.returncode == 3, result.stdout
    assert b"trust.stale" in result.stdout


def test_no_snapshot_is_an_operational_error(tmp_path: Path) -> None:
    valid = str(TRUST / "signed" / "valid.json")
    result = run_cli(
        "verify",
        valid,
        "--trust",
        "http://127.0.0.1:9/labs.json",
        "--operator-key",
        str(OPERATOR_PUB),
        "--cache-dir",
        str(tmp_path),
    )
    assert result.returncode == 4 and b"trust.no-snapshot" in result.stderr


def test_offline_update_never_touches_the_network(server: _Server, tmp_path: Path) -> None:
    _update(server, tmp_path)
    count = len(server.requests)
    result = run_cli(
        "trust",
        "update",
        server.url,
        "--operator-key",
        str(OPERATOR_PUB),
        "--offline",
        "--cache-dir",
        str(tmp_path),
    )
    assert result.returncode == 0 and b"--offline" in result.stdout
    assert len(server.requests) == count


def test_cli_update_then_verify_offline(server: _Server, tmp_path: Path) -> None:
    fetched = run_cli(
        "trust",
        "update",
        server.url,
        "--operator-key",
        str(OPERATOR_PUB),
        "--cache-dir",
        str(tmp_path),
    )
    assert fetched.returncode == 0 and fetched.stdout.startswith(b"fetched:")
    count = len(server.requests)
    result = run_cli(
        "verify",
        str(TRUST / "signed" / "valid.json"),
        "--trust",
        server.url,
        "--operator-key",
        str(OPERATOR_PUB),
        "--cache-dir",
        str(tmp_path),
        "--at",
        EXPECTED["at"],
    )
    assert result.returncode == 0, result.stdout
    assert len(server.requests) == count  # verification is pure


# --------------------------------------------------------------------------- authoring


def test_build_sign_verify_show_round_trip(tmp_path: Path) -> None:
    unsigned, signed = tmp_path / "list.unsigned.json", tmp_path / "list.json"
    built = run_cli("trust", "build", str(TRUST / "source.json"), "-o", str(unsigned))
    assert built.returncode == 0, built.stderr
    assert json.loads(unsigned.read_bytes()) == build_trust_list(
        json.loads((TRUST / "source.json").read_bytes()), base_dir=TRUST
    )
    made = run_cli(
        "trust",
        "sign",
        str(unsigned),
        "--key",
        str(TRUST / "keys" / "operator.key"),
        "-o",
        str(signed),
    )
    assert made.returncode == 0, made.stderr
    checked = run_cli("trust", "verify", str(signed), "--operator-key", str(OPERATOR_PUB))
    assert checked.returncode == 0 and b"2 entities, 7 keys" in checked.stdout
    shown = run_cli(
        "trust", "show", str(signed), "--operator-key", str(OPERATOR_PUB), "--format", "json"
    )
    rows = json.loads(shown.stdout)["services"]
    assert {r["status"] for r in rows} == {"accredited", "withdrawn"}
    other = run_cli(
        "trust", "verify", str(signed), "--operator-key", str(TRUST / "keys" / "nordwerk.pub.pem")
    )
    assert other.returncode == 4 and b"trust.proof" in other.stderr


def test_demo_list_is_the_build_of_its_source() -> None:
    """The signed fixtures are what build.py makes from the committed keys and source."""
    source = json.loads((TRUST / "source.json").read_bytes())
    assert build_trust_list(source, base_dir=TRUST) == _unsigned()


def test_expected_lists_every_signed_fixture() -> None:
    on_disk = {str(p.relative_to(TRUST)) for p in (TRUST / "signed").glob("*")}
    assert on_disk == set(CASES)


# --------------------------------------------------------------------------- XML signatures


def _x509_trust(lab_cert: x509.Certificate) -> TrustSnapshot:
    """The demo list with ``lab_cert`` listed under Nordwerk's first service."""
    document = _unsigned()
    document["entities"][0]["services"][0]["keys"].append(key_entry(None, None, lab_cert))
    trust_list = load_trust_list(_signed_bytes(document, check=True), operator_keys=OPERATOR_KEYS)
    return TrustSnapshot(trust_list=trust_list, source="test", fetched_at=None, origin="file")


@pytest.mark.parametrize("xades", [False, True], ids=["xmldsig", "xades"])
def test_xml_signature_by_a_listed_certificate(xades: bool) -> None:
    from inspectx.proofs.keys import generate_key, self_signed_certificate
    from inspectx.proofs.xmldsig import sign_xml

    key = generate_key("p256")
    lab_cert = self_signed_certificate(key, subject="CN=Nordwerk", now=AT - timedelta(days=300))
    snapshot = _x509_trust(lab_cert)
    xml = (FIXTURES / "certificates" / "toys-en71-3.xml").read_bytes()
    signed = sign_xml(xml, private_key=key, certificate=lab_cert, xades=xades,
                      signing_time=datetime(2026, 3, 18, 15, tzinfo=UTC))  # fmt: skip
    report = verify_admissible(signed, trust=snapshot, at=AT)
    assert report.verdict.value == "VALID", report.failing()
    assert report.signers and "Nordwerk" in report.signers[0]
    tampered = signed.replace(b"Nordwerk", b"Nordwerx", 1)
    assert [c.code for c in verify_admissible(tampered, trust=snapshot, at=AT).failing()] == [
        "xmldsig.integrity"
    ]


def test_xml_signature_carrying_its_own_certificate_is_never_trusted(
    snapshot: TrustSnapshot,
) -> None:
    from inspectx.proofs.keys import generate_key, self_signed_certificate
    from inspectx.proofs.xmldsig import sign_xml

    key = generate_key("p256")
    own = self_signed_certificate(key, subject="CN=Nordwerk Pruef Lab", now=AT)
    xml = (FIXTURES / "certificates" / "toys-en71-3.xml").read_bytes()
    signed = sign_xml(xml, private_key=key, certificate=own)
    report = verify_admissible(signed, trust=snapshot, at=AT)
    assert report.verdict.value == "INDETERMINATE"
    assert [c.code for c in report.failing()] == ["trust.signer-not-listed"]


# --------------------------------------------------------------------------- XML rendering


@pytest.fixture(scope="module")
def trust_xsd() -> etree.XMLSchema:
    # our own bundled schema, parsed from disk so that its xml.xsd import resolves
    path = ROOT / "schemas" / TRUST_LIST.xsd_file
    return etree.XMLSchema(etree.parse(str(path), etree.XMLParser(no_network=True)))


def test_demo_list_in_xml_meets_its_xsd_and_loads_as_the_json(trust_xsd: etree.XMLSchema) -> None:
    data = json.loads(DEMO.read_bytes())
    xml = render_trust_list(data, "xml")
    assert trust_xsd.validate(etree.fromstring(xml)), trust_xsd.error_log
    assert read_trust_list_data(xml) == data
    from_xml = load_trust_list(xml, operator_keys=OPERATOR_KEYS)  # the proof verifies on XML
    from_json = load_trust_list(DEMO.read_bytes(), operator_keys=OPERATOR_KEYS)
    assert replace(from_xml, sha256="") == replace(from_json, sha256="")
    assert from_xml.entities == from_json.entities
    assert _code(xml.replace(b"Nordwerk", b"Nordwerx", 1)) == "trust.proof"


def _xml_leaves(root: etree._Element) -> list[etree._Element]:
    proof = f"{{{TRUST_LIST.namespace}}}proof"
    return [
        el
        for el in root.iter()
        if len(el) == 0 and el.text and proof not in {a.tag for a in el.iterancestors()}
    ]


@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_changed_leaf_of_the_xml_list_is_refused(data: st.DataObject) -> None:
    root = etree.fromstring(render_trust_list(json.loads(DEMO.read_bytes()), "xml"))
    leaf = data.draw(st.sampled_from(_xml_leaves(root)))
    text = leaf.text or ""
    position = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.sampled_from("0123456789AZaz"))
    assume(text[position] != replacement)
    leaf.text = text[:position] + replacement + text[position + 1 :]
    with pytest.raises(TrustError) as info:
        load_trust_list(etree.tostring(root), operator_keys=OPERATOR_KEYS)
    # a change the schema allows breaks the operator's proof; any other breaks the schema
    assert info.value.code in {"trust.proof", "trust.schema"}


_TRUST_MUTATIONS: list[tuple[str, Any]] = [
    ("missing-sequence", lambda d: d.pop("sequenceNumber")),
    ("sequence-zero", lambda d: d.update(sequenceNumber=0)),
    ("sequence-text", lambda d: d.update(sequenceNumber="3")),
    ("unknown-member", lambda d: d.update(extra="x")),
    ("wrong-type", lambda d: d.update(operator="registry")),
    ("no-entities", lambda d: d.update(entities=[])),
    ("bad-role", lambda d: d["entities"][0].update(roles=["lab"])),
    ("bad-country", lambda d: d["entities"][0].update(country="Germany")),
    ("bad-time", lambda d: d.update(issuedAt="2026-11-01")),
    ("bad-service", lambda d: d["entities"][0]["services"][0].update(type="testing")),
    ("no-key", lambda d: d["entities"][0]["services"][0].update(keys=[])),
    (
        "key-both-forms",
        lambda d: d["entities"][0]["services"][0]["keys"][0].update(certificate=_PEM),
    ),
    (
        "key-neither-form",
        lambda d: d["entities"][0]["services"][0]["keys"][0].pop("publicKeyMultibase"),
    ),
    ("bad-hs-prefix", lambda d: d["entities"][0]["services"][0]["scope"].update(hsPrefixes=["9"])),
    (
        "bad-status",
        lambda d: d["entities"][0]["services"][1]["statusHistory"][0].update(status="ok"),
    ),
    ("empty-note", lambda d: d["entities"][0]["services"][1]["statusHistory"][1].update(note="")),
    ("proof-member", lambda d: d["proof"][0].update(extra="x")),
    ("empty-scope", lambda d: d["entities"][0]["services"][0].update(scope={})),
    ("no-identifiers", lambda d: d["entities"][0].pop("identifiers")),
]
_PEM = "-----BEGIN CERTIFICATE-----\n" + "A" * 64 + "\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(("name", "mutate"), _TRUST_MUTATIONS, ids=[m[0] for m in _TRUST_MUTATIONS])
def test_trust_list_json_schema_and_xsd_agree(
    name: str, mutate: Any, trust_xsd: etree.XMLSchema
) -> None:
    import jsonschema

    document = json.loads(DEMO.read_bytes())
    mutate(document)
    schema = json.loads((ROOT / "schemas" / TRUST_LIST.json_schema_file).read_bytes())
    json_ok = jsonschema.Draft202012Validator(schema).is_valid(document)
    try:
        check_trust_list_schema(document)
        rs_ok = True
    except TrustError:
        rs_ok = False
    assert rs_ok == json_ok
    xml_ok = trust_xsd.validate(etree.fromstring(render_trust_list(document, "xml")))
    assert xml_ok == json_ok
    assert json_ok == (name in {"empty-scope", "no-identifiers"})


def test_cli_convert_sign_and_verify_against_an_xml_list(tmp_path: Path) -> None:
    as_xml = tmp_path / "labs.xml"
    converted = run_cli("trust", "convert", str(DEMO), "--to", "xml", "-o", str(as_xml))
    assert converted.returncode == 0, converted.stderr
    assert as_xml.read_bytes().startswith(b"<?xml")
    checked = run_cli("trust", "verify", str(as_xml), "--operator-key", str(OPERATOR_PUB))
    assert checked.returncode == 0 and b"2 entities, 7 keys" in checked.stdout
    verified = run_cli(
        "verify", str(TRUST / "signed" / "valid.json"), "--trust", str(as_xml),
        "--operator-key", str(OPERATOR_PUB), "--at", EXPECTED["at"],
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    resigned = tmp_path / "labs.resigned.xml"
    signed = run_cli(
        "trust", "sign", str(as_xml), "--key", str(TRUST / "keys" / "operator.key"),
        "--to", "xml", "-o", str(resigned),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    back = run_cli("trust", "convert", str(resigned), "--to", "json", "-o", "-")
    assert load_trust_list(back.stdout, operator_keys=OPERATOR_KEYS).sequence_number == 3
    broken = tmp_path / "broken.xml"
    broken.write_bytes(as_xml.read_bytes().replace(b"<country>DE</country>", b"", 1))
    refused = run_cli("trust", "convert", str(broken), "--to", "json", "-o", str(tmp_path / "x"))
    assert refused.returncode == 4 and b"trust.schema" in refused.stderr
    assert not (tmp_path / "x").exists()


def test_xml_list_served_over_http(server: _Server, tmp_path: Path) -> None:
    server.body = render_trust_list(json.loads(DEMO.read_bytes()), "xml")
    snapshot = _update(server, tmp_path)
    assert snapshot.trust_list.sequence_number == 3 and _cached(tmp_path) == server.body
