"""``inspectx delivery``: append custody events, verify delivery proofs, export to EPCIS."""

from __future__ import annotations

import sys
from typing import Any

import click

from inspectx.cli import (
    _MARKS,
    EXIT_CODES_HELP,
    EXIT_OK,
    EXIT_OPERATIONAL,
    _batch_options,
    _debug,
    _echo_checks,
    _entry_error_lines,
    _error_lines,
    _first_or_usage_error,
    _format_option,
    _is_batch,
    _output_options,
    _parse_time,
    _passphrase,
    _report_verifications,
    _safe_name,
    _Style,
    _Tally,
    _trust_info,
    _trust_snapshot,
    _with_passphrase,
    main,
)

_MAX_BUNDLE_BYTES = 256 * 1024 * 1024  # DELIVERY_LIMITS.max_bytes (not imported at start-up)
_BUNDLE_SUFFIXES = (".jsonld", ".json", ".xml")  # the proofs in a folder or a ZIP archive


def _fail(name: str, exc: Any) -> None:
    for line in _error_lines(name, exc, _Style(sys.stderr)):
        click.echo(line, err=True)
    sys.exit(EXIT_OPERATIONAL)


def _write(out: bytes, output: str | None, force: bool) -> None:
    from inspectx._io import write_atomic

    if output and output != "-":
        write_atomic(output, out, force=force)
    else:
        sys.stdout.buffer.write(out)


@main.group(epilog=EXIT_CODES_HELP)
def delivery() -> None:
    """Delivery-to-consumer proofs: signed, hash-linked EPCIS 2.0 custody chains.

    \b
    Examples:
      inspectx delivery event proof.jsonld --key carrier.key --step departing -o proof2.jsonld
      inspectx delivery verify fixtures/delivery/delivery-proof.jsonld \\
          --certificate fixtures/delivery/certificate.json \\
          --trust fixtures/delivery/delivery.trustlist.json \\
          --operator-key fixtures/trust/keys/operator.pub.pem \\
          --order marktplatz.example:ORD-2026-000123 --delivery-code 493817 \\
          --at 2026-11-15T12:00:00Z
      inspectx delivery export proof.jsonld --to epcis-xml -o proof.xml
    """


