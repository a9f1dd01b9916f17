"""Custody events: the inspectx profile of GS1 EPCIS 2.0 events, and delivery-proof bundles.

A delivery proof is an EPCIS 2.0 JSON-LD document whose events carry, besides
the standard fields, a few members in the inspectx extension namespace
(:data:`NS`, prefix ``inspectx``)::

    inspectx:certificateDigest   "sha256:<hex>" of the certificate's content (any format)
    inspectx:previousEventIDs    the eventID(s) this event follows (hash links)
    inspectx:seals               seal numbers on the goods after this event
    inspectx:resealed            "true" on the event that legitimately changed them
    inspectx:evidence            [{inspectx:type, inspectx:digest}] photo, locker log, ...
    inspectx:acknowledgement     the consumer's confirmation (on the final accepting event)
    inspectx:proof               the actor's Data Integrity proof

``eventID`` is the CBV 2.0 event hash of the event without its proof, so it is the
same in JSON-LD and XML and links survive conversion. The proof signs the small
document ``{"type": "InspectxCustodyEvent", "eventID": ...}``: the eventID commits
to every hashed member, and unlike the JSON form it does not change when the event
is rendered in XML and read back (where one-item lists and numbers lose their JSON
type). All inspectx member values are strings, lists of strings or objects of
strings for the same reason.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote, unquote

from inspectx.errors import InspectxError
from inspectx.formats import certificate_to_data
from inspectx.model import Certificate
from inspectx.proofs.dataintegrity import PrivateKey, canonicalize, create_proof

__all__ = [
    "ACK",
    "CERTIFICATE_DIGEST",
    "EPCIS_CONTEXT",
    "EVIDENCE",
    "NS",
    "PREFIX",
    "PREVIOUS",
    "PROOF",
    "RESEALED",
    "SEALS",
    "DeliveryError",
    "acknowledgement",
    "append_event",
    "certificate_digest",
    "code_matches",
    "consumer_ref",
    "current_goods",
    "custody_event",
    "delivery_code_hash",
    "new_bundle",
    "order_ref",
    "parse_order_ref",
    "proof_document",
    "proof_of",
    "seal_event",
    "start_bundle",
    "unsigned_event",
]

NS: Final = "urn:inspectx:epcis:1:"
PREFIX: Final = "inspectx"
EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CERTIFICATE_DIGEST: Final = "inspectx:certificateDigest"
PREVIOUS: Final = "inspectx:previousEventIDs"
SEALS: Final = "inspectx:seals"
RESEALED: Final = "inspectx:resealed"
EVIDENCE: Final = "inspectx:evidence"
ACK: Final = "inspectx:acknowledgement"
PROOF: Final = "inspectx:proof"
_PROOF_TYPE: Final = "InspectxCustodyEvent"
_ORDER_URN: Final = "urn:inspectx:order:"
_PROOF_MEMBERS: Final = (
    "type",
    "cryptosuite",
    "created",
    "verificationMethod",
    "proofPurpose",
    "proofValue",
)


class DeliveryError(InspectxError):
    """A delivery proof or custody event cannot be read, built or signed (``delivery.*``)."""


def certificate_digest(certificate: Certificate) -> str:
    """``sha256:<hex>`` of the certificate's RFC 8785 canonical JSON without its proofs.

    The same for the JSON and the XML form of one certificate, and unchanged by
    countersigning: the delivery proof is bound to what the lab stated.
    """
    data = certificate_to_data(certificate)
    data.pop("proof", None)
    return "sha256:" + hashlib.sha256(canonicalize(data, what="certificate")).hexdigest()


def order_ref(platform: str, order_id: str) -> str:
    """The ``po`` business transaction of an order: ``urn:inspectx:order:<platform>:<id>``."""
    return f"{_ORDER_URN}{quote(platform, safe='')}:{quote(order_id, safe='')}"


def parse_order_ref(value: str) -> tuple[str, str] | None:
    """(platform, order id) of an :func:`order_ref` value; None for anything else."""
    if not value.startswith(_ORDER_URN):
        return None
    platform, sep, order_id = value[len(_ORDER_URN) :].partition(":")
    if not sep or not platform or not order_id:
        return None
    return unquote(platform), unquote(order_id)


def consumer_ref(salt: bytes, consumer_identity: str) -> str:
    """A pseudonymous party id for the consumer: a salted hash, never the name or address.

    The platform keeps the salt (for disputes); the proof holds only the hash.
    """
    digest = hashlib.sha256(salt + consumer_identity.encode("utf-8")).hexdigest()
    return f"urn:inspectx:consumer:sha256:{digest}"


def delivery_code_hash(salt_hex: str, code: str) -> str:
    """``sha256:<hex>`` of the salt and the one-time delivery code the platform issued.

    Not a secret: a six-digit code is found from its hash in a second. It need not be
    one: the code is worthless once used, and the hash is written only after the consumer
    gave it. What it proves is that whoever recorded the hand-over knew the code the
    platform sent the consumer, which the platform checks against its own record.
    """
    return "sha256:" + hashlib.sha256(bytes.fromhex(salt_hex) + code.encode("utf-8")).hexdigest()


def code_matches(acknowledgement: Mapping[str, Any], code: str) -> bool:
    """Whether ``code`` is the one the acknowledgement confirmed (constant-time compare)."""
    salt, expected = acknowledgement.get("inspectx:salt"), acknowledgement.get("inspectx:codeHash")
    if not isinstance(salt, str) or not isinstance(expected, str):
        return False
    try:
        actual = delivery_code_hash(salt, code)
    except ValueError:
        return False
    return hmac.compare_digest(actual.encode(), expected.encode())


def acknowledgement(
    code: str, *, method: str = "otp_code", condition: str = "ok", seal_intact: bool = True
) -> dict[str, str]:
    """The consumer's acknowledgement: the one-time code confirmed as a salted hash."""
    salt = secrets.token_hex(16)
    return {
        "inspectx:method": method,
        "inspectx:salt": salt,
        "inspectx:codeHash": delivery_code_hash(salt, code),
        "inspectx:condition": condition,
        "inspectx:sealIntact": "true" if seal_intact else "false",
    }


