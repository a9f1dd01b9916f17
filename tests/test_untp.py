"""UNTP Digital Conformity Credential v0.6.1: export, import, the inspectx extension.

Every fixture certificate goes to UNTP and back exactly; without the extension the
export lists what it loses; an edited credential wins over its stale extension; a
credential from another issuer maps what the model can hold and comes back JSON-equal.
Tests marked ``interop`` read the public UNTP files in ../shared/reference.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings

from inspectx.formats import certificate_from_data, dump_json, load_json
from inspectx.formats.certificate import certificate_to_data
from inspectx.formats.conversion import Exported, LossKind
from inspectx.formats.untp import (
    DCC_CONTEXT,
    EXTENSION_CONTEXT,
    EXTENSION_TERM,
    NATIVE_LINK_TYPE,
    UNMAPPED_NAME,
    UNMAPPED_NS,
    VC_CONTEXT,
    UntpError,
    export_untp,
    extension_context,
    import_untp,
    is_untp_dcc,
)
from inspectx.model import (
    AccreditationStandard,
    AssessmentLevel,
    AssessorLevel,
    AttestationType,
    Certificate,
    Comparator,
    DocumentType,
    Outcome,
    Qualifier,
)
from inspectx.proofs.certificate import verify_certificate
from inspectx.proofs.keys import load_public_key
from inspectx.validation import render, validate_bytes
from tests.conftest import FIXTURES, ROOT, Listener, minimal_certificate_data
from tests.strategies import certificates

CERTS = sorted((FIXTURES / "certificates").glob("*.json"))
HERE = FIXTURES / "untp"


def _cert(path: Path) -> Certificate:
    return certificate_from_data(load_json(path.read_bytes()))


def _data(cert: Certificate) -> dict[str, Any]:
    return certificate_to_data(cert)


def _json(data: bytes) -> Any:
    return json.loads(data)


def _bytes(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def _resolve(data: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        data = data[int(token)] if isinstance(data, list) else data[token]
    return data


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("untp_build", HERE / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOYS = _cert(FIXTURES / "certificates" / "toys-en71-3.json")


# --------------------------------------------------------------------------- export -> import


@pytest.mark.parametrize("path", CERTS, ids=lambda p: p.stem)
def test_every_fixture_comes_back_exactly_through_untp(path: Path) -> None:
    cert = _cert(path)
    exported = export_untp(cert)
    assert exported.losses == ()
    imported = import_untp(exported.data)
    assert imported.losses == ()
    assert imported.certificate == cert
    assert dump_json(imported.certificate) == dump_json(cert)  # decimals and offsets as written


@pytest.mark.parametrize("path", CERTS, ids=lambda p: p.stem)
def test_the_extension_is_the_native_certificate_the_link_names(path: Path) -> None:
    cert = _cert(path)
    doc = _json(export_untp(cert).data)
    assert doc["@context"] == [VC_CONTEXT, DCC_CONTEXT, EXTENSION_CONTEXT]
    assert doc["credentialSubject"][EXTENSION_TERM] == _json(dump_json(cert))
    link = doc["credentialSubject"]["conformityCertificate"]
    assert link == {
        "linkURL": cert.id,
        "linkName": cert.number.value,
        "linkType": NATIVE_LINK_TYPE,
        "hashDigest": hashlib.sha256(dump_json(cert)).hexdigest(),
        "hashMethod": "SHA-256",
    }


def test_the_caller_names_the_digest_of_the_bytes_it_converted() -> None:
    digest = hashlib.sha256(b"the inspectx JSON bytes as received").hexdigest()
    exported = export_untp(TOYS, certificate_sha256=digest)
    assert (
        _json(exported.data)["credentialSubject"]["conformityCertificate"]["hashDigest"] == digest
    )
    # the extension is trusted only when it is the certificate the link names by digest
    imported = import_untp(exported.data)
    assert imported.losses[0].field == f"/credentialSubject/{EXTENSION_TERM}"
    assert "digest" in imported.losses[0].reason
    for bad in ("ABC", digest.upper(), digest[:-1], 42):
        with pytest.raises(UntpError) as err:
            export_untp(TOYS, certificate_sha256=bad)  # type: ignore[arg-type]
        assert err.value.code == "untp.invalid-digest"


def test_regression_forged_extension_fields_the_credential_does_not_show() -> None:
    """Status, signatories and LOD are not visible in UNTP: an extension edited there
    must not be believed, because it is no longer what the link's digest names."""
    doc = _json(export_untp(TOYS).data)
    forged = doc["credentialSubject"][EXTENSION_TERM]
    forged["status"] = "revoked"
    imported = import_untp(json.dumps(doc).encode())
    assert imported.certificate.status.value != "revoked"
    assert imported.losses[0].field == f"/credentialSubject/{EXTENSION_TERM}"


