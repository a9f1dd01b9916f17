"""Per-document work of each pipeline, as objects a batch can run on every core.

Each job is a frozen object built once (it holds what every document needs:
limits, keys, trust snapshot, rule packs) and called once per input with an
:class:`~inspectx._io.InputFile`. It never raises for a bad document: it returns
an :class:`Outcome` with the document's report entry (JSON-ready, the members of
the ``inspectx.report/1`` document entry or of a conversion entry), its exit code
(DESIGN §6) and, for jobs that produce a document, the output bytes. Outputs are
written, and reports printed, by the caller, in input order
(:func:`inspectx.batch.run_ordered`), so a parallel batch gives the same bytes as
a sequential one.

An unexpected exception (a bug) becomes an ``internal.error`` outcome (exit 70)
for that input alone: one document cannot abort the batch (unless ``debug``: then
it propagates, with its traceback).
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from inspectx._io import InputFile, read_input
from inspectx.errors import InspectxError, OutputError

if TYPE_CHECKING:
    from inspectx.validation import DocumentReport

__all__ = [
    "ConvertJob",
    "DeliveryVerifyJob",
    "Outcome",
    "SignJob",
    "ValidateJob",
    "VerifyKeysJob",
    "VerifyTrustJob",
    "exit_code_for",
]

EXIT_OK, EXIT_INVALID, EXIT_INDETERMINATE, EXIT_OPERATIONAL, EXIT_INTERNAL = 0, 1, 3, 4, 70
VERDICT_EXIT = {
    "VALID": EXIT_OK,
    "INVALID": EXIT_INVALID,
    "INDETERMINATE": EXIT_INDETERMINATE,
    "ERROR": EXIT_OPERATIONAL,
}
XMLDSIG_NS = b"http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What one input gave: its report entry, exit code, and output (if any): its bytes
    in ``output``, or, for a job given a ``stage_dir``, the path of a hidden temporary
    file already written beside its destination (``staged``: the caller fsyncs and
    renames it into place, :func:`inspectx._io.commit_output` with ``sync``, or
    discards it).
    ``disk_full``: the output could not be written for want of space."""

    exit_code: int
    entry: dict[str, Any]
    output: bytes | None = None
    output_format: str | None = None
    staged: str | None = None
    notes: tuple[str, ...] = ()
    internal: bool = False
    disk_full: bool = False

    @property
    def failed(self) -> bool:
        return self.exit_code != EXIT_OK


def _refused(item: InputFile, exc: InspectxError) -> Outcome:
    from inspectx._io import NoSpace

    return Outcome(exit_code=exit_code_for(exc), entry={"source": item.name,
                   "error": exc.as_dict()}, disk_full=isinstance(exc, NoSpace))  # fmt: skip


def _with_output(
    item: InputFile, entry: dict[str, Any], data: bytes, fmt: str, *,
    stage_dir: str | None, owner: int | None, notes: tuple[str, ...] = (),
) -> Outcome:  # fmt: skip
    """A job's outcome that carries an output: staged (written by the
    worker) beside its destination when the batch writes into ``stage_dir``, else the
    bytes themselves."""
    if stage_dir is not None:
        return Outcome(exit_code=EXIT_OK, entry=entry, output_format=fmt, notes=notes,
                       staged=_stage(item, data, stage_dir, owner))  # fmt: skip
    return Outcome(exit_code=EXIT_OK, entry=entry, output=data, output_format=fmt, notes=notes)


def _stage(item: InputFile, data: bytes, stage_dir: str, owner: int | None) -> str:
    """Write ``data`` to a temporary file in the folder of ``item``'s output under
    ``stage_dir`` (created if needed)."""
    import os

    from inspectx._io import stage_output

    folder = os.path.dirname(os.path.join(stage_dir, item.relative)) or "."
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            "output.unwritable",
            f"cannot create the folder {folder}: {exc.strerror}",
            hint="check that no file stands where the folder must go, and the permissions",
        ) from None
    # not fsynced here: the caller does that before the rename, so that the worker
    # goes on computing while the disk catches up
    return stage_output(folder, data, owner=owner, sync=False)


