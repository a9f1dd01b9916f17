"""Trust lists: who may sign what, and when (DESIGN §5).

A trust list is JSON (schema ``schemas/inspectx-trustlist.schema.json``) or its
XML rendering (``schemas/inspectx-trustlist.xsd``), signed by its operator with
a Data Integrity proof that verifies in either form. :func:`load_trust_list` takes the
bytes and the operator key the caller pins, and returns a frozen
:class:`TrustList` only when everything holds: the operator's proof, the schema,
and the checks no schema can make (key strength, duplicate key ids, one key
claimed by two entities, status histories in time order, validity windows).
Every key is decoded and checked at load time, so verification never meets a
key it cannot use.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from inspectx.errors import InspectxError
from inspectx.formats.certificate import Format, data_to_json_bytes, detect_format
from inspectx.formats.limits import Limits
from inspectx.formats.safejson import load_json
from inspectx.formats.trustlist import (
    ServiceStatus,
    trust_list_data_from_xml,
    trust_list_to_xml,
)
from inspectx.model import Certificate
from inspectx.proofs import dataintegrity as di
from inspectx.proofs.dataintegrity import ProofError, create_proof, verify_proof
from inspectx.proofs.keys import (
    PublicKey,
    check_certificate_allowed,
    check_key_allowed,
    public_key_der,
)
from inspectx.proofs.multibase import (
    MultibaseError,
    did_key_verification_method,
    public_key_from_multibase,
)

__all__ = [
    "Entity",
    "Scope",
    "Service",
    "ServiceStatus",
    "StatusChange",
    "TrustError",
    "TrustList",
    "TrustedKey",
    "build_trust_list",
    "check_trust_list_schema",
    "key_entry",
    "load_trust_list",
    "read_trust_list_data",
    "render_trust_list",
    "sign_trust_list",
]

SCHEMA_FILE = "inspectx-trustlist.schema.json"
_MAX_BYTES = 16 * 1024 * 1024
# a list of 100,000 entities is about 5 M elements in XML; depth is at most 6
_XML_LIMITS = Limits(max_bytes=_MAX_BYTES, max_depth=16, max_elements=10_000_000)


class TrustError(InspectxError):
    """A trust list cannot be used: unreadable, unsigned, tampered, weak or ambiguous.

    Codes: ``trust.malformed``, ``trust.schema``, ``trust.proof``,
    ``trust.weak-key``, ``trust.duplicate-key-id``, ``trust.duplicate-key``,
    ``trust.status-history``, and for distribution ``trust.fetch-failed``,
    ``trust.rollback``, ``trust.no-snapshot``.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusChange:
    status: ServiceStatus
    since: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """What a service may attest: product classes by HS prefix, test methods by standard."""

    hs_prefixes: tuple[str, ...]
    methods: tuple[str, ...]

    def covers_method(self, standard: str) -> bool:
        """``EN 71-3`` covers ``EN 71-3`` and its editions (``EN 71-3:2019+A1:2021``)."""
        return any(
            standard == m or standard.startswith((m + ":", m + "+", m + " ")) for m in self.methods
        )

    def covers_hs(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.hs_prefixes)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustedKey:
    """A listed key: ``id`` is what a document's proof names (``verificationMethod``)."""

    id: str
    public_key: PublicKey
    certificate: x509.Certificate | None
    valid_from: datetime | None
    valid_until: datetime | None

    @property
    def fingerprint(self) -> str:
        """Hex SHA-256 of the SubjectPublicKeyInfo."""
        return _spki_sha256(self.public_key)


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    type: str
    keys: tuple[TrustedKey, ...]
    scope: Scope
    status_history: tuple[StatusChange, ...]

    def status_at(self, when: datetime) -> ServiceStatus | None:
        """The status in force at ``when``; None before the first entry."""
        current = None
        for change in self.status_history:
            if change.since <= when:
                current = change.status
        return current


