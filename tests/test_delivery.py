"""Delivery-to-consumer proofs: the fixture chain, every attack of security.md catalogue E
with its own code, format round trips, and the CLI."""

from __future__ import annotations

import copy
import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspectx.delivery.events import (
    ACK,
    PREVIOUS,
    PROOF,
    certificate_digest,
    code_matches,
    new_bundle,
    order_ref,
    parse_order_ref,
)
from inspectx.delivery.verify import (
    DeliveryReport,
    FilePresentationLog,
    MemoryPresentationLog,
    read_bundle,
    verify_delivery,
)
from inspectx.proofs.keys import load_public_key
from inspectx.proofs.multibase import did_key_verification_method
from inspectx.trust import TrustSnapshot, load_trust_list
from inspectx.validation import read_certificate
from tests.conftest import FIXTURES, run_cli

HERE = FIXTURES / "delivery"
EXPECTED = json.loads((HERE / "EXPECTED.json").read_text("utf-8"))
AT = datetime.fromisoformat(EXPECTED["at"])
ORDER, CODE = (EXPECTED["platform"], EXPECTED["order"]), EXPECTED["deliveryCode"]
BUNDLE = HERE / EXPECTED["bundle"]
CERT_BYTES = (HERE / EXPECTED["certificate"]).read_bytes()
OPERATOR_PUB = (HERE / EXPECTED["operatorKey"]).resolve()


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("delivery_build", HERE / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _builder()
CERT = read_certificate(CERT_BYTES).certificate
DIGEST = certificate_digest(CERT)


@pytest.fixture(scope="module")
def trust() -> TrustSnapshot:
    operator = load_public_key(OPERATOR_PUB.read_bytes())
    trust_list = load_trust_list(
        (HERE / EXPECTED["trustList"]).read_bytes(),
        operator_keys={did_key_verification_method(operator): operator},  # type: ignore[arg-type]
    )
    return TrustSnapshot(trust_list=trust_list, source="fixture", fetched_at=None, origin="file")


def _specs() -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = BUILD.chain_specs()
    return specs


def _sign(specs: list[dict[str, Any]], **kw: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = BUILD.sign_chain(specs, CERT.id, DIGEST, **kw)
    return events


def _bytes(events: list[dict[str, Any]]) -> bytes:
    return json.dumps(new_bundle(datetime(2026, 3, 22, tzinfo=UTC), events)).encode()


def _verify(
    bundle: bytes | list[dict[str, Any]], trust: TrustSnapshot, **kw: Any
) -> DeliveryReport:
    data = bundle if isinstance(bundle, bytes) else _bytes(bundle)
    options: dict[str, Any] = {
        "certificate": CERT_BYTES,
        "order": ORDER,
        "delivery_code": CODE,
        "at": AT,
    }
    return verify_delivery(data, trust=trust, **{**options, **kw})


def _refused(report: DeliveryReport, code: str) -> None:
    assert report.verdict.value == "INVALID", report.failing()
    assert code in report.codes(), report.codes()


# --------------------------------------------------------------------------- the fixture


def test_fixture_chain_is_valid_end_to_end(trust: TrustSnapshot) -> None:
    report = _verify(BUNDLE.read_bytes(), trust)
    assert report.verdict.value == EXPECTED["verdict"] == "VALID", report.failing()
    assert [c.step for c in report.checks] == list(range(1, 9))
    assert [t.biz_step for t in report.timeline] == [
        "sampling",
        "packing",
        "shipping",
        "departing",
        "arriving",
        "inspecting",
        "receiving",
        "accepting",
    ]
    assert report.timeline[0].actor == "Nordwerk Prüflabor GmbH"
    assert report.timeline[-1].destination == BUILD.CONSUMER
    assert report.order == order_ref(*ORDER)
    assert report.certificate is not None and report.certificate.id == CERT.id


def test_fixture_files_are_the_build_of_build_py() -> None:
    assert json.loads(BUNDLE.read_bytes())["epcisBody"]["eventList"] == _sign(_specs())
    assert BUILD.certificate_bytes() == CERT_BYTES


def test_no_personal_data_in_the_proof() -> None:
    text = BUNDLE.read_text("utf-8")
    assert "Erika" not in text and "Zürich" not in text and CODE not in text
    ack = json.loads(text)["epcisBody"]["eventList"][-1][ACK]
    assert code_matches(ack, CODE) and not code_matches(ack, "000000")


def test_order_ref_round_trip() -> None:
    assert parse_order_ref(order_ref("shop:eu", "A/1 2")) == ("shop:eu", "A/1 2")
    assert parse_order_ref("urn:epc:id:gdti:0614141.00001.1618034") is None


# --------------------------------------------------------------------------- catalogue E


def test_proof_for_one_order_presented_for_another(trust: TrustSnapshot) -> None:
    _refused(
        _verify(BUNDLE.read_bytes(), trust, order=(ORDER[0], "ORD-2026-000999")),
        "delivery.order-mismatch",
    )


def test_proof_presented_with_another_certificate(trust: TrustSnapshot) -> None:
    other = (FIXTURES / "trust" / "signed" / "valid.json").read_bytes()
    _refused(
        _verify(BUNDLE.read_bytes(), trust, certificate=other), "delivery.certificate-mismatch"
    )


def test_two_events_swapped(trust: TrustSnapshot) -> None:
    events = _sign(_specs())
    events[3], events[4] = events[4], events[3]
    _refused(_verify(events, trust), "delivery.out-of-order")


def test_two_chains_spliced_at_a_common_actor(trust: TrustSnapshot) -> None:
    mine = _sign(_specs())
    other_specs = _specs()
    for spec in other_specs:
        spec["order"] = order_ref(BUILD.PLATFORM, "ORD-2026-000777")
    theirs = _sign(other_specs)
    _refused(_verify(mine[:4] + theirs[4:], trust), "delivery.spliced")


def test_delivery_event_dropped_is_not_delivered(trust: TrustSnapshot) -> None:
    report = _verify(_sign(_specs())[:-1], trust)
    _refused(report, "delivery.not-delivered")
    assert report.codes() == ["delivery.not-delivered"]


def test_middle_event_dropped_breaks_the_link(trust: TrustSnapshot) -> None:
    events = _sign(_specs())
    _refused(_verify(events[:3] + events[4:], trust), "delivery.broken-link")


def test_fork_two_events_with_one_predecessor(trust: TrustSnapshot) -> None:
    events = _sign(_specs())
    specs = _specs()
    specs[6]["event_time"] += timedelta(minutes=5)  # another "last-mile hand-over"
    twin = _sign([{**specs[6], "previous": [events[5]["eventID"]]}])[0]
    _refused(_verify([*events, twin], trust), "delivery.fork")


@pytest.mark.parametrize(
    ("earlier", "verdict"), [(timedelta(minutes=10), "INVALID"), (timedelta(minutes=2), "VALID")]
)
def test_event_earlier_than_its_predecessor(
    earlier: timedelta, verdict: str, trust: TrustSnapshot
) -> None:
    specs = _specs()
    specs[4]["event_time"] = specs[3]["event_time"] - earlier  # arrival before departure
    report = _verify(_sign(specs), trust)
    assert report.verdict.value == verdict, report.failing()
    assert ("delivery.time-order" in report.codes()) == (verdict == "INVALID")


def test_event_in_the_future(trust: TrustSnapshot) -> None:
    specs = _specs()
    specs[-1]["event_time"] = AT + timedelta(hours=1)
    _refused(_verify(_sign(specs), trust), "delivery.future-event")


def test_actor_signing_a_step_outside_its_role(trust: TrustSnapshot) -> None:
    specs = _specs()
    specs[3]["actor"] = "nordwerk"  # the lab signing the border departure
    report = _verify(_sign(specs), trust)
    _refused(report, "delivery.actor-role")
    assert report.codes() == ["delivery.actor-role"]


def test_chain_not_started_by_the_certificates_issuer(trust: TrustSnapshot) -> None:
    specs = _specs()
    specs[0].update(actor="customs", biz_step="inspecting")  # customs may inspect, not certify
    report = _verify(_sign(specs), trust)
    _refused(report, "delivery.root-not-issuer")
    assert report.codes() == ["delivery.root-not-issuer"]


def test_key_outside_its_validity_at_the_event_time(trust: TrustSnapshot) -> None:
    specs = _specs()
    specs[2]["actor"] = "carrier-retired"  # same carrier, key retired on 2026-01-01
    report = _verify(_sign(specs), trust)
    _refused(report, "delivery.key-outside-validity")
    assert report.codes() == ["delivery.key-outside-validity"]


def test_cycle(trust: TrustSnapshot) -> None:
    # eventIDs are content hashes: a cycle needs a forged eventID, which step 1 reports too
    events = _sign(_specs())
    events[0][PREVIOUS] = [events[-1]["eventID"]]
    report = _verify(events, trust)
    _refused(report, "delivery.cycle")
    assert "delivery.event-id-mismatch" in report.codes()


def test_second_presentation_for_a_different_order(trust: TrustSnapshot, tmp_path: Path) -> None:
    for log in (MemoryPresentationLog(), FilePresentationLog(tmp_path / "presented.log")):
        first = _verify(BUNDLE.read_bytes(), trust, presentations=log)
        again = _verify(BUNDLE.read_bytes(), trust, presentations=log)
        assert first.verdict.value == again.verdict.value == "VALID"
        replay = _verify(
            BUNDLE.read_bytes(), trust, presentations=log, order=(ORDER[0], "ORD-2026-000999")
        )
        _refused(replay, "delivery.replayed")


@pytest.mark.parametrize(("resealed", "verdict"), [(False, "INVALID"), (True, "VALID")])
def test_seal_number_changed(resealed: bool, verdict: str, trust: TrustSnapshot) -> None:
    specs = _specs()
    for spec in specs[5:]:
        spec["seals"] = ["CH-SEAL-7001"]  # from customs on
    specs[5]["resealed"] = resealed
    report = _verify(_sign(specs), trust)
    assert report.verdict.value == verdict, report.failing()
    assert ("delivery.seal-changed" in report.codes()) == (not resealed)


def test_wrong_delivery_code_and_unchecked_code(trust: TrustSnapshot) -> None:
    _refused(_verify(BUNDLE.read_bytes(), trust, delivery_code="000000"), "delivery.code-mismatch")
    unchecked = _verify(BUNDLE.read_bytes(), trust, delivery_code=None)
    assert unchecked.verdict.value == "INDETERMINATE"
    assert unchecked.codes() == ["delivery.code-not-checked"]


def test_goods_swapped_for_other_goods(trust: TrustSnapshot) -> None:
    specs = _specs()
    specs[6]["epcs"] = ["https://id.gs1.org/00/342601234500000022"]
    specs[7]["epcs"] = ["https://id.gs1.org/00/342601234500000022"]
    _refused(_verify(_sign(specs), trust), "delivery.goods-mismatch")


def test_hand_over_from_someone_who_did_not_hold_the_goods(trust: TrustSnapshot) -> None:
    specs = _specs()
    specs[6]["source"] = BUILD.PLATFORM_PARTY  # the platform no longer held the parcel
    _refused(_verify(_sign(specs), trust), "delivery.custody-gap")


def test_unlisted_actor_is_indeterminate(trust: TrustSnapshot) -> None:
    from inspectx.proofs.keys import generate_key

    events = _sign(_specs())
    stranger = generate_key("ed25519")
    from inspectx.delivery.events import proof_document
    from inspectx.proofs.dataintegrity import create_proof

    proof = create_proof(
        proof_document(events[3]["eventID"]),
        private_key=stranger,
        verification_method=did_key_verification_method(stranger.public_key()),  # type: ignore[arg-type]
        created=AT,
    )
    events[3][PROOF] = {f"inspectx:{k}": v for k, v in proof.items()}
    report = _verify(events, trust)
    assert report.verdict.value == "INDETERMINATE"
    assert report.codes() == ["delivery.signer-not-listed"]


@given(data=st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_changed_value_in_any_event_is_refused(data: st.DataObject) -> None:
    operator = load_public_key(OPERATOR_PUB.read_bytes())
    trust_list = load_trust_list(
        (HERE / EXPECTED["trustList"]).read_bytes(),
        operator_keys={did_key_verification_method(operator): operator},  # type: ignore[arg-type]
    )
    snapshot = TrustSnapshot(trust_list=trust_list, source="f", fetched_at=None, origin="file")
    bundle = json.loads(BUNDLE.read_bytes())
    events = bundle["epcisBody"]["eventList"]
    index = data.draw(st.integers(0, len(events) - 1))
    leaves = list(_string_leaves(events[index], ()))
    path = data.draw(st.sampled_from([p for p in leaves if p[0] not in ("eventID", PROOF)]))
    target = events[index]
    for step in path[:-1]:
        target = target[step]
    old = target[path[-1]]
    target[path[-1]] = old[:-1] + ("0" if old[-1] != "0" else "1")
    report = _verify(json.dumps(bundle).encode(), snapshot)
    assert report.verdict.value == "INVALID"
    assert report.codes()[0] in {"delivery.event-id-mismatch", "delivery.schema"}


def _string_leaves(value: Any, path: tuple[Any, ...]) -> Any:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _string_leaves(item, (*path, i))


def test_unreadable_bundle_fails_step_one(trust: TrustSnapshot) -> None:
    report = _verify(b'{"type": "EPCISDocument"', trust)
    assert report.verdict.value == "INVALID"
    assert report.codes() == ["delivery.malformed"]
    hostile = b'<!DOCTYPE x [<!ENTITY a "b">]><epcis:EPCISDocument/>'
    assert _verify(hostile, trust).codes() == ["delivery.malformed"]


def test_bundle_schema_refuses_weak_digests_and_unknown_members(trust: TrustSnapshot) -> None:
    bundle = json.loads(BUNDLE.read_bytes())
    first = bundle["epcisBody"]["eventList"][0]
    for change in (
        {"inspectx:certificateDigest": "md5:" + "0" * 32},
        {"inspectx:whatever": "x"},
        {"eventID": "urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8"},
        {"errorDeclaration": {"declarationTime": "2026-03-23T00:00:00Z"}},
    ):
        mutated = copy.deepcopy(bundle)
        mutated["epcisBody"]["eventList"][0] = {**first, **change}
        assert _verify(json.dumps(mutated).encode(), trust).codes() == ["delivery.schema"]


def test_text_that_mimics_another_field_is_refused(trust: TrustSnapshot) -> None:
    """The CBV pre-hash string has no separators: two seals and one seal whose text
    spells the second give one eventID, so the profile refuses such text."""
    from inspectx.delivery.eventhash import event_hash

    bundle = json.loads(BUNDLE.read_bytes())
    event = {k: v for k, v in bundle["epcisBody"]["eventList"][2].items() if k != PROOF}
    two = {**event, "inspectx:seals": ["S1", "S2"]}
    forged = {**event, "inspectx:seals": ["S1{urn:inspectx:epcis:1:}seals=S2"]}
    namespaces = {"inspectx": "urn:inspectx:epcis:1:"}
    assert event_hash(two, namespaces) == event_hash(forged, namespaces)
    bundle["epcisBody"]["eventList"][2]["inspectx:seals"] = forged["inspectx:seals"]
    assert _verify(json.dumps(bundle).encode(), trust).codes() == ["delivery.schema"]


# --------------------------------------------------------------------------- formats


def test_xml_rendering_keeps_event_ids_and_verifies(trust: TrustSnapshot) -> None:
    from inspectx.delivery.epcis import jsonld_to_xml

    bundle = read_bundle(BUNDLE.read_bytes())
    xml = jsonld_to_xml(bundle)
    back = read_bundle(xml)
    ids = [e["eventID"] for e in bundle["epcisBody"]["eventList"]]
    assert [e["eventID"] for e in back["epcisBody"]["eventList"]] == ids
    report = _verify(xml, trust)
    assert report.verdict.value == "VALID", report.failing()
    assert read_bundle(jsonld_to_xml(back)) == back


@st.composite
def _chains(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The fixture story with generated hub hops, seals, dispositions and evidence."""
    specs = _specs()
    hops = []
    for i in range(draw(st.integers(0, 4))):
        hops.append(
            {
                **specs[4],
                "biz_step": draw(st.sampled_from(["arriving", "departing", "storing"])),
                "event_time": specs[4]["event_time"] + timedelta(minutes=i + 1),
                "disposition": draw(st.sampled_from(["in_transit", "in_progress"])),
            }
        )
    seal = draw(st.from_regex(r"[A-Z]{2}-[0-9]{4,10}", fullmatch=True))
    chain = specs[:5] + hops + specs[5:]
    for spec in chain[1:]:
        spec["seals"] = [seal]
    if draw(st.booleans()):
        chain[2]["evidence"] = [
            ("photo", "sha256:" + draw(st.text("0123456789abcdef", min_size=64, max_size=64)))
        ]
    return chain


@given(specs=_chains())
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_chains_keep_their_event_ids_through_xml(
    specs: list[dict[str, Any]], trust: TrustSnapshot
) -> None:
    from inspectx.delivery.epcis import jsonld_to_xml

    events = _sign(specs)
    bundle = read_bundle(_bytes(events))
    xml = jsonld_to_xml(bundle)
    back = read_bundle(xml)
    assert back["epcisBody"]["eventList"] == events  # eventIDs, proofs and all
    assert read_bundle(jsonld_to_xml(back)) == back
    report = _verify(xml, trust)
    assert report.verdict.value == "VALID", report.failing()


@pytest.mark.interop
def test_exports_meet_the_official_epcis_schemas(shared_reference: Path, tmp_path: Path) -> None:
    import jsonschema
    from lxml import etree

    jsonld = tmp_path / "proof.jsonld"
    xml = tmp_path / "proof.xml"
    for target, path in (("epcis-jsonld", jsonld), ("epcis-xml", xml)):
        done = run_cli("delivery", "export", str(BUNDLE), "--to", target, "-o", str(path))
        assert done.returncode == 0, done.stderr
    schema = json.loads(
        (shared_reference / "epcis/json-schema/EPCIS-JSON-Schema.json").read_bytes()
    )
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    assert not list(validator.iter_errors(json.loads(jsonld.read_bytes())))
    xsd_path = shared_reference / "epcis/xsd/EPCglobal-epcis-2_0.xsd"
    xsd = etree.XMLSchema(etree.parse(str(xsd_path), etree.XMLParser(no_network=True)))
    assert xsd.validate(etree.parse(str(xml))), xsd.error_log


# --------------------------------------------------------------------------- CLI


def _cli_verify(*extra: str) -> Any:
    return run_cli(
        "delivery",
        "verify",
        *extra,
        "--certificate",
        str(HERE / EXPECTED["certificate"]),
        "--trust",
        str(HERE / EXPECTED["trustList"]),
        "--operator-key",
        str(OPERATOR_PUB),
        "--order",
        ":".join(ORDER),
        "--at",
        EXPECTED["at"],
    )


def test_cli_verify_prints_the_timeline(tmp_path: Path) -> None:
    done = _cli_verify(str(BUNDLE), "--delivery-code", CODE)
    assert done.returncode == 0, done.stdout + done.stderr
    text = done.stdout.decode()
    assert text.startswith("✔ VALID") and "accepting" in text and "QuickDrop Paket AG" in text
    as_json = _cli_verify(str(BUNDLE), "--delivery-code", CODE, "--format", "json")
    report = json.loads(as_json.stdout)
    assert report["documents"][0]["verdict"] == "VALID"
    assert len(report["documents"][0]["timeline"]) == 8
    unchecked = _cli_verify(str(BUNDLE))
    assert unchecked.returncode == 3 and b"delivery.code-not-checked" in unchecked.stdout
    broken = tmp_path / "broken.jsonld"
    events = json.loads(BUNDLE.read_bytes())
    del events["epcisBody"]["eventList"][3]
    broken.write_text(json.dumps(events))
    assert _cli_verify(str(broken), "--delivery-code", CODE).returncode == 1


def test_cli_event_appends_a_linked_signed_event(tmp_path: Path) -> None:
    shortened = tmp_path / "in-transit.jsonld"
    events = json.loads(BUNDLE.read_bytes())
    events["epcisBody"]["eventList"] = events["epcisBody"]["eventList"][:-1]
    shortened.write_text(json.dumps(events))
    before = shortened.read_bytes()
    out = tmp_path / "delivered.jsonld"
    done = run_cli(
        "delivery",
        "event",
        str(shortened),
        "--key",
        str(HERE / "keys" / "last-mile.key"),
        "--step",
        "accepting",
        "--time",
        "2026-03-22T14:02:00+01:00",
        "--from",
        BUILD.LAST_MILE,
        "--to",
        BUILD.CONSUMER,
        "--delivery-code-env",
        "CODE",
        "-o",
        str(out),
        env={"CODE": CODE},
    )
    assert done.returncode == 0, done.stderr
    assert shortened.read_bytes() == before
    verified = _cli_verify(str(out), "--delivery-code", CODE)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = run_cli(
        "delivery",
        "event",
        str(shortened),
        "--key",
        str(HERE / "keys" / "last-mile.key"),
        "--step",
        "accepting",
        "-o",
        str(out),
    )
    assert again.returncode == 2  # accepting without the consumer's code is a usage error


# --------------------------------------------------------------------------- regressions
# Found in review: each was a way to a false VALID, a crash or a false finding.


def _seal_changed_at_customs() -> list[dict[str, Any]]:
    specs = _specs()
    for spec in specs[5:]:
        spec["seals"] = ["CH-SEAL-7001"]
    return _sign(specs)


@pytest.mark.parametrize("how", ["expanded-key", "other-prefix", "event-context"])
def test_regression_seals_hidden_under_another_spelling_of_the_key(
    how: str, trust: TrustSnapshot
) -> None:
    events = _seal_changed_at_customs()
    bundle = new_bundle(datetime(2026, 3, 22, tzinfo=UTC))
    bundle["epcisBody"]["eventList"] = events
    for event in events[5:]:
        seals = event.pop("inspectx:seals")
        if how == "expanded-key":
            event["{urn:inspectx:epcis:1:}seals"] = seals
        elif how == "other-prefix":
            event["ix:seals"] = seals
            bundle["@context"].append({"ix": "urn:inspectx:epcis:1:"})
        else:
            event["ix:seals"] = seals
            event["@context"] = {"ix": "urn:inspectx:epcis:1:"}
    report = _verify(json.dumps(bundle).encode(), trust)
    assert report.codes() == ["delivery.schema"]


def test_regression_inspectx_prefix_bound_elsewhere(trust: TrustSnapshot) -> None:
    bundle = json.loads(BUNDLE.read_bytes())
    bundle["@context"][1] = {"inspectx": "urn:evil:"}
    assert _verify(json.dumps(bundle).encode(), trust).codes() == ["delivery.schema"]


def test_regression_vocabulary_in_another_form_is_refused(trust: TrustSnapshot) -> None:
    bundle = json.loads(BUNDLE.read_bytes())
    bundle["epcisBody"]["eventList"][6]["sourceList"][0]["type"] = "cbv:SDT-possessing_party"
    assert _verify(json.dumps(bundle).encode(), trust).codes() == ["delivery.schema"]


def test_regression_taking_over_without_a_hand_over_from_the_holder(trust: TrustSnapshot) -> None:
    specs = _specs()
    del specs[6]["source"]  # the last-mile carrier just claims the parcel
    _refused(_verify(_sign(specs), trust), "delivery.custody-gap")


def test_regression_acknowledgement_not_to_a_consumer(trust: TrustSnapshot) -> None:
    specs = _specs()
    specs[7]["destination"] = BUILD.LAST_MILE + "lockers/"
    _refused(_verify(_sign(specs), trust), "delivery.not-delivered")


def test_regression_unpacked_goods_must_be_those_packed(trust: TrustSnapshot) -> None:
    specs = _specs()
    other = ["https://id.gs1.org/01/04260123450076/21/9999"]
    unpack = {**specs[6], "event_type": "AggregationEvent", "action": "DELETE",
              "biz_step": "unpacking", "parent_id": BUILD.PARCEL, "epcs": other,
              "event_time": specs[6]["event_time"] + timedelta(minutes=1)}  # fmt: skip
    unpack.pop("source")
    unpack.pop("destination")
    specs.insert(7, unpack)
    specs[8]["epcs"] = other
    report = _verify(_sign(specs), trust)
    _refused(report, "delivery.goods-mismatch")
    specs[7]["epcs"], specs[8]["epcs"] = [], BUILD.ITEMS  # unpack all: what was packed
    assert _verify(_sign(specs), trust).verdict.value == "VALID"


def test_regression_order_of_another_platform(trust: TrustSnapshot) -> None:
    report = _verify(BUNDLE.read_bytes(), trust, order=("other-shop.example", ORDER[1]))
    _refused(report, "delivery.order-mismatch")


def test_regression_reseal_by_a_carrier_and_broken_seal_at_delivery(trust: TrustSnapshot) -> None:
    specs = _specs()
    for spec in specs[3:]:
        spec["seals"] = ["DE-SEAL-0099999"]
    specs[3]["resealed"] = True  # the carrier "re-seals" at departure
    _refused(_verify(_sign(specs), trust), "delivery.reseal-not-allowed")
    specs = _specs()
    specs[7]["acknowledged"] = {**specs[7]["acknowledged"], "inspectx:sealIntact": "false"}
    report = _verify(_sign(specs), trust)
    assert report.verdict.value == "INDETERMINATE"
    assert report.codes() == ["delivery.seal-broken-at-delivery"]


def test_regression_presentation_log_is_not_poisoned_by_a_refused_presentation(
    trust: TrustSnapshot, tmp_path: Path
) -> None:
    log = FilePresentationLog(tmp_path / "presented.log")
    wrong = _verify(BUNDLE.read_bytes(), trust, order=(ORDER[0], "ORD-X"), presentations=log)
    assert "delivery.replayed" not in wrong.codes()
    assert not log.path.read_text()  # nothing remembered for a refused proof
    without_order = _verify(BUNDLE.read_bytes(), trust, order=None, presentations=log)
    with_order = _verify(BUNDLE.read_bytes(), trust, presentations=log)
    assert without_order.verdict.value == with_order.verdict.value == "VALID"


@pytest.mark.parametrize("body", ['"x"', "[]", "null", '{"eventList": "x"}'])
def test_regression_odd_epcis_body_is_reported_not_raised(body: str, trust: TrustSnapshot) -> None:
    data = f'{{"@context": [], "type": "EPCISDocument", "epcisBody": {body}}}'.encode()
    assert _verify(data, trust).codes() == ["delivery.schema"]


def test_certificate_that_is_not_admissible(trust: TrustSnapshot) -> None:
    tampered = CERT_BYTES.replace(b"Nordwerk", b"Nordwerx", 1)
    report = _verify(BUNDLE.read_bytes(), trust, certificate=tampered)
    _refused(report, "delivery.certificate-not-admissible")
    unlisted = (FIXTURES / "trust" / "signed" / "signer-not-listed.json").read_bytes()
    unsure = _verify(BUNDLE.read_bytes(), trust, certificate=unlisted)
    assert unsure.verdict.value == "INVALID"  # another certificate as well
    assert {"delivery.certificate-not-admissible", "delivery.certificate-mismatch"} <= set(
        unsure.codes()
    )
    assert any(
        c.status.value == "indeterminate" and c.code == "delivery.certificate-not-admissible"
        for c in unsure.checks
    )