def exit_code_for(exc: InspectxError) -> int:
    """Exit code of a document refused with ``exc``: 4 for input and output trouble
    (an operational error), 1 for a document that is malformed or invalid."""
    if isinstance(exc, OutputError) or exc.code.startswith("input."):
        return EXIT_OPERATIONAL
    return EXIT_INVALID


def _unread(item: InputFile, exc: InspectxError) -> Outcome:
    """The outcome of a verification whose input was refused before its steps ran: ERROR
    when it could not be read, INVALID (step 1 failed) when it was refused as hostile
    or malformed (too large, a bomb in an archive), as ``validate`` reports it."""
    entry = {"source": item.name, "error": exc.as_dict()}
    if exit_code_for(exc) == EXIT_OPERATIONAL:
        return Outcome(exit_code=EXIT_OPERATIONAL, entry={**entry, "verdict": "ERROR"})
    checks = key_file_checks(1, "failed", exc)
    return Outcome(exit_code=EXIT_INVALID, entry={**entry, "verdict": "INVALID", **checks})


def _internal(item: InputFile, exc: Exception) -> Outcome:
    error = {
        "code": "internal.error",
        "message": f"internal error ({type(exc).__name__}: {exc})",
        "hint": "this is a bug: please report it with the command you ran",
    }
    return Outcome(
        exit_code=EXIT_INTERNAL,
        entry={"source": item.name, "verdict": "ERROR", "error": error},
        internal=True,
    )


def _worker_died(item: InputFile) -> Outcome:
    error = {
        "code": "internal.error",
        "message": "the worker process died while processing this input",
        "hint": "this is a bug (or the machine ran out of memory): please report it",
    }
    return Outcome(exit_code=EXIT_INTERNAL,
                   entry={"source": item.name, "verdict": "ERROR", "error": error},
                   internal=True)  # fmt: skip


def _prepare() -> None:
    """Compile the schema validators now, in the parent: forked workers inherit them."""
    from inspectx.validation.schema import default_validators

    default_validators()


def _limits(max_bytes: int) -> Any:
    from inspectx.formats import Limits

    return Limits(max_bytes=max_bytes)


class _Job(abc.ABC):
    """What every per-document job shares. A job is a frozen dataclass with a ``debug``
    field and a :meth:`run`; calling it never raises for one document's trouble: a bug
    becomes that document's ``internal.error`` (the batch goes on) unless debugging."""

    __slots__ = ()
    debug: bool

    def prepare(self) -> None:
        """Build once, before workers start, what every document needs."""
        _prepare()

    def crashed(self, item: InputFile) -> Outcome:
        """The outcome of an input whose worker process died while on it."""
        return _worker_died(item)

    def __call__(self, item: InputFile) -> Outcome:
        try:
            return self.run(item)
        except Exception as exc:  # a bug: this input fails, the batch goes on
            if self.debug:
                raise
            return _internal(item, exc)

    @abc.abstractmethod
    def run(self, item: InputFile) -> Outcome:
        """The outcome of one document."""


# --- convert ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConvertJob(_Job):
    """Convert one document (``inspectx convert``); the output format is in the outcome.

    With ``stage_dir`` the output is written by the job itself beside its
    destination under that folder, named for process ``owner``: see :class:`Outcome`."""

    target: str | None = None
    strict: bool = False
    extension: bool = True
    max_bytes: int = 20 * 1024 * 1024
    debug: bool = False
    stage_dir: str | None = None
    owner: int | None = None

    def run(self, item: InputFile) -> Outcome:
        try:
            return self._convert(item)
        except InspectxError as exc:
            return _refused(item, exc)

    def _convert(self, item: InputFile) -> Outcome:
        from inspectx.validation.interchange import interchange
        from inspectx.validation.schema import default_validators

        data = read_input(item, self.max_bytes)
        done = interchange(
            data, self.target, strict=self.strict, extension=self.extension,  # type: ignore[arg-type]
            limits=_limits(self.max_bytes), validators=default_validators(),
        )  # fmt: skip
        notes: tuple[str, ...] = ()
        if done.source == "xml" and XMLDSIG_NS in data:
            notes = ("note: its XML signature is not carried into the conversion "
                     "(it signs the XML bytes); Data Integrity proofs are",)  # fmt: skip
        entry = {"source": item.name, "from": done.source, "to": done.target,
                 "losses": [loss.as_dict() for loss in done.losses]}  # fmt: skip
        return _with_output(item, entry, done.data, done.target, stage_dir=self.stage_dir,
                            owner=self.owner, notes=notes)  # fmt: skip