@dataclass(frozen=True, slots=True, kw_only=True)
class Entity:
    id: str
    name: str
    country: str
    roles: tuple[str, ...]
    identifiers: tuple[str, ...]
    services: tuple[Service, ...]

    def is_issuer_of(self, cert: Certificate) -> bool:
        """Whether ``cert`` names this entity as its issuer (by id or an identifier)."""
        if cert.issuer.id is not None and cert.issuer.id == self.id:
            return True
        return any(i.value in self.identifiers for i in cert.issuer.identifiers)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustList:
    """A verified trust list. ``sha256`` is the digest of the bytes it was read from."""

    id: str
    operator: str
    sequence_number: int
    issued_at: datetime
    next_update: datetime
    entities: tuple[Entity, ...]
    sha256: str
    _by_id: Mapping[str, Listing] = field(repr=False, compare=False)
    _by_fingerprint: Mapping[str, Listing] = field(repr=False, compare=False)

    def find_key(self, key_id: str) -> Listing | None:
        """The entity, service and key listed under ``key_id``, if any."""
        return self._by_id.get(key_id)

    def find_public_key(self, public_key: object) -> Listing | None:
        """The listing of a public key (by its SubjectPublicKeyInfo), if any."""
        return self._by_fingerprint.get(_spki_sha256(public_key))


Listing = tuple[Entity, Service, TrustedKey]


def _spki_sha256(public_key: object) -> str:
    return hashlib.sha256(public_key_der(public_key)).hexdigest()


# --------------------------------------------------------------------------- loading


@cache
def _validator() -> Any:
    import jsonschema_rs

    text = (resources.files("inspectx") / "schemas" / SCHEMA_FILE).read_text("utf-8")
    return jsonschema_rs.validator_for(json.loads(text))


def load_trust_list(data: bytes, *, operator_keys: Mapping[str, di.PublicKey]) -> TrustList:
    """Read a trust list (JSON or XML), verify its operator's proof, and check it.

    ``operator_keys`` maps the verification method the operator signs with to
    the key the caller pins (``--operator-key``); a list signed by anyone else
    is refused. Raises :class:`TrustError` (see its codes); never returns a
    list that failed any check.
    """
    document = read_trust_list_data(data)
    check_trust_list_schema(document)
    _verify_operator_proof(document, operator_keys)
    return _build(document, hashlib.sha256(data).hexdigest())


def read_trust_list_data(data: bytes) -> Any:
    """The JSON data of a trust list given as JSON or XML: safely parsed, not yet checked.

    Raises :class:`TrustError` ``trust.malformed`` for bytes that are neither.
    """
    if len(data) > _MAX_BYTES:
        raise TrustError(
            "trust.malformed",
            f"the trust list is {len(data)} bytes, over {_MAX_BYTES}",
            hint="a trust list this large is not one inspectx publishes; check the source",
        )
    try:
        if detect_format(data) == "xml":
            return trust_list_data_from_xml(data, _XML_LIMITS)
        return load_json(data)
    except InspectxError as exc:
        raise TrustError(
            "trust.malformed",
            f"the trust list is not acceptable JSON or XML: {exc.message}",
            hint="fetch or build the trust list again",
            location=exc.location,
        ) from None


def check_trust_list_schema(document: Any) -> None:
    """Raise :class:`TrustError` ``trust.schema`` unless ``document`` meets the trust-list
    JSON Schema (which applies to the XML form through its JSON data)."""
    errors = list(_validator().iter_errors(document))
    if errors:
        first = errors[0]
        raise TrustError(
            "trust.schema",
            f"the trust list breaks its schema: {first.message}",
            hint="see schemas/inspectx-trustlist.schema.json",
            location="/" + "/".join(str(p) for p in first.instance_path),
        )


def render_trust_list(document: Mapping[str, Any], to: Format) -> bytes:
    """Trust-list JSON data as inspectx JSON or XML bytes; a proof stays valid in either."""
    if to == "xml":
        return trust_list_to_xml(document)
    return data_to_json_bytes(document)


def _verify_operator_proof(
    document: dict[str, Any], operator_keys: Mapping[str, di.PublicKey]
) -> None:
    proofs = document.get("proof")
    if not proofs:
        raise TrustError(
            "trust.proof",
            "the trust list is not signed",
            hint="sign it with the operator key (inspectx trust sign)",
        )
    for index, proof in enumerate(proofs):
        key = operator_keys.get(proof.get("verificationMethod", ""))
        if key is None:
            continue
        try:
            verify_proof(document, proof, public_key=key)
        except ProofError as exc:
            raise TrustError(
                "trust.proof",
                f"the operator's proof does not verify: {exc.message}",
                hint="the trust list was changed after signing, or is not the operator's; "
                "the cached copy is kept",
                location=f"/proof/{index}",
            ) from None
        return
    raise TrustError(
        "trust.proof",
        "the trust list is not signed by the pinned operator key",
        hint="give the operator's public key with --operator-key",
        location="/proof",
    )


