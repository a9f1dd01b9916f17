"""``inspectx render``: a certificate, and optionally its verification, as a page to read."""

from __future__ import annotations

import hashlib
import os
import sys
from typing import Any

import click

from inspectx.cli import (
    _MARKS,
    _VERDICT_EXIT,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_OPERATIONAL,
    _error_lines,
    _exit_code_for,
    _limits,
    _load_key_files,
    _max_bytes_option,
    _parse_age,
    _parse_time,
    _safe_name,
    _Style,
    _trust_list_options,
    _trust_snapshot,
    main,
)

RENDER_EXIT_CODES_HELP = """\b
Exit codes:
  0   the page was written (with --report: and the certificate is VALID)
  1   the input is not a readable certificate (no page is written), or,
      with --report, the certificate is INVALID (the page is written)
  2   usage error
  3   with --report: the certificate is INDETERMINATE (the page is written)
  4   operational error: the input, a key or the trust list could not be
      read, the output exists and --force was not given, or it could not
      be written (nothing partial is left)
  70  internal error (a bug): please report it; --debug shows the traceback"""


def _fail(name: str, exc: Any, code: int) -> None:
    for line in _error_lines(name, exc, _Style(sys.stderr)):
        click.echo(line, err=True)
    sys.exit(code)


@main.command("render", epilog=RENDER_EXIT_CODES_HELP)
@click.argument("input_path", metavar="IN")
@click.option("-o", "--output", help="Output file ('-' or absent: standard output).")
@click.option("--force", is_flag=True, help="Replace an existing output (never the input).")
@click.option(
    "--lang", default="en", show_default=True, help="Language of the page's labels (en, zh)."
)
@click.option(
    "--report",
    is_flag=True,
    help="Verify first (with --trust or --key-file) and show the verdict, every check, "
    "the trust list used and the verification time.",
)
@click.option(
    "--trust", "trust_source", metavar="LIST", help="With --report: the trust list (file or URL)."
)
@_trust_list_options
@click.option(
    "--key-file",
    "key_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="With --report, instead of --trust: a trusted public key or X.509 certificate. "
    "Repeatable.",
)
@click.option("--at", "at_text", metavar="TIME", help="The verification time (default: now).")
@click.option(
    "--qr-url",
    metavar="TEMPLATE",
    help="Put a verification URL in the QR code instead of the document's id and digest, "
    "e.g. 'https://verify.example/c/{sha256}?id={id}'.",
)
@click.option(
    "--to",
    "to",
    type=click.Choice(["html", "pdf"]),
    default="html",
    show_default=True,
    help="html (self-contained, prints on A4), or pdf (needs the extra inspectx[pdf]).",
)
@click.option(
    "--pdf-font",
    type=click.Path(dir_okay=False),
    help="With --to pdf: a TrueType font covering the page's language (default: a system font).",
)
@_max_bytes_option
def render(
    input_path: str,
    output: str | None,
    force: bool,
    lang: str,
    report: bool,
    trust_source: str | None,
    operator_key: str | None,
    update: bool,
    cache_dir: str | None,
    max_trust_age: str | None,
    key_files: tuple[str, ...],
    at_text: str | None,
    qr_url: str | None,
    to: str,
    pdf_font: str | None,
    max_bytes: int,
) -> None:
    """Render a certificate as a page for people: HTML (or PDF) with a QR code.

    The page shows what the certificate states: parties, products, samples,
    every test with its result, limit and outcome (failures highlighted), the
    conclusion, the signatories and signatures. With --report it first verifies
    the document, against a trust list (--trust, every step of 'inspectx verify')
    or keys you give (--key-file), and opens with the verdict; the numbered
    checks, the trust list used and the verification time follow. The page is
    written whatever the verdict; the exit code is the verdict's. Without
    --report, the page says that nothing was verified.

    The QR code holds the document's SHA-256 and id (ni:///sha-256;...?id=...),
    or the URL of --qr-url. Rendering is deterministic: the same input and
    options (and --at) give the same bytes.

    \b
    Examples:
      inspectx render fixtures/certificates/toys-en71-3.json -o toys.html
      inspectx render report.json --lang zh -o report.zh.html
      inspectx render fixtures/trust/signed/valid.json --report \\
          --trust fixtures/trust/demo.trustlist.json \\
          --operator-key fixtures/trust/keys/operator.pub.pem -o evidence.html
      inspectx render report.signed.json --report --key-file lab.pub --to pdf -o report.pdf
    """
    from inspectx._io import InputFile, ensure_not_an_input, read_input, write_atomic
    from inspectx.errors import InspectxError, OutputError
    from inspectx.render import RenderError, available_languages, qr_payload

    if lang not in available_languages():
        raise click.BadParameter(
            f"{lang!r}: choose one of {', '.join(available_languages())}", param_hint="--lang"
        )
    if report and not (trust_source or key_files):
        raise click.UsageError("--report needs --trust LIST --operator-key KEY, or --key-file KEY")
    if (trust_source or key_files) and not report:
        raise click.UsageError("--trust and --key-file verify: give --report too")
    if trust_source and key_files:
        raise click.UsageError("give either --trust or --key-file, not both")
    if trust_source and not operator_key:
        raise click.UsageError("--trust needs --operator-key (the list operator's public key)")
    if not trust_source and (update or max_trust_age or operator_key or cache_dir):
        raise click.UsageError(
            "--update, --max-trust-age, --cache-dir, --operator-key need --trust"
        )
    if at_text and not report:
        raise click.UsageError("--at is the verification time: give --report too")
    if pdf_font and to != "pdf":
        raise click.UsageError("--pdf-font needs --to pdf")
    to_stdout = output in (None, "-")
    if to == "pdf" and to_stdout and sys.stdout.isatty():
        raise click.UsageError("a PDF is not for the terminal: give -o FILE")
    if qr_url is not None:
        try:
            qr_payload("urn:x", "0" * 64, url_template=qr_url)
        except RenderError as exc:
            raise click.BadParameter(f"{exc.code}: {exc.message}", param_hint="--qr-url") from None
    max_age = _parse_age(max_trust_age)
    at = _parse_time(at_text)

    item = InputFile(input_path, os.path.basename(input_path))
    # every file read is an input, never overwritten: the trust list and keys too
    others = [*key_files, operator_key, pdf_font]
    if trust_source and not trust_source.startswith(("http://", "https://")):
        others.append(trust_source)
    try:
        if not to_stdout:
            assert output is not None
            ensure_not_an_input(output, [item, *(InputFile(p, p) for p in others if p)])
            if os.path.lexists(output) and not force:  # refused before any verification work
                raise OutputError(
                    "output.exists",
                    f"{output} already exists",
                    hint="give --force to replace it, or choose another output",
                )
        data = read_input(item, max_bytes)
    except InspectxError as exc:
        _fail(input_path, exc, _exit_code_for(exc))
    sha256 = hashlib.sha256(data).hexdigest()
    limits = _limits(max_bytes)

    verification: Any = None
    exit_code = EXIT_OK
    if report:
        verification = _verify(
            data, trust_source, operator_key, key_files, update=update, cache_dir=cache_dir,
            max_age=max_age, at=at, limits=limits,
        )  # fmt: skip
        certificate = verification.certificate
        exit_code = _VERDICT_EXIT[verification.verdict.value]
    else:
        from inspectx.validation import read_certificate

        try:
            certificate = read_certificate(data, limits=limits).certificate
        except InspectxError as exc:
            _fail(input_path, exc, EXIT_INVALID)

    try:
        if to == "pdf":
            from inspectx.render.pdf import render_pdf

            page = render_pdf(
                certificate, data_sha256=sha256, verification=verification, lang=lang,
                verification_url=qr_url, font=pdf_font,
            )  # fmt: skip
        else:
            from inspectx.render import render_html

            page = render_html(
                certificate, data_sha256=sha256, verification=verification, lang=lang,
                verification_url=qr_url,
            )  # fmt: skip
        if to_stdout:
            sys.stdout.buffer.write(page)
            sys.stdout.buffer.flush()
        else:
            assert output is not None
            write_atomic(output, page, force=force)
    except InspectxError as exc:
        _fail(input_path, exc, EXIT_OPERATIONAL)

    style = _Style(sys.stderr)
    if verification is not None:
        label, colour = _MARKS[verification.verdict.value]
        state = style(label, fg=colour)
    else:
        state = "not verified"
    where = "" if to_stdout else f" -> {_safe_name(str(output))}"
    click.echo(f"{state}  {_safe_name(input_path)}{where} ({to}, {lang})", err=True)
    sys.exit(exit_code)


def _verify(
    data: bytes, trust_source: str | None, operator_key: str | None, key_files: tuple[str, ...],
    *, update: bool, cache_dir: str | None, max_age: Any, at: Any, limits: Any,
) -> Any:  # fmt: skip
    """The page's Verification: against the trust list, or the keys given."""
    from datetime import UTC, datetime

    from inspectx.errors import InspectxError
    from inspectx.render import Verification, verify_with_keys

    if trust_source:
        from inspectx.trust import verify_admissible

        assert operator_key is not None
        try:
            snapshot = _trust_snapshot(trust_source, operator_key, update=update,
                                       cache_dir=cache_dir)  # fmt: skip
        except InspectxError as exc:
            _fail(trust_source, exc, EXIT_OPERATIONAL)
        report = verify_admissible(
            data, trust=snapshot, at=at, max_trust_age=max_age, limits=limits
        )
        return Verification.from_report(report, trust_source=snapshot.source)
    trusted, certificates = _load_key_files(key_files)
    return verify_with_keys(
        data, public_keys=trusted, certificates=certificates,
        at=at or datetime.now(UTC), limits=limits,
    )  # fmt: skip