# --- validate ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateJob(_Job):
    """Validate one document (``inspectx validate``): format, schema, rules, packs, profiles."""

    packs: tuple[Any, ...] = ()
    profiles: tuple[str, ...] = ()
    at: datetime | None = None
    max_bytes: int = 20 * 1024 * 1024
    debug: bool = False

    def run(self, item: InputFile) -> Outcome:
        entry = self._validate(item)
        return Outcome(exit_code=VERDICT_EXIT[entry["verdict"]], entry=entry)

    def _validate(self, item: InputFile) -> dict[str, Any]:
        from inspectx.validation import validate_bytes
        from inspectx.validation.schema import default_validators

        try:
            data = read_input(item, self.max_bytes)
        except InspectxError as exc:
            if exc.code.startswith("input."):
                return {"source": item.name, "verdict": "ERROR", "error": exc.as_dict()}
            return report_for_error(item.name, exc)
        report = validate_bytes(
            data, source=item.name, limits=_limits(self.max_bytes),
            validators=default_validators(), profiles=self.profiles, packs=self.packs,
            at=self.at,
        )  # fmt: skip
        entry = report.as_dict()
        if report.certificate_data is not None:
            entry["summary"] = summary_line(report)
        return entry


def report_for_error(source: str, exc: InspectxError) -> dict[str, Any]:
    """The report entry of a document refused before validation could start."""
    finding = {"code": exc.code, "severity": "error", "layer": "format", "message": exc.message}
    if exc.hint:
        finding["hint"] = exc.hint
    if exc.location:
        finding["location"] = exc.location
    return {
        "source": source,
        "verdict": "INVALID",
        "checks": [{"id": "format", "status": "failed"}],
        "findings": [finding],
    }


def summary_line(report: DocumentReport) -> str:
    """One line saying what a certificate is."""
    data = report.certificate_data
    assert data is not None
    return (
        f"{data['documentType']} {data['number']['value']} by {data['issuer']['name']}: "
        f"{len(data['products'])} products, {len(data['tests'])} tests, "
        f"conclusion {data['conclusion']['outcome']}"
    )


# --- sign -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SignJob(_Job):
    """Sign one document (``inspectx sign``): a Data Integrity proof, or an enveloped
    XML signature (``xmldsig``, XAdES with ``xades``) embedding ``certificate``."""

    private_key: Any
    verification_method: str
    created: datetime
    certificate: Any = None
    xmldsig: bool = False
    xades: bool = False
    target: str | None = None
    max_bytes: int = 20 * 1024 * 1024
    debug: bool = False
    stage_dir: str | None = None
    owner: int | None = None

    def run(self, item: InputFile) -> Outcome:
        try:
            out, fmt = self._sign(item)
            return _with_output(item, {"source": item.name, "format": fmt}, out, fmt,
                                stage_dir=self.stage_dir, owner=self.owner)  # fmt: skip
        except InspectxError as exc:
            return _refused(item, exc)

    def _sign(self, item: InputFile) -> tuple[bytes, str]:
        from inspectx.proofs.certificate import sign_certificate
        from inspectx.validation import read_certificate, render
        from inspectx.validation.schema import default_validators

        loaded = read_certificate(
            read_input(item, self.max_bytes), limits=_limits(self.max_bytes),
            validators=default_validators(),
        )  # fmt: skip
        if self.xmldsig:
            from inspectx.proofs.xmldsig import sign_xml

            unsigned = render(loaded.certificate, "xml")
            out = sign_xml(unsigned, private_key=self.private_key, certificate=self.certificate,
                           xades=self.xades, signing_time=self.created)  # fmt: skip
            return out, "xml"
        signed = sign_certificate(loaded.certificate, private_key=self.private_key,
                                  verification_method=self.verification_method,
                                  created=self.created)  # fmt: skip
        fmt = self.target or loaded.format
        return render(signed, fmt), fmt  # type: ignore[arg-type]