def test_the_output_is_deterministic_and_formatted() -> None:
    first = export_untp(TOYS).data
    assert first == export_untp(TOYS).data
    assert first.endswith(b"}\n")
    assert first.startswith(b'{\n  "type": [\n    "DigitalConformityCredential",')
    assert first == json.dumps(_json(first), indent=2, ensure_ascii=False).encode() + b"\n"


def test_the_visible_credential_states_what_the_certificate_says() -> None:
    subject = _json(export_untp(TOYS).data)["credentialSubject"]
    assert subject["attestationType"] == "testing"
    assert subject["assessorLevel"] == "3rdParty"
    assert subject["assessmentLevel"] == "Accredited"
    assert subject["name"] == TOYS.title[0].value
    assert subject["issuedToParty"]["name"] == "Kleine Eiche Spielwaren GmbH"
    assert subject["authorisation"][0]["name"] == "ISO/IEC 17025 accreditation D-PL-19876-01-00"
    assert len(subject["assessment"]) == len(TOYS.tests)
    chromium = next(a for a in subject["assessment"] if a["id"].endswith("#test=S1-CrVI"))
    assert chromium["conformance"] is False
    assert chromium["declaredValue"] == [
        {"metricName": "Chromium (VI)", "metricValue": {"value": 0.118, "unit": "NA"}}
    ]
    assert chromium["assessmentCriteria"][0]["thresholdValue"] == {
        "metricName": "Chromium (VI) (≤)",
        "metricValue": {"value": 0.053, "unit": "NA"},
    }
    nickel = next(a for a in subject["assessment"] if a["id"].endswith("#test=S2-Ni"))
    assert nickel["declaredValue"][0]["metricName"] == "Nickel (<)"  # the qualifier
    product = chromium["assessedProduct"][0]["product"]
    assert product["registeredId"] == "4260123450076"
    assert product["idScheme"]["name"] == "GTIN"
    issuer = _json(export_untp(TOYS).data)["issuer"]
    assert issuer["id"] == "did:web:nordwerk-pruef.example"  # UNTP wants a DID
    assert issuer["issuerAlsoKnownAs"][0] == {
        "id": "https://nordwerk-pruef.example/",
        "name": "Nordwerk Prüflabor GmbH",
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(certificates)
def test_any_certificate_comes_back_exactly(cert: Certificate) -> None:
    exported = export_untp(cert)
    assert exported.losses == ()
    imported = import_untp(exported.data)
    assert imported.losses == ()
    assert imported.certificate == cert
    assert _data(imported.certificate) == _data(cert)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(certificates)
def test_a_plain_credential_reads_back_as_the_same_credential(cert: Certificate) -> None:
    plain = export_untp(cert, extension=False)
    if [x.field for x in plain.losses] == [""]:  # no product assessed: a certificate needs one
        with pytest.raises(UntpError, match=r"^untp\.incomplete"):
            import_untp(plain.data)
        return
    imported = import_untp(plain.data)
    again = _json(export_untp(imported.certificate).data)
    doc = _json(plain.data)
    # the credential round-trips; only the digest of the native certificate differs
    for d in (doc, again):
        link = d["credentialSubject"]["conformityCertificate"]
        if link.get("linkType") == NATIVE_LINK_TYPE:
            link["hashDigest"] = "-"
    assert again == doc


# --------------------------------------------------------------------------- losses


@pytest.mark.parametrize("path", CERTS, ids=lambda p: p.stem)
def test_without_the_extension_every_loss_is_a_field_of_the_certificate(path: Path) -> None:
    cert = _cert(path)
    exported = export_untp(cert, extension=False)
    doc = _json(exported.data)
    assert EXTENSION_CONTEXT not in doc["@context"]
    assert EXTENSION_TERM not in doc["credentialSubject"]
    assert exported.losses
    data = _data(cert)
    fields = [x.field for x in exported.losses]
    assert len(fields) == len(set(fields))
    for loss in exported.losses:
        _resolve(data, loss.field)  # a pointer into the certificate
        assert loss.reason
    # what the losses do not name comes back from the visible credential
    assert _json(dump_json(import_untp(exported.data).certificate))["id"] == cert.id


def test_the_losses_of_the_toy_report_name_the_right_fields() -> None:
    losses = {x.field: x for x in export_untp(TOYS, extension=False).losses}
    ids = [t.id for t in TOYS.tests]
    tin = ids.index("S2-OSn")  # "0.50" mg/kg: a JSON number cannot keep the trailing zero
    strontium = ids.index("S2-Sr")  # U = 1.3 mg/kg (k = 2)
    chromium = ids.index("S1-CrVI")  # a remark
    assert (tin, strontium, chromium) == (36, 34, 7)
    expected = {
        "/tests/36/results/0/value": LossKind.FLATTENED,
        "/tests/34/results/0/uncertainty": LossKind.DROPPED,
        "/tests/34/results/0/loq": LossKind.DROPPED,
        "/tests/7/remarks": LossKind.DROPPED,
        "/tests/0/sampleRefs": LossKind.DROPPED,
        "/tests/0/criteria/0/source": LossKind.DROPPED,
        "/samples": LossKind.DROPPED,
        "/signatories": LossKind.DROPPED,
        "/references": LossKind.DROPPED,
        "/title/1": LossKind.DROPPED,
        "/title/0/lang": LossKind.DROPPED,
        "/statements/1": LossKind.DROPPED,
        "/conclusion/statement": LossKind.DROPPED,
        "/applicant/address": LossKind.DROPPED,
        "/products/0/manufacturer": LossKind.DROPPED,
        "/accreditations/0/scope": LossKind.DROPPED,
        "/language": LossKind.DROPPED,
    }
    for field, kind in expected.items():
        assert losses[field].kind is kind, field
    assert "trailing zeros" in losses["/tests/36/results/0/value"].reason
    assert "uncertainty" in losses["/tests/34/results/0/uncertainty"].reason
    # visible and exact: not a loss
    for field in (
        "/id",
        "/issuer/name",
        "/issuer/id",
        "/tests/0/outcome",
        "/tests/0/parameter/name",
        "/tests/0/method/standard",
        "/tests/7/results/0/value",  # 0.118 is a JSON number exactly as written
        "/tests/0/results/0/qualifier",
        "/tests/0/criteria/0/comparator",
        "/products/0/name",
        "/products/0/batch",
        "/conclusion/outcome",
        "/accreditations/0/number/value",
        "/number",
        "/number/value",
    ):
        assert field not in losses, field


def test_proofs_travel_in_the_extension_and_still_verify() -> None:
    signed_bytes = (FIXTURES / "trust" / "signed" / "valid.json").read_bytes()
    signed = _cert(FIXTURES / "trust" / "signed" / "valid.json")
    assert signed.proofs
    imported = import_untp(export_untp(signed).data)
    assert imported.losses == ()
    assert imported.certificate == signed
    key = load_public_key((FIXTURES / "trust" / "keys" / "nordwerk.pub.pem").read_bytes())
    keys = {signed.proofs[0].verification_method: key}
    assert verify_certificate(dump_json(imported.certificate), public_keys=keys)  # type: ignore[arg-type]
    assert verify_certificate(signed_bytes, public_keys=keys)  # type: ignore[arg-type]
    plain = {x.field: x for x in export_untp(signed, extension=False).losses}
    assert plain["/proof"].kind is LossKind.DROPPED
    assert "VC-JOSE" in plain["/proof"].reason
    # the proof inside the JSON literal is no proof of the credential
    doc = _json(export_untp(signed).data)
    assert "proof" not in doc


# --------------------------------------------------------------------------- stale extension


def _exported_toys() -> dict[str, Any]:
    doc: dict[str, Any] = _json(export_untp(TOYS).data)
    return doc


CHROMIUM = 7  # the assessment (and test) index of S1-CrVI
VALUE = f"/credentialSubject/assessment/{CHROMIUM}/declaredValue/0/metricValue/value"


def test_an_edited_value_wins_over_the_stale_extension() -> None:
    doc = _exported_toys()
    _resolve(doc, VALUE.rsplit("/", 1)[0])["value"] = 0.2
    imported = import_untp(_bytes(doc))
    result = imported.certificate.tests[CHROMIUM].results[0]
    assert result.value == Decimal("0.2")
    assert result.uncertainty == TOYS.tests[CHROMIUM].results[0].uncertainty  # not contradicted
    # everything else is the extension's certificate, exactly
    expected = _data(TOYS)
    expected["tests"][CHROMIUM]["results"][0]["value"] = "0.2"
    assert _data(imported.certificate) == expected
    by_field = {x.field: x for x in imported.losses}
    assert set(by_field) == {f"/credentialSubject/{EXTENSION_TERM}", VALUE}
    assert "stale" in by_field[f"/credentialSubject/{EXTENSION_TERM}"].reason
    edit = by_field[VALUE]
    assert edit.kind is LossKind.DROPPED
    assert '"0.2"' in edit.reason
    assert '"0.118"' in edit.reason
    assert f"/tests/{CHROMIUM}/results/0/value" in edit.reason


def test_a_value_equal_to_the_extension_is_no_edit() -> None:
    doc = _exported_toys()
    data = _bytes(doc).replace(b'"value": 0.118', b'"value": 0.1180')
    assert data != _bytes(doc)
    imported = import_untp(data)
    assert imported.losses == ()
    assert _data(imported.certificate) == _data(TOYS)  # "0.118" as the lab wrote it


def test_an_extension_edited_to_contradict_the_credential_loses() -> None:
    doc = _exported_toys()
    doc["credentialSubject"][EXTENSION_TERM]["tests"][CHROMIUM]["results"][0]["value"] = "0.018"
    imported = import_untp(_bytes(doc))
    assert imported.certificate.tests[CHROMIUM].results[0].value == Decimal("0.118")
    # no longer the certificate the link names: not used at all
    assert imported.losses[0].field == f"/credentialSubject/{EXTENSION_TERM}"


def test_a_flipped_conformance_wins_and_changes_the_verdict() -> None:
    doc = _exported_toys()
    doc["credentialSubject"]["assessment"][CHROMIUM]["conformance"] = True
    imported = import_untp(_bytes(doc))
    assert imported.certificate.tests[CHROMIUM].outcome is Outcome.PASS
    assert imported.certificate.conclusion.outcome is Outcome.PASS  # no failing test left
    assert imported.certificate.conclusion.statement == TOYS.conclusion.statement
    fields = {x.field for x in imported.losses}
    assert f"/credentialSubject/assessment/{CHROMIUM}/conformance" in fields


def test_edits_of_dates_and_names_win() -> None:
    doc = _exported_toys()
    doc["validUntil"] = "2030-01-01T00:00:00Z"
    doc["issuer"]["name"] = "Someone Else GmbH"
    imported = import_untp(_bytes(doc))
    assert imported.certificate.valid_until is not None
    assert imported.certificate.valid_until.year == 2030
    assert imported.certificate.issuer.name == "Someone Else GmbH"
    assert imported.certificate.issuer.address == TOYS.issuer.address
    fields = {x.field for x in imported.losses}
    assert {"/validUntil", "/issuer/name"} <= fields


def test_an_inconclusive_test_stays_inconclusive_while_its_conformance_says_false() -> None:
    tests = list(TOYS.tests)
    tests[0] = tests[0].__class__(**{**_fields(tests[0]), "outcome": Outcome.INCONCLUSIVE})
    cert = TOYS.__class__(**{**_fields(TOYS), "tests": tuple(tests)})
    doc = _json(export_untp(cert).data)
    assert doc["credentialSubject"]["assessment"][0]["conformance"] is False
    doc["validUntil"] = "2030-01-01T00:00:00Z"  # an edit elsewhere
    imported = import_untp(_bytes(doc))
    assert imported.certificate.tests[0].outcome is Outcome.INCONCLUSIVE


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def test_a_removed_assessment_makes_the_extension_unusable() -> None:
    doc = _exported_toys()
    del doc["credentialSubject"]["assessment"][3]
    imported = import_untp(_bytes(doc))
    assert len(imported.certificate.tests) == len(TOYS.tests) - 1
    assert imported.certificate.samples == ()  # nothing from the extension
    first = imported.losses[0]
    assert first.field == f"/credentialSubject/{EXTENSION_TERM}"
    assert "structure" in first.reason
    assert "/credentialSubject/assessment" in first.reason


def test_an_edit_inspectx_cannot_read_is_kept_and_reported() -> None:
    doc = _exported_toys()
    doc["credentialSubject"]["assessment"][2]["conformityTopic"] = "social.safety"
    imported = import_untp(_bytes(doc))
    assert _data(imported.certificate) == {
        **_data(TOYS),
        "extensions": _data(imported.certificate)["extensions"],
    }
    (unmapped,) = imported.certificate.extensions
    assert (unmapped.ns, unmapped.name) == (UNMAPPED_NS, UNMAPPED_NAME)
    fields = [x.field for x in imported.losses]
    assert fields == [
        f"/credentialSubject/{EXTENSION_TERM}",
        "/credentialSubject/assessment/2/conformityTopic",
    ]
    assert (
        _json(export_untp(imported.certificate).data)["credentialSubject"]["assessment"][2][
            "conformityTopic"
        ]
        == "social.safety"
    )


@pytest.mark.parametrize(
    ("extension", "why"),
    [("not a certificate", "is not an inspectx certificate"), ({"id": 1}, "not a valid")],
)
def test_an_unreadable_extension_is_not_used(extension: object, why: str) -> None:
    doc = _exported_toys()
    doc["credentialSubject"][EXTENSION_TERM] = extension
    imported = import_untp(_bytes(doc))
    assert imported.losses[0].field == f"/credentialSubject/{EXTENSION_TERM}"
    assert why in imported.losses[0].reason
    assert imported.certificate.samples == ()
    assert imported.certificate.tests[CHROMIUM].results[0].value == Decimal("0.118")


def test_the_extension_term_without_its_context_is_not_read() -> None:
    doc = _exported_toys()
    doc["@context"].remove(EXTENSION_CONTEXT)
    imported = import_untp(_bytes(doc))
    assert imported.certificate.samples == ()
    assert f"/credentialSubject/{EXTENSION_TERM}" in {x.field for x in imported.losses}


# --------------------------------------------------------------------------- errors


def _error(data: bytes) -> UntpError:
    with pytest.raises(UntpError) as err:
        import_untp(data)
    return err.value


def test_an_inspectx_certificate_is_not_a_dcc() -> None:
    data = (FIXTURES / "certificates" / "toys-en71-3.json").read_bytes()
    assert not is_untp_dcc(_json(data))
    err = _error(data)
    assert err.code == "untp.not-dcc"
    assert err.hint
    assert _error(b"[1, 2]").code == "untp.not-dcc"


def test_detection_by_type_or_context() -> None:
    assert is_untp_dcc({"type": ["DigitalConformityCredential", "VerifiableCredential"]})
    assert is_untp_dcc({"type": "DigitalConformityCredential"})
    assert is_untp_dcc({"@context": [VC_CONTEXT, DCC_CONTEXT]})
    assert not is_untp_dcc({"type": ["VerifiableCredential"], "@context": [VC_CONTEXT]})


def test_another_dcc_version_is_refused() -> None:
    doc = _exported_toys()
    doc["@context"][1] = "https://test.uncefact.org/vocabulary/untp/dcc/0.5.0/"
    err = _error(_bytes(doc))
    assert (err.code, err.location) == ("untp.version-unsupported", "/@context")
    assert "0.5.0" in err.message
    doc["@context"] = ["https://www.w3.org/2018/credentials/v1", DCC_CONTEXT]
    assert _error(_bytes(doc)).code == "untp.version-unsupported"


def test_malformed_and_incomplete_credentials_are_located() -> None:
    doc = _exported_toys()
    doc["credentialSubject"]["assessment"][4]["conformance"] = "yes"
    err = _error(_bytes(doc))
    assert (err.code, err.location) == (
        "untp.malformed",
        "/credentialSubject/assessment/4/conformance",
    )
    doc = _exported_toys()
    doc["credentialSubject"]["assessment"] = {"not": "a list"}
    assert _error(_bytes(doc)).location == "/credentialSubject/assessment"
    doc = _exported_toys()
    del doc["validFrom"]
    err = _error(_bytes(doc))
    assert (err.code, err.location) == ("untp.incomplete", "/validFrom")
    doc = _exported_toys()
    doc["credentialSubject"]["assessment"] = []
    err = _error(_bytes(doc))
    assert (err.code, err.location) == ("untp.incomplete", "/credentialSubject/assessment")


def test_contexts_are_never_fetched(listener: Listener) -> None:
    doc = _exported_toys()
    doc["@context"].append(f"http://127.0.0.1:{listener.port}/context.jsonld")
    imported = import_untp(_bytes(doc))
    assert "/@context" in {x.field for x in imported.losses}
    others = [c for c in doc["@context"] if c != EXTENSION_CONTEXT]
    assert _json(export_untp(imported.certificate).data)["@context"] == [
        *others,
        EXTENSION_CONTEXT,  # the inspectx context goes last
    ]
    assert listener.connections == 0


def test_the_json_is_read_strictly() -> None:
    from inspectx.errors import InputError

    data = export_untp(TOYS).data.replace(b'"validFrom"', b'"validFrom": "x", "validFrom"', 1)
    with pytest.raises(InputError) as err:
        import_untp(data)
    assert err.value.code == "format.json.duplicate-key"


def test_the_minimal_certificate_exports_and_imports() -> None:
    cert = certificate_from_data(minimal_certificate_data())
    assert import_untp(export_untp(cert).data).certificate == cert
    plain = export_untp(cert, extension=False)
    assert {x.field for x in plain.losses} == {"/issuer/address", "/tests/0/results/0/value"}
    # the issuer has no id: the credential names it by a fragment of the certificate id,
    # which reads back as no id
    assert _json(plain.data)["issuer"]["id"] == f"{cert.id}#issuer"
    assert import_untp(plain.data).certificate.issuer.id is None


# --------------------------------------------------------------------------- project fixtures


def test_the_untp_fixtures_are_what_export_writes_now() -> None:
    for name, data in _builder().outputs().items():
        assert (HERE / name).read_bytes() == data, name


def test_the_fixture_expectations_hold() -> None:
    expected = _json((HERE / "EXPECTED.json").read_bytes())
    source = _cert(FIXTURES / "certificates" / "wheat-mycotoxins.json")
    for name, outcome in expected.items():
        imported = import_untp((HERE / name).read_bytes())
        assert (imported.certificate == source) is outcome["restoresSource"], name
        assert len(imported.losses) == outcome["importLosses"], name
    edit = expected["wheat-mycotoxins.edited.dcc.json"]["edited"]
    imported = import_untp((HERE / "wheat-mycotoxins.edited.dcc.json").read_bytes())
    test = next(t for t in imported.certificate.tests if t.id == edit["test"])
    assert test.results[0].value == Decimal(edit["value"])
    assert edit["pointer"] in {x.field for x in imported.losses}
    report = validate_bytes(render(imported.certificate, "json"))
    assert "rule.outcome-contradicts-limit" in {f.code for f in report.findings}


def test_a_credential_from_another_issuer_maps_what_the_model_holds() -> None:
    data = (HERE / "fjord-mug.dcc.json").read_bytes()
    imported = import_untp(data)
    cert = imported.certificate
    assert cert.id == "https://fjord-qa.example/credentials/5d0c2f4e-8a61-4c33-9e0b-2f6d1a7c4b90"
    assert cert.number.value == "https://fjord-qa.example/attestations/LD-0042"
    assert cert.document_type is DocumentType.TEST_REPORT
    assert cert.attestation is not None
    assert cert.attestation.type is AttestationType.TESTING
    assert cert.attestation.assessor_level is AssessorLevel.THIRD_PARTY
    assert cert.attestation.assessment_level is AssessmentLevel.ACCREDITED
    assert cert.issued_at.isoformat() == "2026-05-04T09:00:00+02:00"
    assert cert.issuer.id == "https://fjord-qa.example/"  # the URL behind did:web
    assert [(i.value, i.scheme_id) for i in cert.issuer.identifiers] == [
        ("5493007FJQLTESTX0117", "LEI")
    ]
    assert cert.applicant is not None
    assert cert.applicant.identifiers[0].scheme_id == "GLN"
    (acc,) = cert.accreditations  # the network membership is no accreditation
    assert acc.standard is AccreditationStandard.ISO_IEC_17025
    assert acc.number.value == "TEST 299"
    assert acc.body.name == "Example Accreditation Body (NO)"
    (printable,) = cert.references
    assert (printable.type, printable.id) == ("conformity-certificate", "LD-0042")
    lead, cadmium = cert.tests
    assert lead.method.standard == "EN 1388-1:1995"
    assert lead.results[0].value == Decimal("0.12")
    assert lead.results[0].unit == "M1"
    assert cadmium.results[0].qualifier is Qualifier.LT
    assert cadmium.criteria[0].comparator is Comparator.LE
    assert cadmium.criteria[0].limit.value == Decimal("0.07")
    (mug,) = cert.products
    assert mug.batch == "B2604-11"
    assert lead.product_refs == cadmium.product_refs == (mug.seq,)
    assert cert.conclusion.outcome is Outcome.PASS
    losses = {x.field: x for x in imported.losses}
    assert "/credentialStatus" in losses
    assert "/credentialSubject/assessment/0/declaredValue/0/accuracy" in losses
    assert "as a whole" in losses["/credentialSubject/authorisation"].reason
    assert all(x.kind is LossKind.FLATTENED for x in imported.losses)
    assert all("kept verbatim" in x.reason for x in imported.losses)
    # kept, so the credential comes back
    again = export_untp(cert)
    assert again.losses == ()
    assert _json(again.data) == _json(data)
    assert render(cert, "json")  # schema-valid inspectx


def test_a_credential_changed_since_import_keeps_the_edit_in_the_model() -> None:
    cert = import_untp((HERE / "fjord-mug.dcc.json").read_bytes()).certificate
    renamed = cert.__class__(**{**_fields(cert), "number": cert.number.__class__(value="urn:x:1")})
    doc = _json(export_untp(renamed).data)
    assert doc["credentialSubject"]["id"] == "urn:x:1"  # the model's value, not the kept one


# --------------------------------------------------------------------------- context file


def test_the_extension_context_defines_its_terms_explicitly() -> None:
    context = extension_context()
    path = ROOT / "inspectx" / "schemas" / "inspectx-untp-context.jsonld"
    assert context == _json(path.read_bytes())
    terms = context["@context"]
    assert "@vocab" not in terms
    assert terms[EXTENSION_TERM] == {"@id": f"{EXTENSION_CONTEXT}#certificate", "@type": "@json"}
    # every member the export writes beyond UNTP's own is defined there
    subject = _json(export_untp(TOYS).data)["credentialSubject"]
    extra = set(subject) - {
        "type", "id", "name", "assessorLevel", "assessmentLevel", "attestationType",
        "description", "issuedToParty", "authorisation", "conformityCertificate",
        "auditableEvidence", "scope", "assessment",
    }  # fmt: skip
    assert extra == {EXTENSION_TERM}
    assert extra <= set(terms)


# --------------------------------------------------------------------------- interop


def _dcc_validators(reference: Path) -> tuple[Any, Any]:
    schema = _json((reference / "untp" / "dcc" / "untp-dcc-schema.json").read_bytes())
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft202012Validator  # the draft the schema declares
    cls.check_schema(schema)
    return (
        cls(schema, format_checker=cls.FORMAT_CHECKER),
        jsonschema_rs.validator_for(schema, validate_formats=True),
    )


def _errors(validators: tuple[Any, Any], doc: object) -> list[str]:
    py, rs = validators
    return [e.message for e in py.iter_errors(doc)] + [e.message for e in rs.iter_errors(doc)]


@pytest.mark.interop
def test_every_export_validates_against_the_dcc_schema(shared_reference: Path) -> None:
    validators = _dcc_validators(shared_reference)
    bad = _exported_toys()
    bad["credentialSubject"]["assessment"][0]["conformityTopic"] = "product.quality"
    bad["validFrom"] = "yesterday"
    assert len(_errors(validators, bad)) >= 2  # the validators do check
    for path in CERTS:
        cert = _cert(path)
        for extension in (True, False):
            exported: Exported = export_untp(cert, extension=extension)
            assert _errors(validators, _json(exported.data)) == [], (path.name, extension)
    for path in sorted(HERE.glob("*.dcc.json")):
        assert _errors(validators, _json(path.read_bytes())) == [], path.name


DIGEST = "6239119dda5bd4c8a6ffb832fe16feaa5c27b7dba154d24c53d4470a2c69adc2"


@pytest.mark.interop
def test_the_reference_instance_imports(shared_reference: Path) -> None:
    data = (shared_reference / "untp" / "dcc" / "untp-dcc-instance.json").read_bytes()
    imported = import_untp(data)
    cert = imported.certificate
    assert cert.id == "https://example-company.com/credentials/2a423366-a0d6-4855-ba65-2e0c926d09b0"
    assert cert.number.value == "https://sample-certifiers.com/attestations/12345"
    assert cert.title[0].value == "Carbon Lifecycle assessment 12345567"
    assert cert.document_type is DocumentType.CERTIFICATE_OF_CONFORMITY
    assert cert.attestation is not None
    assert cert.attestation.type is AttestationType.CERTIFICATION
    assert cert.attestation.assessor_level is AssessorLevel.THIRD_PARTY
    assert cert.attestation.assessment_level is AssessmentLevel.ACCREDITED
    assert cert.issued_at.isoformat() == "2024-03-15T12:00:00+00:00"
    assert cert.valid_until is not None
    assert cert.valid_until.year == 2034
    assert cert.issuer.id == "did:web:identifiers.example-company.com:12345"
    assert cert.issuer.name == "Example Company Pty Ltd"
    assert [i.value for i in cert.issuer.identifiers] == ["90664869327", "90664869327"]
    assert cert.applicant is not None
    assert cert.applicant.name == "Sample Company Pty Ltd."
    assert cert.statements[0].value.startswith("A life-cycle assessment of the battery")
    assert cert.accreditations == ()  # the endorsement names no ISO/IEC standard
    assert [(r.type, r.digest.value if r.digest else None) for r in cert.references] == [
        ("conformity-certificate", DIGEST),
        ("auditable-evidence", DIGEST),
    ]
    assert len(cert.tests) == 2
    test = cert.tests[0]
    assert test.id == "https://exampleCAB.com/38f73303-a39e-45a7-b8b7-e73517548f27/01"
    assert (
        test.parameter.name == "Product GHG Footprint certificate in accordance with GBA Rulebook."
    )
    assert test.method.standard == "GBA Battery Passport Greenhouse Gas Rulebook - V.2.0"
    assert test.outcome is Outcome.PASS
    assert [(r.parameter, r.value, r.unit) for r in test.results] == [
        ("GHG emissions intensity", Decimal("10"), "KGM"),
        ("GHG emissions intensity", Decimal("10"), "KGM"),
    ]
    assert test.criteria == ()  # thresholds without a comparator
    (battery,) = cert.products
    assert battery.name == "EV battery 300Ah."
    assert (battery.batch, battery.serials) == ("6789", ("12345678",))
    assert [i.value for i in battery.identifiers] == [
        "https://id.gs1.org/01/09520123456788/21/12345",
        "09520123456788.21.12345",
    ]
    assert test.product_refs == (1, 1)
    assert cert.conclusion.outcome is Outcome.PASS
    # schema-valid inspectx; the instance gives both assessments one id, which the rules see
    report = validate_bytes(render(cert, "json"))
    assert {f.code for f in report.findings} == {"rule.duplicate-id"}


@pytest.mark.interop
def test_what_the_reference_instance_holds_beyond_the_model_is_reported(
    shared_reference: Path,
) -> None:
    data = (shared_reference / "untp" / "dcc" / "untp-dcc-instance.json").read_bytes()
    imported = import_untp(data)
    losses = {x.field: x for x in imported.losses}
    a0 = "/credentialSubject/assessment/0"
    for field in (
        "/credentialSubject/authorisation",
        "/credentialSubject/scope",
        "/credentialSubject/issuedToParty/description",
        "/credentialSubject/conformityCertificate/linkName",
        "/credentialSubject/conformityCertificate/encryptionMethod",
        "/issuer/issuerAlsoKnownAs/0/name",
        f"{a0}/referenceStandard",
        f"{a0}/referenceRegulation",
        f"{a0}/assessmentCriteria",
        f"{a0}/assessmentDate",
        f"{a0}/conformityTopic",
        f"{a0}/declaredValue/0/score",
        f"{a0}/declaredValue/0/accuracy",
        f"{a0}/assessedProduct/0/IDverifiedByCAB",
        f"{a0}/assessedFacility",
        f"{a0}/assessedOrganisation",
        f"{a0}/auditor",
    ):
        assert losses[field].kind is LossKind.FLATTENED, field
        assert "kept verbatim" in losses[field].reason
    (unmapped,) = imported.certificate.extensions
    assert (unmapped.ns, unmapped.name) == (UNMAPPED_NS, UNMAPPED_NAME)


@pytest.mark.interop
def test_the_reference_instance_comes_back_json_equal(shared_reference: Path) -> None:
    data = (shared_reference / "untp" / "dcc" / "untp-dcc-instance.json").read_bytes()
    cert = import_untp(data).certificate
    for extension in (True, False):
        exported = export_untp(cert, extension=extension)
        assert exported.losses == ()
        assert _json(exported.data) == _json(data)
    # and the inspectx JSON of it converts back the same way
    again = certificate_from_data(load_json(dump_json(cert)))
    assert _json(export_untp(again).data) == _json(data)


@pytest.mark.interop
def test_other_reference_credentials_are_refused_with_a_reason(shared_reference: Path) -> None:
    dcc = shared_reference / "untp" / "dcc"
    old = _error((dcc / "untp-digital-conformity-credential-v0.3.10.json").read_bytes())
    assert old.code == "untp.version-unsupported"
    assert "0.3.10" in old.message
    other = _error((dcc / "vc-conformity-v0.1.0-au-deforestation.json").read_bytes())
    assert other.code == "untp.not-dcc"
    subject_only = _error((dcc / "ConformityAttestation-instance.json").read_bytes())
    assert subject_only.code == "untp.not-dcc"


@pytest.mark.interop
def test_the_extension_does_not_clash_with_the_untp_context(shared_reference: Path) -> None:
    untp = _json((shared_reference / "untp" / "dcc" / "context.jsonld").read_bytes())
    vc = _json((shared_reference / "vc-data-integrity" / "contexts" / "v2.jsonld").read_bytes())
    ours = set(extension_context()["@context"]) - {"@version", "@protected"}
    defined = set(untp["@context"]) | set(vc["@context"])
    assert not ours & defined  # protected terms cannot be redefined
    assert "@vocab" not in json.dumps(extension_context())