@delivery.command("event", epilog=EXIT_CODES_HELP)
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(dir_okay=False))
@click.option(
    "--new",
    "new",
    is_flag=True,
    help="Start a new proof (BUNDLE is not read): needs --certificate and --order.",
)
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The actor's private key (Ed25519, P-256 or P-384), listed in the trust list.",
)
@_with_passphrase
@click.option(
    "--step",
    "biz_step",
    required=True,
    help="CBV 2.0 business step: sampling, packing, shipping, departing, arriving, "
    "inspecting, receiving, accepting, ...",
)
@click.option("--time", "event_time", help="When it happened (RFC 3339 with offset; default now).")
@click.option(
    "--type",
    "event_type",
    default="ObjectEvent",
    show_default=True,
    type=click.Choice(["ObjectEvent", "AggregationEvent", "TransactionEvent"]),
)
@click.option(
    "--action",
    default="OBSERVE",
    show_default=True,
    type=click.Choice(["ADD", "OBSERVE", "DELETE"]),
)
@click.option(
    "--epc",
    "epcs",
    multiple=True,
    help="The goods (GS1 Digital Link URI); default: what the last event left in custody.",
)
@click.option(
    "--parent", "parent_id", help="The parcel (SSCC Digital Link URI) of a packing event."
)
@click.option("--from", "source", help="Possessing party handing over (its trust-list entity id).")
@click.option("--to", "destination", help="Possessing party taking over.")
@click.option("--disposition", help="CBV 2.0 disposition, e.g. in_transit.")
@click.option("--read-point", help="Where (GLN Digital Link URI).")
@click.option("--seal", "seals", multiple=True, help="A seal number on the goods after this event.")
@click.option("--resealed", is_flag=True, help="This event replaced the seals (e.g. customs).")
@click.option(
    "--evidence",
    "evidence",
    multiple=True,
    metavar="TYPE=FILE",
    help="Record the SHA-256 of a file as evidence (photo, locker log).",
)
@click.option(
    "--delivery-code-env",
    metavar="VAR",
    help="With --step accepting: the consumer's one-time code, from this variable.",
)
@click.option(
    "--condition",
    type=click.Choice(["ok", "damaged", "partial", "refused"]),
    default="ok",
    show_default=True,
    help="With --step accepting.",
)
@click.option(
    "--certificate",
    "certificate_path",
    type=click.Path(dir_okay=False),
    help="With --new: the certificate the goods were inspected under.",
)
@click.option("--order", "order", metavar="PLATFORM:ORDER-ID", help="With --new: the order.")
@_output_options
def delivery_event(
    bundle_path: str,
    new: bool,
    key_path: str,
    passphrase_env: str | None,
    passphrase_prompt: bool,
    biz_step: str,
    event_time: str | None,
    event_type: str,
    action: str,
    epcs: tuple[str, ...],
    parent_id: str | None,
    source: str | None,
    destination: str | None,
    disposition: str | None,
    read_point: str | None,
    seals: tuple[str, ...],
    resealed: bool,
    evidence: tuple[str, ...],
    delivery_code_env: str | None,
    condition: str,
    certificate_path: str | None,
    order: str | None,
    output: str | None,
    output_dir: str | None,
    force: bool,
) -> None:
    """Sign one custody event and append it to a delivery proof, linked to its last event.

    The event names the same certificate and order as the proof; its eventID is the
    CBV 2.0 event hash. The result goes to -o or standard output; the input is never changed.
    """
    import hashlib
    import os
    from datetime import UTC, datetime
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric import rsa

    from inspectx._io import InputFile, read_input
    from inspectx.delivery.events import (
        acknowledgement,
        append_event,
        order_ref,
        start_bundle,
    )
    from inspectx.delivery.verify import read_bundle
    from inspectx.errors import InspectxError
    from inspectx.formats import data_to_json_bytes
    from inspectx.proofs import keys
    from inspectx.proofs.multibase import did_key_verification_method
    from inspectx.validation import read_certificate

    if output_dir:
        raise click.UsageError("delivery event writes one file: use -o")
    if new and not (certificate_path and order and ":" in order):
        raise click.UsageError("--new needs --certificate CERT and --order PLATFORM:ORDER-ID")
    if not new and (certificate_path or order):
        raise click.UsageError("--certificate and --order start a new proof: add --new")
    when = _parse_time(event_time) or datetime.now(UTC).replace(microsecond=0)
    fields: dict[str, Any] = {
        "event_type": event_type,
        "action": action,
        "parent_id": parent_id,
        "source": source,
        "destination": destination,
        "disposition": disposition,
        "read_point": read_point,
        "resealed": resealed,
    }
    if seals:
        fields["seals"] = list(seals)
    try:
        recorded = []
        for item in evidence:
            kind, sep, path = item.partition("=")
            if not sep:
                raise click.UsageError(f"--evidence {item!r}: give TYPE=FILE")
            digest = hashlib.sha256(read_input(InputFile(path, path), _MAX_BUNDLE_BYTES))
            recorded.append((kind, "sha256:" + digest.hexdigest()))
        fields["evidence"] = recorded
        if delivery_code_env:
            code = os.environ.get(delivery_code_env)
            if not code:
                raise click.UsageError(f"the environment variable {delivery_code_env} is not set")
            fields["acknowledged"] = acknowledgement(code, condition=condition)
        elif biz_step == "accepting":
            raise click.UsageError("--step accepting needs --delivery-code-env VAR")
        passphrase = _passphrase(passphrase_env, passphrase_prompt, confirm=False)
        key = keys.load_private_key(
            read_input(InputFile(key_path, key_path), 1 << 20), passphrase=passphrase
        )
        if isinstance(key, rsa.RSAPrivateKey):
            raise click.UsageError("custody events need an Ed25519, P-256 or P-384 key, not RSA")
        method = did_key_verification_method(key.public_key())
        if new:
            assert certificate_path is not None
            assert order is not None
            cert = read_certificate(
                read_input(InputFile(certificate_path, certificate_path), 1 << 26)
            ).certificate
            platform, _, order_id = order.partition(":")
            bundle = start_bundle(
                cert,
                order=order_ref(platform, order_id),
                private_key=key,
                verification_method=method,
                created=when,
                event_time=when,
                biz_step=biz_step,
                epcs=epcs,
                **fields,
            )
        else:
            bundle = read_bundle(read_input(InputFile(bundle_path, bundle_path), _MAX_BUNDLE_BYTES))
            bundle = append_event(
                bundle,
                private_key=key,
                verification_method=method,
                created=when,
                event_time=when,
                biz_step=biz_step,
                epcs=list(epcs) or None,
                **fields,
            )
        _write(data_to_json_bytes(bundle), output, force)
    except InspectxError as exc:
        _fail(Path(bundle_path).name, exc)
    sys.exit(EXIT_OK)