# --- verify -----------------------------------------------------------------------------


def document_summary(cert: Any) -> dict[str, str] | None:
    """The ``document`` member of a report entry."""
    if cert is None:
        return None
    return {"id": cert.id, "number": cert.number.value, "type": cert.document_type.value,
            "issuer": cert.issuer.name}  # fmt: skip


def step_checks(checks: Sequence[Any], layer: str) -> dict[str, Any]:
    """The report members for numbered verification steps: every check, and the failed
    (severity error) and indeterminate (severity warning) ones again as findings."""
    return {
        "checks": [
            {"step": c.step, "name": c.name, "status": c.status.value, "code": c.code,
             "message": c.message or None, "hint": c.hint, "location": c.location}
            for c in checks
        ],
        "findings": [
            {"code": c.code or f"{layer}.step-{c.step}",
             "severity": "error" if c.status.value == "failed" else "warning",
             "layer": layer, "message": c.message or c.name, "hint": c.hint,
             "location": c.location}
            for c in checks
            if c.status.value in ("failed", "indeterminate")
        ],
    }  # fmt: skip


def key_file_checks(step: int, status: str, exc: InspectxError | None) -> dict[str, Any]:
    """Report members for a verification against given keys: the step that decided."""
    names = {1: "format", 2: "schema", 4: "proof integrity"}
    check = {"step": step, "name": names[step], "status": status}
    if exc is None:
        return {"checks": [check], "findings": []}
    finding = {"code": exc.code, "severity": "error" if status == "failed" else "warning",
               "layer": "verify", "message": exc.message, "hint": exc.hint or None,
               "location": exc.location}  # fmt: skip
    return {"checks": [{**check, "code": exc.code}], "findings": [finding]}


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyKeysJob(_Job):
    """Verify one document's proofs against keys given (``inspectx verify --key-file``):
    ``public_keys`` by did:key verification method, ``certificates`` for XML signatures."""

    public_keys: dict[str, Any] = field(default_factory=dict)
    certificates: tuple[Any, ...] = ()
    max_bytes: int = 20 * 1024 * 1024
    debug: bool = False

    def run(self, item: InputFile) -> Outcome:
        from inspectx.proofs.certificate import verify_certificate
        from inspectx.proofs.xmldsig import verify_xml_by_any
        from inspectx.validation.schema import default_validators

        entry: dict[str, Any] = {"source": item.name}
        limits = _limits(self.max_bytes)
        try:
            data = read_input(item, self.max_bytes)
            proofs: list[dict[str, Any]] = []
            xml_result = verify_xml_by_any(data, certificates=self.certificates, limits=limits)
            cert = xml_result.certificate if xml_result is not None else None
            if xml_result is not None:
                xades_signed = xml_result.signing_time
                proofs.append(
                    {"type": "XAdES-B-B" if xades_signed else "XMLDSig",
                     "algorithm": xml_result.signature_algorithm,
                     "signer": f"X.509 certificate SHA-256 {xml_result.signer}",
                     "created": xades_signed.isoformat() if xades_signed else None}
                )  # fmt: skip
            if cert is None or cert.proofs:
                verified = verify_certificate(data, public_keys=self.public_keys, limits=limits,
                                              validators=default_validators())  # fmt: skip
                cert = verified.certificate
                proofs += [
                    {"type": "DataIntegrityProof", "algorithm": p.cryptosuite,
                     "signer": p.verification_method,
                     "created": p.created.isoformat() if p.created else None}
                    for p in verified.proofs
                ]  # fmt: skip
        except InspectxError as exc:
            code = exit_code_for(exc)
            if exc.code in ("proof.key-unknown", "xmldsig.signer-unknown"):
                code = EXIT_INDETERMINATE
            verdict = {EXIT_INDETERMINATE: "INDETERMINATE", EXIT_OPERATIONAL: "ERROR"}.get(
                code, "INVALID"
            )
            entry |= {"verdict": verdict, "error": exc.as_dict()}
            if verdict != "ERROR":
                step = 1 if exc.code.startswith("format.") else 2 if exc.code.startswith(
                    ("schema.", "model.")) else 4  # fmt: skip
                entry |= key_file_checks(step, "failed" if verdict == "INVALID"
                                         else "indeterminate", exc)  # fmt: skip
            return Outcome(exit_code=code, entry=entry)
        entry |= {
            "verdict": "VALID",
            "sha256": hashlib.sha256(data).hexdigest(),
            "document": document_summary(cert),
            "proofs": proofs,
            **key_file_checks(4, "passed", None),
        }
        return Outcome(exit_code=EXIT_OK, entry=entry)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyTrustJob(_Job):
    """Verify one document's admissibility against a trust snapshot (``inspectx verify
    --trust``): every numbered step of DESIGN §6. ``checks`` in the outcome's entry."""

    trust: Any
    at: datetime | None = None
    max_trust_age: timedelta | None = None
    max_bytes: int = 20 * 1024 * 1024
    debug: bool = False

    def run(self, item: InputFile) -> Outcome:
        from inspectx.trust import verify_admissible

        try:
            data = read_input(item, self.max_bytes)
        except InspectxError as exc:
            return _unread(item, exc)
        report = verify_admissible(data, trust=self.trust, at=self.at,
                                   max_trust_age=self.max_trust_age,
                                   limits=_limits(self.max_bytes))  # fmt: skip
        entry = {
            "source": item.name,
            "verdict": report.verdict.value,
            "sha256": report.sha256 or None,
            "at": report.at.isoformat(),
            "document": document_summary(report.certificate),
            "signers": list(report.signers),
            **step_checks(report.checks, "verify"),
        }
        return Outcome(exit_code=VERDICT_EXIT[report.verdict.value], entry=entry)