def _build(document: dict[str, Any], sha256: str) -> TrustList:
    seen_ids: set[str] = set()
    seen_keys: dict[str, str] = {}
    entities = []
    for e_index, raw_entity in enumerate(document["entities"]):
        services = []
        for s_index, raw_service in enumerate(raw_entity["services"]):
            where = f"/entities/{e_index}/services/{s_index}"
            keys = []
            for k_index, raw_key in enumerate(raw_service["keys"]):
                key = _build_key(raw_key, f"{where}/keys/{k_index}")
                if key.id in seen_ids:
                    raise TrustError(
                        "trust.duplicate-key-id",
                        f"the key id {key.id} is listed twice",
                        hint="every listed key needs its own id",
                        location=f"{where}/keys/{k_index}/id",
                    )
                seen_ids.add(key.id)
                owner = seen_keys.get(key.fingerprint)
                if owner is not None and owner != raw_entity["id"]:
                    raise TrustError(
                        "trust.duplicate-key",
                        f"one key is claimed by two entities: {owner} and {raw_entity['id']}",
                        hint="a key identifies one signer; the list is ambiguous and not used",
                        location=f"{where}/keys/{k_index}",
                    )
                seen_keys[key.fingerprint] = raw_entity["id"]
                keys.append(key)
            history = tuple(
                StatusChange(
                    status=ServiceStatus(c["status"]), since=datetime.fromisoformat(c["since"])
                )
                for c in raw_service["statusHistory"]
            )
            if any(a.since >= b.since for a, b in itertools.pairwise(history)):
                raise TrustError(
                    "trust.status-history",
                    "the status history is not in strictly increasing time order",
                    hint="list status changes oldest first, each at its own time",
                    location=f"{where}/statusHistory",
                )
            scope = raw_service["scope"]
            services.append(
                Service(
                    type=raw_service["type"],
                    keys=tuple(keys),
                    scope=Scope(
                        hs_prefixes=tuple(scope.get("hsPrefixes", ())),
                        methods=tuple(scope.get("methods", ())),
                    ),
                    status_history=history,
                )
            )
        entities.append(
            Entity(
                id=raw_entity["id"],
                name=raw_entity["name"],
                country=raw_entity["country"],
                roles=tuple(raw_entity["roles"]),
                identifiers=tuple(raw_entity.get("identifiers", ())),
                services=tuple(services),
            )
        )
    listings = [(e, s, k) for e in entities for s in e.services for k in s.keys]
    return TrustList(
        _by_id=MappingProxyType({k.id: (e, s, k) for e, s, k in listings}),
        _by_fingerprint=MappingProxyType({k.fingerprint: (e, s, k) for e, s, k in listings}),
        id=document["id"],
        operator=document["operator"]["name"],
        sequence_number=document["sequenceNumber"],
        issued_at=datetime.fromisoformat(document["issuedAt"]),
        next_update=datetime.fromisoformat(document["nextUpdate"]),
        entities=tuple(entities),
        sha256=sha256,
    )


def _build_key(raw: dict[str, Any], where: str) -> TrustedKey:
    certificate = None
    try:
        if "certificate" in raw:
            certificate = x509.load_pem_x509_certificate(raw["certificate"].encode("ascii"))
            check_certificate_allowed(certificate)
            public: Any = certificate.public_key()
        else:
            public = public_key_from_multibase(raw["publicKeyMultibase"])
            check_key_allowed(public)
    except (ValueError, UnicodeEncodeError, MultibaseError):
        raise TrustError(
            "trust.malformed",
            "a listed key or certificate cannot be read",
            hint="list keys as publicKeyMultibase (Ed25519, P-256, P-384) or a PEM certificate",
            location=where,
        ) from None
    except InspectxError as exc:  # the key policy: RSA < 2048, P-192, SHA-1 certificates
        raise TrustError(
            "trust.weak-key",
            f"a listed key is refused: {exc.message}",
            hint="the list names a key inspectx never trusts; the operator must replace it",
            location=where,
        ) from None
    valid_from = datetime.fromisoformat(raw["validFrom"]) if "validFrom" in raw else None
    valid_until = datetime.fromisoformat(raw["validUntil"]) if "validUntil" in raw else None
    if valid_from and valid_until and valid_from >= valid_until:
        raise TrustError(
            "trust.malformed",
            "the key's validFrom is not before its validUntil",
            hint="give the key's validity window in time order",
            location=where,
        )
    return TrustedKey(
        id=raw["id"],
        public_key=public,
        certificate=certificate,
        valid_from=valid_from,
        valid_until=valid_until,
    )