def _parse_skew(text: str) -> Any:
    from datetime import timedelta

    try:
        seconds = int(text.removesuffix("s"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a number of seconds", param_hint="--skew"
        ) from None
    if not 0 <= seconds <= 86_400:
        raise click.BadParameter("give 0 to 86400 seconds", param_hint="--skew")
    return timedelta(seconds=seconds)


@delivery.command("verify", epilog=EXIT_CODES_HELP)
@click.argument("bundles", nargs=-1, required=True, metavar="BUNDLE...")
@click.option(
    "--certificate",
    "certificate_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The certificate the goods were inspected under (JSON or XML).",
)
@click.option(
    "--trust",
    "trust_source",
    required=True,
    help="The trust list naming labs, carriers, customs and platforms (file or URL).",
)
@click.option(
    "--operator-key",
    required=True,
    type=click.Path(dir_okay=False),
    help="The trust list operator's public key (PEM).",
)
@click.option(
    "--order",
    "order_text",
    metavar="PLATFORM:ORDER-ID",
    help="The order the proof is presented for, e.g. marktplatz.example:ORD-1.",
)
@click.option("--delivery-code", help="The one-time code the platform issued for the order.")
@click.option(
    "--presentation-log",
    type=click.Path(dir_okay=False),
    help="A file remembering which order each proof was presented for (replays).",
)
@click.option("--at", "at_text", help="Verification time (RFC 3339; default now).")
@click.option("--skew", default="300", show_default=True, help="Clock skew allowed, in seconds.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Where trust snapshots are kept (with a --trust URL).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show every step, not only failures.")
@_format_option(
    "text", "json", "jsonl",
    help="text for people; json (one object) or jsonl (a line per proof, then a summary).",
)  # fmt: skip
@_batch_options
def delivery_verify(
    bundles: tuple[str, ...],
    certificate_path: str,
    trust_source: str,
    operator_key: str,
    order_text: str | None,
    delivery_code: str | None,
    presentation_log: str | None,
    at_text: str | None,
    skew: str,
    cache_dir: str | None,
    verbose: bool,
    out_format: str,
    jobs: int,
) -> None:
    """Verify delivery proofs: the eight steps of DESIGN §7, a verdict, and the timeline.

    1 event ids, 2 links, 3 signatures and roles, 4 custody, 5 goods and seals,
    6 times, 7 certificate and order, 8 acknowledgement. VALID, INVALID or
    INDETERMINATE as for certificates; no network unless --trust is a URL whose
    snapshot must be read. A BUNDLE may be a folder (its .jsonld, .json and .xml
    files), a ZIP archive or a JSON Lines file (a proof per line), as for verify.
    Several proofs are verified on every core (--jobs), the results in the order
    given; with --presentation-log, one at a time, in that order.
    """
    from pathlib import Path

    from inspectx._io import InputFile, read_input
    from inspectx.batch import default_jobs, iter_inputs, run_ordered
    from inspectx.batch.jobs import DeliveryVerifyJob
    from inspectx.delivery.verify import FilePresentationLog
    from inspectx.errors import InspectxError

    at = _parse_time(at_text)
    skew_delta = _parse_skew(skew)
    order = None
    if order_text is not None:
        platform, _, order_id = order_text.partition(":")
        if not platform or not order_id:
            raise click.BadParameter("give PLATFORM:ORDER-ID", param_hint="--order")
        order = (platform, order_id)
    try:
        snapshot = _trust_snapshot(trust_source, operator_key, update=False, cache_dir=cache_dir)
    except InspectxError as exc:
        _fail(trust_source, exc)
    try:
        certificate = read_input(InputFile(certificate_path, certificate_path), 1 << 26)
    except InspectxError as exc:
        _fail(certificate_path, exc)
    log = FilePresentationLog(Path(presentation_log)) if presentation_log else None
    job = DeliveryVerifyJob(
        certificate=certificate, trust=snapshot, order=order, delivery_code=delivery_code,
        presentations=log, at=at, skew=skew_delta, max_bytes=_MAX_BUNDLE_BYTES, debug=_debug(),
    )  # fmt: skip
    style = _Style(sys.stdout)

    def text_entry(name: str, entry: dict[str, Any]) -> None:
        if "error" in entry:
            for line in _entry_error_lines(name, entry["error"], _Style(sys.stderr)):
                click.echo(line, err=True)
            return
        label, colour = _MARKS[entry["verdict"]]
        click.echo(f"{style(label, fg=colour)}  {_safe_name(name)}")
        for event in entry["timeline"]:
            hand_over = (
                f"  {_safe_name(event['from'] or '?')} → {_safe_name(event['to'] or '?')}"
                if event["from"] or event["to"]
                else ""
            )
            click.echo(
                f"  {event['time']}  {_safe_name(event['bizStep']):<11} "
                f"{_safe_name(event['actor'] or 'unknown actor')}{hand_over}"
            )
        _echo_checks(entry["checks"], verbose=verbose, width=21)

    batch = _is_batch(bundles)
    # a presentation log remembers proofs in the order they come: then one process
    workers = 1 if log is not None or not batch else (jobs or default_jobs())
    items = _first_or_usage_error(
        iter_inputs(bundles, max_bytes=_MAX_BUNDLE_BYTES, suffixes=_BUNDLE_SUFFIXES)
    )
    trust_list = snapshot.trust_list
    trust_info = _trust_info(snapshot)
    tally = _Tally(show=batch and out_format == "text")
    outcomes = run_ordered(job, items, jobs=workers)
    _report_verifications(outcomes, tally, out_format, trust_info, text_entry)
    if out_format == "text":
        click.echo(f"trust list {trust_list.id} #{trust_list.sequence_number} ({snapshot.origin})")
    sys.exit(tally.exit_code)


@delivery.command("export", epilog=EXIT_CODES_HELP)
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(dir_okay=False))
@click.option(
    "--to",
    "to",
    required=True,
    type=click.Choice(["epcis-jsonld", "epcis-xml"]),
    help="EPCIS 2.0 JSON-LD or XML; eventIDs and proofs are unchanged.",
)
@_output_options
def delivery_export(
    bundle_path: str, to: str, output: str | None, output_dir: str | None, force: bool
) -> None:
    """Write a delivery proof as an EPCIS 2.0 document for any EPCIS repository.

    The inspectx members travel as EPCIS user extensions; the proof verifies in either form.
    """
    from inspectx._io import InputFile, read_input
    from inspectx.delivery.epcis import jsonld_to_xml
    from inspectx.delivery.verify import read_bundle
    from inspectx.errors import InspectxError
    from inspectx.formats import data_to_json_bytes

    if output_dir:
        raise click.UsageError("delivery export writes one file: use -o")
    try:
        bundle = read_bundle(read_input(InputFile(bundle_path, bundle_path), _MAX_BUNDLE_BYTES))
        out = jsonld_to_xml(bundle) if to == "epcis-xml" else data_to_json_bytes(bundle)
        _write(out, output, force)
    except InspectxError as exc:
        _fail(bundle_path, exc)
    sys.exit(EXIT_OK)
