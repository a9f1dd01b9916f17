"""Verify a delivery proof: the numbered steps of DESIGN §7, in one pass over the events.

1 event ids        every eventID is the CBV 2.0 hash of its event
2 links            previousEventIDs form one path, no forks, merges or cycles, in bundle
                   order, from the lab's event to the consumer's acknowledgement
3 signatures       every event signed by a listed actor whose role allows the step, whose
                   key was valid and whose service was active at the event time
4 custody          each hand-over starts with whoever held the goods, and is signed by
                   one of its two parties; carriers and platforms only observe what they hold
5 goods and seals  the same goods (or the parcel packed from them) throughout; seals
                   unchanged unless an event declares a re-seal
6 times            non-decreasing within the skew, none in the future, none after the
                   certificate's validity
7 certificate      the certificate given is admissible (DESIGN §6) and is the one every
                   event names, by id and content digest; one order throughout, the one
                   presented
8 acknowledgement  the consumer's one-time code matches the platform's record; the same
                   proof is never accepted for a second order

The verdict is as in §6. Verification is O(n) in events: each event is hashed and
verified once, and every lookup is a dictionary access. Pure: the bundle, the
certificate, the trust snapshot, the clock and the presentation log are arguments.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from inspectx.delivery.events import (
    ACK,
    CERTIFICATE_DIGEST,
    EVIDENCE,
    NS,
    PREFIX,
    PREVIOUS,
    PROOF,
    RESEALED,
    SEALS,
    DeliveryError,
    certificate_digest,
    code_matches,
    order_ref,
    parse_order_ref,
    proof_document,
    proof_of,
    unsigned_event,
)
from inspectx.errors import InspectxError
from inspectx.formats.certificate import detect_format
from inspectx.formats.limits import DEFAULT_LIMITS, Limits
from inspectx.formats.safejson import load_json
from inspectx.model import Certificate
from inspectx.proofs.dataintegrity import ProofError, verify_proof
from inspectx.trust.fetch import TrustSnapshot
from inspectx.trust.lists import Entity, ServiceStatus
from inspectx.trust.verify import Check, CheckStatus, StepLog, verify_admissible
from inspectx.validation.report import Verdict

__all__ = [
    "DEFAULT_SKEW",
    "DELIVERY_LIMITS",
    "DeliveryReport",
    "FilePresentationLog",
    "MemoryPresentationLog",
    "PresentationLog",
    "TimelineEntry",
    "read_bundle",
    "verify_delivery",
]

DEFAULT_SKEW = timedelta(seconds=300)
MAX_EVENTS = 100_000
#: a 100,000-event proof is about 150 MB of JSON-LD and 6 M XML elements
DELIVERY_LIMITS = Limits(max_bytes=256 * 1024 * 1024, max_elements=10_000_000)
SCHEMA_FILE = "inspectx-delivery.schema.json"
STEPS = (
    "event ids",
    "links",
    "signatures and roles",
    "custody",
    "goods and seals",
    "times",
    "certificate and order",
    "acknowledgement",
)
_FINDINGS_PER_STEP = 20
_LAB_STEPS = frozenset({"sampling", "inspecting"})
# which entity roles (trust list) may sign which business step (CBV 2.0)
ROLES_FOR_STEP: Mapping[str, frozenset[str]] = {
    "sampling": frozenset({"testing-lab", "inspection-body"}),
    "inspecting": frozenset({"testing-lab", "inspection-body", "customs-office"}),
    "packing": frozenset({"platform", "carrier"}),
    "unpacking": frozenset({"platform", "carrier"}),
    "shipping": frozenset({"platform", "carrier"}),
    "departing": frozenset({"carrier", "customs-office"}),
    "arriving": frozenset({"carrier", "customs-office"}),
    "transporting": frozenset({"carrier"}),
    "loading": frozenset({"carrier"}),
    "unloading": frozenset({"carrier"}),
    "storing": frozenset({"carrier", "platform"}),
    "holding": frozenset({"carrier", "customs-office"}),
    "receiving": frozenset({"carrier", "platform"}),
    "accepting": frozenset({"carrier", "platform"}),
}
# roles that observe goods without holding them
_OBSERVERS = frozenset({"testing-lab", "inspection-body", "certification-body", "customs-office"})
# who may open goods and seal them again (an inspection, a repacking)
_RESEALERS = frozenset({"customs-office", "inspection-body", "platform"})
_CONSUMER = "urn:inspectx:consumer:"
_BAD_CONDITIONS = {"damaged", "partial"}


# --------------------------------------------------------------------------- presentations


class PresentationLog(Protocol):
    """Where a platform remembers the order each delivery proof was accepted for."""

    def record(self, proof_id: str, order: str, *, commit: bool) -> str | None:
        """The other order ``proof_id`` was accepted for, if any; else, when ``commit``
        (the proof verified), remember it for ``order``. One atomic step."""
        ...


@dataclass(slots=True)
class MemoryPresentationLog:
    seen: dict[str, str] = field(default_factory=dict)

    def record(self, proof_id: str, order: str, *, commit: bool) -> str | None:
        first = self.seen.get(proof_id)
        if first is None and commit:
            self.seen[proof_id] = order
        return first if first is not None and first != order else None


@dataclass(frozen=True, slots=True)
class FilePresentationLog:
    """A presentation log in a text file, one ``proof-id TAB order`` line per proof, read
    and appended under an exclusive lock so that concurrent verifiers agree."""

    path: Path

    def record(self, proof_id: str, order: str, *, commit: bool) -> str | None:
        if "\t" in order or "\n" in order:
            raise DeliveryError(
                "delivery.order-id",
                "an order may not contain a tab or a line break",
                hint="give the platform's order id as it is",
            )
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise DeliveryError(
                "delivery.presentation-log",
                f"cannot open the presentation log {self.path}: {exc.strerror}",
                hint="check the path and its permissions",
            ) from None
        try:
            with os.fdopen(fd, "r+b") as log:
                try:
                    import fcntl

                    fcntl.flock(log, fcntl.LOCK_EX)  # released when the file is closed
                except ImportError:  # not POSIX: one verifier at a time is the operator's part
                    pass
                log.seek(0)
                for line in log.read().decode("utf-8").splitlines():
                    seen_id, _, seen_order = line.partition("\t")
                    if seen_id == proof_id:
                        return seen_order if seen_order != order else None
                if commit:
                    log.write(f"{proof_id}\t{order}\n".encode())
                    log.flush()
                    os.fsync(log.fileno())
        except (OSError, UnicodeDecodeError) as exc:
            raise DeliveryError(
                "delivery.presentation-log",
                f"cannot use the presentation log {self.path}: {exc}",
                hint="check the path, its permissions and that it is the log inspectx wrote",
            ) from None
        return None


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEntry:
    event_id: str
    time: datetime
    biz_step: str
    actor: str | None  # the signer's entity name, when listed
    source: str | None
    destination: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReport:
    """The verdict, every step, and what the proof was judged against.

    ``timeline`` is the chain in link order (empty when the links are broken);
    ``certificate`` is the model parsed from the verified certificate bytes.
    """

    verdict: Verdict
    checks: tuple[Check, ...]
    sha256: str
    at: datetime
    order: str | None
    head_event_id: str | None
    timeline: tuple[TimelineEntry, ...]
    certificate: Certificate | None
    trust_list_id: str
    trust_sequence: int

    def failing(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status in ("failed", "indeterminate"))

    def codes(self) -> list[str]:
        return [c.code for c in self.failing() if c.code]


class _Steps(StepLog):
    def __init__(self) -> None:
        super().__init__(STEPS, per_step=_FINDINGS_PER_STEP)

    def refuse(self, step: int, code: str, message: str, hint: str, location: str | None) -> None:
        self.add(step, CheckStatus.FAILED, code, message, hint, location)

    def unsure(self, step: int, code: str, message: str, hint: str, location: str | None) -> None:
        self.add(step, CheckStatus.INDETERMINATE, code, message, hint, location)

    def skip(self, step: int, why: str) -> None:
        self.add(step, CheckStatus.SKIPPED, message=why)


# --------------------------------------------------------------------------- reading


@cache
def _validator() -> Any:
    import jsonschema_rs

    text = (resources.files("inspectx") / "schemas" / SCHEMA_FILE).read_text("utf-8")
    return jsonschema_rs.validator_for(json.loads(text))


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def read_bundle(data: bytes, limits: Limits = DELIVERY_LIMITS) -> dict[str, Any]:
    """A delivery proof (EPCIS 2.0 JSON-LD or XML) as JSON-LD data meeting the bundle schema.

    Raises :class:`DeliveryError` ``delivery.malformed`` or ``delivery.schema``.
    """
    try:
        if detect_format(data) == "xml":
            from inspectx.delivery.epcis import xml_to_jsonld

            document: Any = xml_to_jsonld(data, limits)
            # XML cannot tell a one-item list from a value: the profile's lists are lists
            for event in document.get("epcisBody", {}).get("eventList", []):
                for name in (PREVIOUS, SEALS, EVIDENCE):
                    if name in event:
                        event[name] = _as_list(event[name])
        else:
            document = load_json(data, limits)
    except DeliveryError:
        raise
    except InspectxError as exc:
        raise DeliveryError(
            "delivery.malformed",
            f"the delivery proof is not acceptable JSON-LD or XML: {exc.message}",
            hint=exc.hint or "give an EPCIS 2.0 document made by inspectx delivery",
            location=exc.location,
        ) from None
    body = document.get("epcisBody") if isinstance(document, dict) else None
    events = body.get("eventList") if isinstance(body, dict) else None
    if isinstance(events, list) and len(events) > MAX_EVENTS:
        raise DeliveryError(
            "delivery.too-many-events",
            f"the delivery proof has {len(events)} events, over {MAX_EVENTS}",
            hint="a custody chain this long is not one inspectx accepts",
        )
    errors = list(_validator().iter_errors(document))
    if errors:
        first = errors[0]
        raise DeliveryError(
            "delivery.schema",
            f"the delivery proof breaks its schema: {first.message}",
            hint="see schemas/inspectx-delivery.schema.json",
            location="/" + "/".join(str(p) for p in first.instance_path),
        )
    assert isinstance(document, dict)
    _check_context(document)
    return document


def _check_context(document: Mapping[str, Any]) -> None:
    """The ``inspectx`` prefix must name the inspectx namespace, and no other prefix may:
    the verifier reads ``inspectx:`` members by name, the event hash by namespace."""
    from inspectx.delivery.eventhash import context_namespaces

    namespaces = context_namespaces(document.get("@context"))
    others = sorted(p for p, ns in namespaces.items() if ns == NS and p != PREFIX)
    if namespaces.get(PREFIX) != NS or others:
        raise DeliveryError(
            "delivery.schema",
            f"the @context must bind the prefix {PREFIX!r} to {NS} and no other prefix to it"
            + (f" (also bound: {', '.join(others)})" if others else ""),
            hint="give the @context inspectx delivery writes",
            location="/@context",
        )


def _namespaces(document: Mapping[str, Any]) -> dict[str, str]:
    from inspectx.delivery.eventhash import context_namespaces

    return context_namespaces(document.get("@context"))


# --------------------------------------------------------------------------- the steps


def _possessor(event: Mapping[str, Any], which: str) -> str | None:
    # the schema holds vocabulary values to their bare CBV names, as the hash reads them
    for entry in event.get(f"{which}List", ()):
        if entry["type"] == "possessing_party":
            value: str | None = entry.get(which)
            return value
    return None


def _orders(event: Mapping[str, Any]) -> list[str]:
    return [
        t.get("bizTransaction", "")
        for t in event.get("bizTransactionList", ())
        if t["type"] == "po"
    ]


def _binding(event: Mapping[str, Any]) -> tuple[Any, ...]:
    """What ties an event to one delivery: its certificate and its order."""
    return (event.get("certificationInfo"), event.get(CERTIFICATE_DIGEST), *_orders(event))


def _where(index: int, member: str | None = None) -> str:
    return f"/epcisBody/eventList/{index}" + (f"/{member}" if member else "")


def _link_step(
    steps: _Steps, events: Sequence[Mapping[str, Any]]
) -> list[int] | None:  # the chain as event indexes, or None when it is not one path
    index_of: dict[str, int] = {}
    for i, event in enumerate(events):
        event_id = event["eventID"]
        if event_id in index_of:
            steps.refuse(
                2,
                "delivery.duplicate-event",
                f"event {i} repeats event {index_of[event_id]}",
                "each event appears once",
                _where(i),
            )
            return None
        index_of[event_id] = i
    successor: dict[int, int] = {}
    roots: list[int] = []
    for i, event in enumerate(events):
        previous = event.get(PREVIOUS, [])
        if not previous:
            roots.append(i)
            continue
        if len(previous) > 1:
            steps.refuse(
                2,
                "delivery.merge",
                f"event {i} follows {len(previous)} events",
                "a delivery proof is one path of custody",
                _where(i, PREVIOUS),
            )
            return None
        before = index_of.get(previous[0])
        if before is None:
            if _binding(event) != _binding(events[0]):
                steps.refuse(
                    2,
                    "delivery.spliced",
                    f"event {i} continues another proof: it follows an event that is "
                    "not here, for another order or certificate",
                    "two custody chains were joined; neither proves this delivery",
                    _where(i, PREVIOUS),
                )
            else:
                steps.refuse(
                    2,
                    "delivery.broken-link",
                    f"event {i} follows an event that is not in the proof",
                    "an event between these two was left out or changed",
                    _where(i, PREVIOUS),
                )
            return None
        if before in successor:
            steps.refuse(
                2,
                "delivery.fork",
                f"events {successor[before]} and {i} both follow event {before}",
                "two custody histories branch from one event; only one can be true",
                _where(i, PREVIOUS),
            )
            return None
        successor[before] = i
    if not roots:
        steps.refuse(
            2,
            "delivery.cycle",
            "every event follows another: the links form a cycle",
            "a custody chain starts with the lab's event",
            None,
        )
        return None
    chain = [roots[0]]
    while chain[-1] in successor and len(chain) <= len(events):
        chain.append(successor[chain[-1]])
    if len(roots) > 1 or len(chain) != len(events):
        if len(roots) == 1:
            steps.refuse(
                2,
                "delivery.cycle",
                "some events link to each other in a cycle",
                "each event follows an earlier one",
                None,
            )
        else:
            steps.refuse(
                2,
                "delivery.disconnected",
                f"the events form {len(roots)} separate chains",
                "a delivery proof is one chain; were two proofs spliced?",
                _where(roots[1]),
            )
        return None
    if chain != list(range(len(events))):
        first = next(i for i, c in enumerate(chain) if c != i)
        steps.refuse(
            2,
            "delivery.out-of-order",
            f"event {chain[first]} comes {first + 1}. in the chain but is listed "
            f"{chain[first] + 1}.",
            "list events in the order they link",
            _where(chain[first]),
        )
        return None
    root = events[0]
    if root["bizStep"] not in _LAB_STEPS:
        steps.refuse(
            2,
            "delivery.no-lab-event",
            "the chain does not start with the lab's sampling or inspection",
            "a delivery proof starts where the certificate's goods were inspected",
            _where(0, "bizStep"),
        )
    head = events[-1]
    consumer = _possessor(head, "destination") or ""
    if head["bizStep"] != "accepting" or ACK not in head or not consumer.startswith(_CONSUMER):
        steps.refuse(
            2,
            "delivery.not-delivered",
            "the chain ends before the consumer's acknowledgement",
            "the goods are not shown to have been delivered",
            _where(len(events) - 1),
        )
    steps.close(2, f"{len(events)} events in one chain")
    return chain


def _signature_step(
    steps: _Steps,
    events: Sequence[Mapping[str, Any]],
    times: Sequence[datetime | None],
    trust: TrustSnapshot,
    when: datetime,
) -> list[Entity | None]:
    actors: list[Entity | None] = []
    trust_list = trust.trust_list
    for i, event in enumerate(events):
        actors.append(None)
        proof = proof_of(event)
        if not proof:
            steps.refuse(
                3,
                "delivery.unsigned",
                f"event {i} carries no proof",
                "every custody event is signed by its actor",
                _where(i, PROOF),
            )
            continue
        listing = trust_list.find_key(str(proof.get("verificationMethod", "")))
        if listing is None:
            steps.unsure(
                3,
                "delivery.signer-not-listed",
                f"event {i} is signed by a key the trust list does not name",
                "a human must decide whether to trust this actor",
                _where(i, PROOF),
            )
            continue
        entity, service, key = listing
        try:
            if isinstance(key.public_key, rsa.RSAPublicKey):
                raise ProofError(
                    "proof.algorithm-not-allowed", "an RSA key cannot make Data Integrity proofs"
                )
            verify_proof(proof_document(event["eventID"]), proof, public_key=key.public_key)
        except ProofError as exc:
            steps.refuse(
                3,
                "delivery.signature",
                f"event {i}: {exc.message}",
                "the event is not what its actor signed",
                _where(i, PROOF),
            )
            continue
        actors[-1] = entity
        step = event["bizStep"]
        allowed = ROLES_FOR_STEP.get(step)
        if allowed is None:
            steps.refuse(
                3,
                "delivery.step-not-in-profile",
                f"event {i} has business step {step!r}, which no actor may sign",
                f"use one of: {', '.join(sorted(ROLES_FOR_STEP))}",
                _where(i, "bizStep"),
            )
        elif not allowed & set(entity.roles):
            steps.refuse(
                3,
                "delivery.actor-role",
                f"event {i} ({step}) is signed by {entity.name}, a "
                f"{'/'.join(entity.roles)}, not a {' or '.join(sorted(allowed))}",
                "an actor signs only the steps its role performs",
                _where(i, PROOF),
            )
        at = times[i]
        if at is None:
            continue
        if (key.valid_from and at < key.valid_from) or (key.valid_until and at > key.valid_until):
            steps.refuse(
                3,
                "delivery.key-outside-validity",
                f"event {i} at {at.isoformat()} is signed with a key listed as valid "
                f"{key.valid_from.isoformat() if key.valid_from else '…'} to "
                f"{key.valid_until.isoformat() if key.valid_until else '…'}",
                "the key was used outside its validity window in the trust list",
                _where(i, PROOF),
            )
        status = service.status_at(at)
        if status is not ServiceStatus.ACCREDITED:
            steps.refuse(
                3,
                "delivery.actor-not-active",
                f"{entity.name}'s {service.type} service was "
                f"{status or 'not yet listed'} at event {i} ({at.isoformat()})",
                "an event signed while suspended or withdrawn proves nothing",
                _where(i, PROOF),
            )
        elif service.status_at(when) is not ServiceStatus.ACCREDITED:
            steps.unsure(
                3,
                "delivery.actor-status-changed",
                f"{entity.name}'s service was active at event {i} but is "
                f"{service.status_at(when)} now; the event time is the actor's claim",
                "a human must decide; a trusted time-stamp would settle it",
                _where(i, PROOF),
            )
    steps.close(3, f"{len(events)} events signed by listed actors")
    return actors


def _custody_step(
    steps: _Steps, events: Sequence[Mapping[str, Any]], actors: Sequence[Entity | None]
) -> None:
    holder: str | None = None
    for i, event in enumerate(events):
        source, destination = _possessor(event, "source"), _possessor(event, "destination")
        actor = actors[i]
        if destination is not None and holder is not None and source != holder:
            steps.refuse(
                4,
                "delivery.custody-gap",
                f"event {i} hands over from {source or 'nobody named'}, but {holder} held "
                "the goods",
                "a hand-over starts with whoever held the goods",
                _where(i, "sourceList"),
            )
        if actor is not None:
            if source is not None or destination is not None:
                if actor.id not in (source, destination):
                    steps.refuse(
                        4,
                        "delivery.actor-not-party",
                        f"event {i} is a hand-over between {source} and {destination} "
                        f"signed by {actor.name}, who is neither",
                        "a hand-over is signed by one of its parties",
                        _where(i, PROOF),
                    )
            elif holder is not None and actor.id != holder and not _OBSERVERS & set(actor.roles):
                steps.refuse(
                    4,
                    "delivery.actor-not-possessor",
                    f"event {i} is signed by {actor.name}, but {holder} held the goods",
                    "only the holder, a lab or customs records goods it observes",
                    _where(i, PROOF),
                )
        if destination is not None:
            holder = destination
    steps.close(4, f"held last by {holder}" if holder else "")


def _goods_step(
    steps: _Steps, events: Sequence[Mapping[str, Any]], actors: Sequence[Entity | None]
) -> None:
    goods: frozenset[str] | None = None  # in custody: the items, or the parcel holding them
    packed: dict[str, frozenset[str]] = {}  # parcel -> what was packed into it
    seals: frozenset[str] | None = None

    def mismatch(i: int, message: str, member: str) -> None:
        hint = "each event names the goods (or the parcel holding them) in custody"
        steps.refuse(5, "delivery.goods-mismatch", f"event {i} {message}", hint, _where(i, member))

    for i, event in enumerate(events):
        if event["type"] == "AggregationEvent":
            parent, children = event["parentID"], frozenset(event.get("childEPCs", ()))
            inside = packed.get(parent)
            if event["action"] == "ADD":
                if goods is not None and children != goods:
                    mismatch(i, "packs other goods than the chain carried", "childEPCs")
                packed[parent] = children
                now = frozenset({parent})
            elif event["action"] == "DELETE":
                now = children or inside or frozenset()
                if goods is not None and parent not in goods:
                    mismatch(i, f"unpacks {parent}, which the chain did not carry", "parentID")
                elif inside is not None and now != inside:
                    mismatch(i, "takes other goods out of the parcel than were packed", "childEPCs")
                elif not now:
                    mismatch(i, "unpacks a parcel whose contents no event names", "childEPCs")
            else:  # OBSERVE: the parcel, and its contents if named
                now = frozenset({parent})
                if goods is not None and now != goods:
                    mismatch(i, f"observes {parent}, which the chain did not carry", "parentID")
                elif children and inside is not None and children != inside:
                    mismatch(i, "finds other goods in the parcel than were packed", "childEPCs")
        else:
            now = frozenset(event["epcList"])
            if goods is not None and now != goods:
                mismatch(i, "is about other goods than the chain carried", "epcList")
        goods = now
        reported = event.get(SEALS)
        if reported is None:
            continue
        current = frozenset(reported)
        if seals is not None and current != seals:
            actor = actors[i]
            if event.get(RESEALED) != "true":
                steps.refuse(
                    5,
                    "delivery.seal-changed",
                    f"event {i} reports seals {sorted(current)}, not {sorted(seals)}, "
                    "and no re-seal was declared",
                    "the parcel was opened without a recorded re-seal",
                    _where(i, SEALS),
                )
            elif actor is not None and not _RESEALERS & set(actor.roles):
                steps.refuse(
                    5,
                    "delivery.reseal-not-allowed",
                    f"event {i} declares a re-seal by {actor.name}, a {'/'.join(actor.roles)}",
                    "only customs, an inspection body or the platform re-seal goods",
                    _where(i, RESEALED),
                )
        seals = current
    steps.close(5, f"seals {', '.join(sorted(seals))}" if seals else "")


def _time_step(
    steps: _Steps,
    events: Sequence[Mapping[str, Any]],
    times: Sequence[datetime | None],
    when: datetime,
    skew: timedelta,
    cert: Certificate | None,
) -> None:
    last: datetime | None = None
    for i, at in enumerate(times):
        if at is None:
            steps.refuse(
                6,
                "delivery.event-time",
                f"event {i} has no readable time",
                "give eventTime as an RFC 3339 time with offset",
                _where(i, "eventTime"),
            )
            continue
        if last is not None and at < last - skew:
            steps.refuse(
                6,
                "delivery.time-order",
                f"event {i} ({at.isoformat()}) is earlier than the event before it "
                f"({last.isoformat()}) by more than {int(skew.total_seconds())} s",
                "events follow each other in time",
                _where(i, "eventTime"),
            )
        if at > when + skew:
            steps.refuse(
                6,
                "delivery.future-event",
                f"event {i} is dated {at.isoformat()}, after the verification time",
                "check the actor's clock and the verification time (--at)",
                _where(i, "eventTime"),
            )
        if cert is not None and cert.valid_until is not None and at > cert.valid_until:
            steps.refuse(
                6,
                "delivery.outside-certificate-validity",
                f"event {i} is after the certificate expired ({cert.valid_until.isoformat()})",
                "the goods were moved on an expired certificate",
                _where(i, "eventTime"),
            )
        # the lab samples before it certifies; every later event needs the certificate
        if i > 0 and cert is not None and cert.valid_from is not None and at < cert.valid_from:
            steps.refuse(
                6,
                "delivery.outside-certificate-validity",
                f"event {i} is before the certificate's validity began "
                f"({cert.valid_from.isoformat()})",
                "the goods were moved before the certificate covered them",
                _where(i, "eventTime"),
            )
        last = at
    steps.close(6)


def _certificate_step(
    steps: _Steps,
    events: Sequence[Mapping[str, Any]],
    certificate: bytes,
    trust: TrustSnapshot,
    when: datetime,
    presented: tuple[str, str] | None,
    root_signer: Entity | None,
    limits: Limits,
) -> tuple[Certificate | None, str | None]:
    admissible = verify_admissible(certificate, trust=trust, at=when, limits=limits)
    cert = admissible.certificate
    if cert is not None and root_signer is not None and not root_signer.is_issuer_of(cert):
        steps.refuse(
            7,
            "delivery.root-not-issuer",
            f"the chain starts with an event by {root_signer.name}, not by the certificate's "
            f"issuer {cert.issuer.name}",
            "the custody chain starts where the issuing lab held the goods",
            _where(0, PROOF),
        )
    if admissible.verdict is not Verdict.VALID:
        codes = ", ".join(c.code or c.name for c in admissible.failing())
        (steps.refuse if admissible.verdict is Verdict.INVALID else steps.unsure)(
            7,
            "delivery.certificate-not-admissible",
            f"the certificate is {admissible.verdict.value}: {codes}",
            "verify it alone (inspectx verify CERT --trust LIST) for the details",
            None,
        )
    digest = certificate_digest(cert) if cert is not None else None
    orders: set[str] = set()
    for i, event in enumerate(events):
        if cert is not None and (
            event.get("certificationInfo") != cert.id or event.get(CERTIFICATE_DIGEST) != digest
        ):
            steps.refuse(
                7,
                "delivery.certificate-mismatch",
                f"event {i} is about another certificate, or another version of it",
                "the proof belongs to other goods than this certificate's",
                _where(i, "certificationInfo"),
            )
        found = _orders(event)
        if len(found) != 1:
            steps.refuse(
                7,
                "delivery.order-mismatch",
                f"event {i} names {len(found)} orders, not one",
                "every event names the order it fulfils",
                _where(i, "bizTransactionList"),
            )
        orders.update(found)
    order = next(iter(orders)) if len(orders) == 1 else None
    if len(orders) > 1:
        steps.refuse(
            7,
            "delivery.order-mismatch",
            f"the events name {len(orders)} different orders",
            "a delivery proof is for one order; were two proofs spliced?",
            None,
        )
    parsed = parse_order_ref(order) if order else None
    if presented is not None and parsed != presented:
        shown = ":".join(parsed) if parsed else order
        steps.refuse(
            7,
            "delivery.order-mismatch",
            f"the proof is for order {shown}, not {':'.join(presented)}",
            "a proof for one order proves nothing about another",
            None,
        )
    if cert is not None and parsed is not None and cert.consignment is not None:
        refs = {(r.platform, r.order_id) for r in cert.consignment.order_refs}
        if refs and parsed not in refs:
            steps.refuse(
                7,
                "delivery.order-not-in-certificate",
                f"the certificate's consignment does not include order {parsed[1]}",
                "the inspected goods were for other orders",
                None,
            )
    steps.close(7, f"{cert.id if cert else ''}, order {parsed[1] if parsed else order}")
    return cert, order


def _acknowledgement_step(
    steps: _Steps, events: Sequence[Mapping[str, Any]], delivery_code: str | None
) -> None:
    head = events[-1]
    ack = head.get(ACK)
    where = _where(len(events) - 1, ACK)
    if not isinstance(ack, Mapping):
        steps.skip(8, "no acknowledgement: not delivered (step 2)")
        return
    if delivery_code is None:
        steps.unsure(
            8,
            "delivery.code-not-checked",
            "the platform's delivery code was not given; the acknowledgement "
            "is the carrier's claim",
            "give the order's one-time code (--delivery-code)",
            where,
        )
    elif not code_matches(ack, delivery_code):
        steps.refuse(
            8,
            "delivery.code-mismatch",
            "the confirmed code is not the one the platform issued for this order",
            "the goods were handed to someone without the consumer's code",
            where,
        )
    condition = ack.get("inspectx:condition")
    if condition == "refused":
        steps.refuse(
            8,
            "delivery.refused",
            "the consumer refused the goods",
            "a refused delivery is not a delivery",
            where,
        )
    elif condition in _BAD_CONDITIONS:
        steps.unsure(
            8,
            f"delivery.condition-{condition}",
            f"the consumer accepted the goods as {condition}",
            "a human must look at the evidence",
            where,
        )
    if ack.get("inspectx:sealIntact") == "false":
        steps.unsure(
            8,
            "delivery.seal-broken-at-delivery",
            "the consumer received the goods with a broken seal",
            "a human must look at the evidence",
            where,
        )
    steps.close(8, f"{ack.get('inspectx:method', '')}, {condition or 'ok'}")


def _replay_check(
    steps: _Steps, events: Sequence[Mapping[str, Any]], order: str, log: PresentationLog
) -> None:
    # keyed by the acknowledgement's eventID: a content hash, immune to signature malleability
    head = events[-1]["eventID"]
    first = log.record(head, order, commit=steps.verdict() is Verdict.VALID)
    if first is not None:
        steps.refuse(
            8,
            "delivery.replayed",
            f"this proof was already accepted for order {first}",
            "one delivery proves one order; this is a replay",
            _where(len(events) - 1, "eventID"),
        )


def verify_delivery(
    bundle: bytes,
    *,
    certificate: bytes,
    trust: TrustSnapshot,
    order: tuple[str, str] | None = None,
    delivery_code: str | None = None,
    presentations: PresentationLog | None = None,
    at: datetime | None = None,
    skew: timedelta = DEFAULT_SKEW,
    limits: Limits = DELIVERY_LIMITS,
    certificate_limits: Limits = DEFAULT_LIMITS,
) -> DeliveryReport:
    """Run the eight steps on a delivery proof (EPCIS 2.0 JSON-LD or XML bytes).

    ``certificate`` is the certificate's bytes (JSON or XML; it is verified against
    ``trust`` too); ``order`` the (platform, order id) the proof is presented for;
    ``delivery_code`` the one-time code the platform issued for it; ``presentations``
    remembers the order a proof was accepted for, so that presenting it for another
    order is refused as a replay (a proof is remembered only once it verified).
    ``at`` is the verification clock (default now). Never raises for a bad bundle:
    the report says what failed.
    """
    from inspectx.delivery.eventhash import event_hash

    when = (at or datetime.now(UTC)).astimezone(UTC)
    steps = _Steps()
    sha256 = hashlib.sha256(bundle).hexdigest()
    judged: dict[str, Any] = {
        "sha256": sha256,
        "at": when,
        "trust_list_id": trust.trust_list.id,
        "trust_sequence": trust.trust_list.sequence_number,
    }
    try:
        document = read_bundle(bundle, limits)
    except InspectxError as exc:
        steps.fail(1, exc)
        steps.skip_the_rest("the proof could not be read")
        return DeliveryReport(
            verdict=steps.verdict(),
            checks=tuple(steps.checks),
            order=None,
            head_event_id=None,
            timeline=(),
            certificate=None,
            **judged,
        )
    events: list[dict[str, Any]] = document["epcisBody"]["eventList"]
    namespaces = _namespaces(document)
    for i, event in enumerate(events):
        try:
            computed = event_hash(unsigned_event(event), namespaces)
        except InspectxError as exc:
            steps.refuse(1, exc.code, f"event {i}: {exc.message}", exc.hint, _where(i))
            continue
        if computed != event["eventID"]:
            steps.refuse(
                1,
                "delivery.event-id-mismatch",
                f"event {i}'s content does not hash to its eventID",
                "the event was changed after it was recorded",
                _where(i, "eventID"),
            )
    steps.close(1, f"{len(events)} event hashes")
    times: list[datetime | None] = []
    for event in events:
        try:
            times.append(datetime.fromisoformat(event["eventTime"]))
        except (ValueError, TypeError):
            times.append(None)
    chain = _link_step(steps, events)
    actors = _signature_step(steps, events, times, trust, when)
    if chain is None:
        for step in (4, 5):
            steps.skip(step, "the events do not form one chain (step 2)")
    else:
        _custody_step(steps, events, actors)
        _goods_step(steps, events, actors)
    cert, bundle_order = _certificate_step(
        steps, events, certificate, trust, when, order, actors[0], certificate_limits
    )
    _time_step(steps, events, times, when, skew, cert)
    if chain is None:
        steps.skip(8, "the events do not form one chain (step 2)")
    else:
        _acknowledgement_step(steps, events, delivery_code)
        presented = order_ref(*order) if order is not None else bundle_order
        if presentations is not None and presented is not None:
            _replay_check(steps, events, presented, presentations)
    timeline = (
        tuple(
            TimelineEntry(
                event_id=e["eventID"],
                time=t,
                biz_step=e["bizStep"],
                actor=a.name if a else None,
                source=_possessor(e, "source"),
                destination=_possessor(e, "destination"),
            )
            for e, t, a in zip(events, times, actors, strict=True)
            if t is not None
        )
        if chain is not None
        else ()
    )
    checks = tuple(sorted(steps.checks, key=lambda c: c.step))
    return DeliveryReport(
        verdict=steps.verdict(),
        checks=checks,
        order=bundle_order,
        head_event_id=events[-1]["eventID"] if events else None,
        timeline=timeline,
        certificate=cert,
        **judged,
    )