# --------------------------------------------------------------------------- authoring


def sign_trust_list(
    document: Mapping[str, Any], *, private_key: di.PrivateKey, created: datetime
) -> dict[str, Any]:
    """The trust list with the operator's proof (replacing any earlier one).

    The list is checked first (schema and load-time checks), so an operator
    cannot publish one that verifiers would refuse.
    """
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    method = did_key_verification_method(private_key.public_key())
    proof = create_proof(
        unsigned, private_key=private_key, verification_method=method, created=created
    )
    signed = {**unsigned, "proof": [proof]}
    load_trust_list(
        json.dumps(signed).encode(),
        operator_keys={method: private_key.public_key()},
    )
    return signed


def key_entry(
    key_id: str | None, public_key: di.PublicKey | None, certificate: x509.Certificate | None
) -> dict[str, Any]:
    """A ``keys`` entry for a public key (id: its did:key) or an X.509 certificate."""
    from inspectx.proofs.keys import certificate_to_pem
    from inspectx.proofs.multibase import public_key_to_multibase

    if certificate is not None:
        fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
        return {
            "id": key_id or f"urn:x509:sha256:{fingerprint}",
            "certificate": certificate_to_pem(certificate).decode("ascii"),
        }
    assert public_key is not None
    return {
        "id": key_id or did_key_verification_method(public_key),
        "publicKeyMultibase": public_key_to_multibase(public_key),
    }


def build_trust_list(source: Mapping[str, Any], *, base_dir: Path) -> dict[str, Any]:
    """An unsigned trust list from a source document of the same shape whose keys are
    given as files: ``{"keyFile": "lab.pub.pem"}`` (an Ed25519/P-256/P-384 public key,
    listed as its did:key) or ``{"certificateFile": "lab.crt"}`` (an X.509 certificate),
    each optionally with ``id``, ``validFrom`` and ``validUntil``. Paths are relative to
    ``base_dir``. Raises :class:`TrustError` for unreadable files, refused keys and a
    result that breaks the schema.
    """
    from inspectx.proofs.keys import load_certificate, load_public_key

    out: dict[str, Any] = json.loads(json.dumps(source))
    out.setdefault("type", "InspectxTrustList")
    for e_index, entity in enumerate(out.get("entities", [])):
        for s_index, service in enumerate(entity.get("services", [])):
            keys = []
            for k_index, raw in enumerate(service.get("keys", [])):
                where = f"/entities/{e_index}/services/{s_index}/keys/{k_index}"
                raw = dict(raw)
                try:
                    if "certificateFile" in raw:
                        cert = load_certificate(
                            (base_dir / raw.pop("certificateFile")).read_bytes()
                        )
                        entry = key_entry(raw.pop("id", None), None, cert)
                    elif "keyFile" in raw:
                        public = load_public_key((base_dir / raw.pop("keyFile")).read_bytes())
                        if isinstance(public, rsa.RSAPublicKey):
                            raise TrustError(
                                "trust.malformed",
                                "an RSA key can only be listed as an X.509 certificate",
                                hint="give certificateFile for RSA keys",
                                location=where,
                            )
                        entry = key_entry(raw.pop("id", None), public, None)
                    else:
                        entry = {}
                except OSError as exc:
                    raise TrustError(
                        "trust.malformed",
                        f"cannot read a key file: {exc.strerror}",
                        hint="paths in the source are relative to the source file",
                        location=where,
                    ) from None
                except TrustError:
                    raise
                except InspectxError as exc:
                    raise TrustError(
                        "trust.weak-key", exc.message, hint=exc.hint, location=where
                    ) from None
                keys.append({**entry, **raw})
            service["keys"] = keys
    out.pop("proof", None)
    check_trust_list_schema(out)
    return out