# --- delivery verify ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryVerifyJob(_Job):
    """Verify one delivery proof (``inspectx delivery verify``): the eight steps of
    DESIGN §7 against the certificate bytes and the trust snapshot given.

    ``presentations`` (a replay log) makes the outcome depend on the order of the
    proofs: run such a job with one process."""

    certificate: bytes
    trust: Any
    order: tuple[str, str] | None = None
    delivery_code: str | None = None
    presentations: Any = None
    at: datetime | None = None
    skew: timedelta | None = None
    max_bytes: int = 256 * 1024 * 1024
    debug: bool = False

    def run(self, item: InputFile) -> Outcome:
        from inspectx.delivery.verify import verify_delivery

        extra: dict[str, Any] = {} if self.skew is None else {"skew": self.skew}
        try:
            report = verify_delivery(
                read_input(item, self.max_bytes), certificate=self.certificate,
                trust=self.trust, order=self.order, delivery_code=self.delivery_code,
                presentations=self.presentations, at=self.at, **extra,
            )  # fmt: skip
        except InspectxError as exc:
            return _unread(item, exc)
        entry = {
            "source": item.name,
            "verdict": report.verdict.value,
            "sha256": report.sha256,
            "at": report.at.isoformat(),
            "order": report.order,
            "document": document_summary(report.certificate),
            "head": report.head_event_id,
            **step_checks(report.checks, "delivery"),
            "timeline": [
                {"eventID": t.event_id, "time": t.time.isoformat(), "bizStep": t.biz_step,
                 "actor": t.actor, "from": t.source, "to": t.destination}
                for t in report.timeline
            ],
        }  # fmt: skip
        return Outcome(exit_code=VERDICT_EXIT[report.verdict.value], entry=entry)