def _party_list(kind: str, party: str | None) -> list[dict[str, str]]:
    return [] if party is None else [{"type": "possessing_party", kind: party}]


def custody_event(
    *,
    event_type: str = "ObjectEvent",
    event_time: datetime,
    biz_step: str,
    certificate_id: str,
    certificate_digest: str,
    order: str,
    epcs: Sequence[str] = (),
    parent_id: str | None = None,
    action: str = "OBSERVE",
    disposition: str | None = None,
    read_point: str | None = None,
    source: str | None = None,
    destination: str | None = None,
    previous: Sequence[str] = (),
    seals: Sequence[str] = (),
    resealed: bool = False,
    evidence: Sequence[tuple[str, str]] = (),
    acknowledged: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An unsigned custody event in the inspectx profile (no eventID yet; see ``seal_event``).

    ``source``/``destination`` are the possessing parties of a hand-over; ``epcs`` are the
    goods (GS1 Digital Link URIs), or with an AggregationEvent the children of ``parent_id``.
    """
    if event_time.tzinfo is None:
        raise DeliveryError(
            "delivery.event-time",
            "the event time has no UTC offset",
            hint="give an aware datetime",
        )
    offset = event_time.strftime("%z")
    event: dict[str, Any] = {
        "type": event_type,
        "eventTime": event_time.isoformat(timespec="milliseconds"),
        "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
    }
    if parent_id is not None:
        event["parentID"] = parent_id
    event["childEPCs" if event_type == "AggregationEvent" else "epcList"] = list(epcs)
    event["action"] = action
    event["bizStep"] = biz_step
    if disposition is not None:
        event["disposition"] = disposition
    if read_point is not None:
        event["readPoint"] = {"id": read_point}
    event["bizTransactionList"] = [{"type": "po", "bizTransaction": order}]
    if source is not None:
        event["sourceList"] = _party_list("source", source)
    if destination is not None:
        event["destinationList"] = _party_list("destination", destination)
    event["certificationInfo"] = certificate_id
    event[CERTIFICATE_DIGEST] = certificate_digest
    if previous:
        event[PREVIOUS] = list(previous)
    if seals:
        event[SEALS] = list(seals)
    if resealed:
        event[RESEALED] = "true"
    if evidence:
        event[EVIDENCE] = [{"inspectx:type": t, "inspectx:digest": d} for t, d in evidence]
    if acknowledged is not None:
        event[ACK] = dict(acknowledged)
    return event


def unsigned_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event without its proof and eventID: what the event hash is taken over."""
    return {k: v for k, v in event.items() if k not in (PROOF, "eventID")}


def proof_document(event_id: str) -> dict[str, str]:
    """What an actor's proof signs: the event's content hash, typed so that no other
    inspectx proof (a certificate's, a trust list's) can stand in for it."""
    return {"type": _PROOF_TYPE, "eventID": event_id}


def proof_of(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The event's proof as a Data Integrity proof object (its members unprefixed)."""
    raw = event.get(PROOF)
    if not isinstance(raw, Mapping):
        return None
    return {name: raw[f"{PREFIX}:{name}"] for name in _PROOF_MEMBERS if f"{PREFIX}:{name}" in raw}


def seal_event(
    event: Mapping[str, Any],
    *,
    private_key: PrivateKey,
    verification_method: str,
    created: datetime,
    namespaces: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The event with its eventID (the CBV 2.0 event hash) and the actor's proof."""
    from inspectx.delivery.eventhash import event_hash

    body = unsigned_event(event)
    event_id = event_hash(body, {PREFIX: NS, **(namespaces or {})})
    proof = create_proof(
        proof_document(event_id),
        private_key=private_key,
        verification_method=verification_method,
        created=created,
    )
    return {
        "eventID": event_id,
        **body,
        PROOF: {f"{PREFIX}:{name}": proof[name] for name in _PROOF_MEMBERS if name in proof},
    }


def current_goods(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """The goods in custody after the last of ``events``, as the verifier tracks them: the
    parcel after it is packed or observed, what was packed into it after it is unpacked,
    else the goods the event names."""
    last = events[-1]
    if last.get("type") != "AggregationEvent":
        return list(last.get("epcList", ()))
    parent = last["parentID"]
    if last.get("action") != "DELETE":
        return [parent]
    if last.get("childEPCs"):
        return list(last["childEPCs"])
    for event in reversed(events):
        if event.get("action") == "ADD" and event.get("parentID") == parent:
            return list(event.get("childEPCs", ()))
    return []


def append_event(
    bundle: Mapping[str, Any],
    *,
    private_key: PrivateKey,
    verification_method: str,
    created: datetime,
    event_time: datetime,
    biz_step: str,
    epcs: Sequence[str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The bundle with one more event, signed, linked to its last event and naming the
    same certificate and order. The goods default to those in custody after the last
    event; seals carry over unless given. ``fields`` are those of :func:`custody_event`."""
    events = bundle["epcisBody"]["eventList"]
    if not events:
        raise DeliveryError(
            "delivery.empty-bundle",
            "the delivery proof has no event to link to",
            hint="start a proof with the lab's event (inspectx delivery event --new)",
        )
    last = events[-1]
    order = next(t["bizTransaction"] for t in last["bizTransactionList"] if t["type"] == "po")
    fields.setdefault("seals", last.get(SEALS, ()))
    event = custody_event(
        event_time=event_time,
        biz_step=biz_step,
        certificate_id=last["certificationInfo"],
        certificate_digest=last[CERTIFICATE_DIGEST],
        order=order,
        epcs=current_goods(events) if epcs is None else epcs,
        previous=[last["eventID"]],
        **fields,
    )
    sealed = seal_event(
        event, private_key=private_key, verification_method=verification_method, created=created
    )
    return {**bundle, "epcisBody": {**bundle["epcisBody"], "eventList": [*events, sealed]}}


def start_bundle(
    certificate: Certificate,
    *,
    order: str,
    private_key: PrivateKey,
    verification_method: str,
    created: datetime,
    **fields: Any,
) -> dict[str, Any]:
    """A new delivery proof: its first event (the lab's), signed, for ``certificate``
    and ``order`` (see :func:`order_ref`). ``fields`` are those of :func:`custody_event`."""
    event = custody_event(
        certificate_id=certificate.id,
        certificate_digest=certificate_digest(certificate),
        order=order,
        **fields,
    )
    sealed = seal_event(
        event, private_key=private_key, verification_method=verification_method, created=created
    )
    return new_bundle(created, [sealed])


def new_bundle(creation_date: datetime, events: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """An EPCIS 2.0 JSON-LD document holding custody events: the delivery proof bundle."""
    return {
        "@context": [EPCIS_CONTEXT, {PREFIX: NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": creation_date.isoformat(timespec="milliseconds"),
        "epcisBody": {"eventList": [dict(e) for e in events]},
    }
