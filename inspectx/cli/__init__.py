"""The ``inspectx`` command line: a thin shell over the library.

Only click is imported at start-up; each command imports the library parts it
needs, so ``inspectx --help`` and ``--version`` stay fast (a test checks that
lxml, cryptography and jsonschema are not loaded for them).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from inspectx import __version__

if TYPE_CHECKING:
    from inspectx._io import InputFile
    from inspectx.errors import InspectxError
    from inspectx.validation import DocumentReport

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INDETERMINATE, EXIT_OPERATIONAL = 0, 1, 2, 3, 4
EXIT_INTERNAL = 70
REPORT_SCHEMA = "inspectx.report/1"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

EXIT_CODES_HELP = """\b
Exit codes:
  0   every input passed
  1   at least one input INVALID (malformed, hostile or schema-invalid)
  2   usage error
  3   at least one input INDETERMINATE, none INVALID
  4   operational error: an input could not be read, an output exists
      and --force was not given, an output could not be written
  70  internal error (a bug): please report it; --debug shows the traceback"""


def _worst(codes: Sequence[int]) -> int:
    for code in (EXIT_INTERNAL, EXIT_OPERATIONAL, EXIT_INVALID, EXIT_INDETERMINATE):
        if code in codes:
            return code
    return EXIT_OK


class _Style:
    """Colour only on a terminal, and never with NO_COLOR or TERM=dumb."""

    def __init__(self, stream: Any) -> None:
        self.on = (
            hasattr(stream, "isatty")
            and stream.isatty()
            and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb"
        )

    def __call__(self, text: str, **kw: Any) -> str:
        return click.style(text, **kw) if self.on else text


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _unicode(text: str) -> str:
    """Valid Unicode: bytes of a non-UTF-8 file name shown as \\xNN, not as lone surrogates."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _safe_name(text: str) -> str:
    """Text fit for one line of terminal output: control characters (newlines, ESC)
    escaped, so a file name cannot forge a line or drive the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], _unicode(text))


def _clean(value: Any) -> Any:
    """A report entry with every string made valid Unicode (for JSON output)."""
    if isinstance(value, str):
        return _unicode(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _error_lines(name: str, err: InspectxError, style: _Style) -> list[str]:
    where = f" at {_safe_name(err.location)}" if err.location else ""
    message = _safe_name(err.message)
    lines = [f"{style('✖', fg='red')} {_safe_name(name)}: {err.code}: {message}{where}"]
    if err.hint:
        lines.append(f"  hint: {_safe_name(err.hint)}")
    return lines


class _Group(click.Group):
    """Maps every failure to the documented exit codes; no traceback without --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            # the reader went away (e.g. `| head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_OPERATIONAL)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"inspectx: internal error ({type(exc).__name__}: {exc}). This is a bug: "
                "please report it with the command you ran; --debug shows the traceback.",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(__version__, "--version", prog_name="inspectx")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Convert, validate and inspect cross-border inspection certificates.

    \b
    Examples:
      inspectx convert report.json --to xml -o report.xml
      inspectx convert certs/ --to xml --output-dir out/
      inspectx validate certs/*.json certs/*.xml
      inspectx validate report.xml --format json | jq .summary
      inspectx inspect report.xml
      cat report.xml | inspectx convert - > report.json
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _max_bytes_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--max-bytes",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_BYTES,
        show_default=True,
        help="Refuse inputs larger than this.",
    )(f)


def _format_option(*choices: str, help: str | None = None) -> Callable[..., Any]:
    """--format, text for people first, then the machine formats."""
    return click.option(
        "--format",
        "out_format",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=help,
    )


def _output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """-o, --output-dir and --force, with the same meaning in every command that writes."""
    for option in (
        click.option("--force", is_flag=True, help="Replace existing outputs (never an input)."),
        click.option(
            "--output-dir",
            type=click.Path(file_okay=False),
            help="Write each output here, named after its input; needed for several inputs.",
        ),
        click.option("-o", "--output", help="Output file for a single input ('-' for stdout)."),
    ):
        f = option(f)
    return f


def _limits(max_bytes: int) -> Any:
    from inspectx.formats import Limits

    return Limits(max_bytes=max_bytes)


# --- convert ---------------------------------------------------------------------------


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="IN...")
@click.option(
    "--to",
    "target",
    type=click.Choice(["json", "xml", "sps", "untp-dcc"]),
    help="Output format: inspectx json or xml (default: the other one; json for a foreign "
    "input), UN/CEFACT SPS eCert XML (sps), or a UNTP conformity credential (untp-dcc).",
)
@click.option("--strict", is_flag=True, help="Fail instead of flattening or dropping anything.")
@click.option(
    "--no-extension",
    "no_extension",
    is_flag=True,
    help="Leave out the inspectx extension that lets SPS and UNTP output convert back "
    "exactly (the conversion report then lists what the target could not hold).",
)
@_format_option("text", "json", help="The conversion report: text, or one JSON object.")
@_output_options
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@_max_bytes_option
def convert(
    inputs: tuple[str, ...],
    target: str | None,
    strict: bool,
    no_extension: bool,
    out_format: str,
    output: str | None,
    output_dir: str | None,
    force: bool,
    quiet: bool,
    max_bytes: int,
) -> None:
    """Convert certificates: inspectx JSON and XML losslessly, and to and from UN/CEFACT
    SPS eCert XML and UNTP conformity credentials with a report of anything flattened
    or dropped.

    The input format is detected from the content (an XML root's namespace, a JSON
    document's type); IN may be files, directories (their *.json and *.xml files) or -
    for standard input. One input without -o goes to standard output. Outputs are
    written atomically and never replace an input. The conversion report goes to
    standard output when the outputs go to files, else to standard error.

    \b
    Examples:
      inspectx convert report.json -o report.xml
      inspectx convert report.xml --to json > report.json
      inspectx convert certs/ --to xml --output-dir xml/
      inspectx convert report.json --to sps -o report.sps.xml
      inspectx convert report.json --to untp-dcc --strict -o report.dcc.json
      inspectx convert traces-intra.xml -o report.json      # SPS in, inspectx JSON out
    """
    from inspectx._io import ensure_not_an_input, expand_inputs, read_input, write_atomic
    from inspectx.errors import InspectxError, OutputError
    from inspectx.validation import SchemaValidators
    from inspectx.validation.interchange import interchange

    items = list(expand_inputs(inputs))
    batch = len(items) != 1 or any(os.path.isdir(i) for i in inputs)
    if output and output_dir:
        raise click.UsageError("give either -o or --output-dir, not both")
    if batch and output:
        raise click.UsageError("-o takes a single input; use --output-dir for several")
    if batch and not output_dir:
        raise click.UsageError("several inputs need --output-dir")
    if output_dir and any(i.is_stdin for i in items):
        raise click.UsageError("standard input (-) cannot be written to --output-dir; use -o")
    if not items:
        raise click.UsageError("no .json or .xml files found in the inputs given")

    err_style = _Style(sys.stderr)
    limits = _limits(max_bytes)
    validators = SchemaValidators()
    codes: list[int] = []
    planned: set[str] = set()
    if output_dir:
        try:
            os.makedirs(output_dir, exist_ok=True)
        except OSError as exc:
            click.echo(
                f"inspectx: cannot create {_safe_name(output_dir)}: {exc.strerror}", err=True
            )
            sys.exit(EXIT_OPERATIONAL)
    single_output = output if output and output != "-" else None

    def check_destination(destination: str) -> None:
        ensure_not_an_input(destination, items)
        key = os.path.realpath(destination)
        if key in planned:
            raise OutputError(
                "output.collision",
                f"two inputs would both be written to {destination}",
                hint="convert them into separate output directories",
            )
        planned.add(key)
        if os.path.lexists(destination) and not force:
            raise OutputError(
                "output.exists",
                f"{destination} already exists",
                hint="give --force to replace it, or choose another output",
            )

    conversions: list[dict[str, Any]] = []
    for item in items:
        try:
            if single_output:  # known before reading: refuse before any work
                check_destination(single_output)
            data = read_input(item, max_bytes)
            done = interchange(
                data, target, strict=strict, extension=not no_extension,  # type: ignore[arg-type]
                limits=limits, validators=validators,
            )  # fmt: skip
            source_format, out, losses, written = done.source, done.data, done.losses, done.target
            if source_format == "xml" and b"http://www.w3.org/2000/09/xmldsig#" in data:
                click.echo(
                    f"{_safe_name(item.path)}: note: its XML signature is not carried into the "
                    "conversion (it signs the XML bytes); Data Integrity proofs are",
                    err=True,
                )
            destination = single_output
            if output_dir:
                # named by what was written: the input format comes from content, not the name
                destination = _in_output_dir(item, output_dir, _SUFFIX[written])
                check_destination(destination)
            if destination is None:
                sys.stdout.buffer.write(out)
                sys.stdout.buffer.flush()
            else:
                write_atomic(destination, out, force=force)
                if not quiet and out_format == "text":
                    click.echo(f"{_safe_name(item.path)} -> {_safe_name(destination)}", err=True)
            conversions.append({"source": item.path, "from": source_format, "to": written,
                                "output": destination or "-",
                                "losses": [loss.as_dict() for loss in losses]})  # fmt: skip
            if out_format == "text" and not quiet:
                for loss in losses:
                    click.echo(f"  {loss.kind.value} {_safe_name(loss.field)}: "
                               f"{_safe_name(loss.reason)}", err=True)  # fmt: skip
            codes.append(EXIT_OK)
        except InspectxError as exc:
            for line in _error_lines(item.path, exc, err_style):
                click.echo(line, err=True)
            codes.append(_exit_code_for(exc))
            conversions.append({"source": item.path, "error": exc.as_dict()})
    if out_format == "json":
        report = {"schema": "inspectx.conversion/1", "conversions": conversions,
                  "exitCode": _worst(codes)}  # fmt: skip
        to_files = bool(output_dir or single_output)
        click.echo(json.dumps(_clean(report), indent=2, ensure_ascii=False), err=not to_files)
    elif batch and not quiet:
        failed = sum(1 for c in codes if c != EXIT_OK)
        click.echo(f"{len(codes) - failed} converted, {failed} failed", err=True)
    sys.exit(_worst(codes))


_SUFFIX = {"json": "json", "xml": "xml", "sps": "sps.xml", "untp-dcc": "dcc.json"}


def _exit_code_for(exc: InspectxError) -> int:
    from inspectx.errors import OutputError

    if isinstance(exc, OutputError) or exc.code.startswith("input."):
        return EXIT_OPERATIONAL
    return EXIT_INVALID


def _in_output_dir(item: InputFile, output_dir: str, suffix: str) -> str:
    from inspectx.errors import OutputError

    stem, _ = os.path.splitext(item.relative)
    path = os.path.join(output_dir, f"{stem}.{suffix}")
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    except OSError as exc:
        raise OutputError(
            "output.unwritable",
            f"cannot create the folder for {path}: {exc.strerror}",
            hint="check that no file stands where the folder must go, and the permissions",
        ) from None
    return path


# --- validate -------------------------------------------------------------------------


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="IN...")
@click.option(
    "--rules",
    "pack_names",
    multiple=True,
    metavar="PACK",
    help="Also evaluate a destination-market rule pack (an id from `inspectx rules list`, "
    "or a pack file). Repeatable.",
)
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    type=click.Choice(["iso17025"]),
    help="Also lint the report's content against a profile (ISO/IEC 17025 §7.8).",
)
@click.option(
    "--at",
    "at_text",
    metavar="TIME",
    help="Evaluate rule packs as of this RFC 3339 time (default: now).",
)
@_format_option(
    "text",
    "json",
    "jsonl",
    help="text for people; json (one object) or jsonl (a line per input, then a summary).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show every check and warning.")
@_max_bytes_option
def validate(
    inputs: tuple[str, ...],
    pack_names: tuple[str, ...],
    profiles: tuple[str, ...],
    at_text: str | None,
    out_format: str,
    verbose: bool,
    max_bytes: int,
) -> None:
    """Check certificates: format, schema, business rules, and optionally
    destination-market rule packs and report profiles.

    The verdict is VALID, INVALID (a rule or check failed), or INDETERMINATE (a
    rule pack could not decide: a human must look).

    \b
    Examples:
      inspectx validate report.json
      inspectx validate report.xml --rules eu-toys-en71-3 --profile iso17025
      inspectx validate certs/ --format jsonl > results.jsonl
    """
    from inspectx._io import expand_inputs, read_input
    from inspectx.errors import InspectxError
    from inspectx.validation import SchemaValidators, validate_bytes

    packs = _load_packs(pack_names)
    at = _parse_time(at_text)
    limits = _limits(max_bytes)
    validators = SchemaValidators()
    style = _Style(sys.stdout)
    counts = {"VALID": 0, "INVALID": 0, "INDETERMINATE": 0, "ERROR": 0}
    codes: list[int] = []
    documents: list[dict[str, Any]] = []
    entry: dict[str, Any]
    items = list(expand_inputs(inputs))
    if not items:
        raise click.UsageError("no .json or .xml files found in the inputs given")
    for item in items:
        try:
            data = read_input(item, max_bytes)
        except InspectxError as exc:
            if exc.code.startswith("input."):
                entry = {"source": item.path, "verdict": "ERROR", "error": exc.as_dict()}
            else:
                entry = _report_for_error(item.path, exc)
        else:
            report = validate_bytes(
                data, source=item.path, limits=limits, validators=validators,
                profiles=profiles, packs=packs, at=at,
            )  # fmt: skip
            entry = report.as_dict()
            if report.certificate is not None:
                entry["summary"] = _summary_line(report)
        counts[entry["verdict"]] += 1
        codes.append(_VERDICT_EXIT[entry["verdict"]])
        _emit(entry, out_format, style, verbose)
        if out_format == "json":
            documents.append(entry)
    exit_code = _worst(codes)
    summary = {"total": len(codes), **{k.lower(): n for k, n in counts.items()}}
    if out_format == "json":
        report_object = {
            "schema": REPORT_SCHEMA,
            "tool": {"name": "inspectx", "version": __version__},
            "documents": documents,
            "summary": summary,
            "exitCode": exit_code,
        }
        click.echo(json.dumps(_clean(report_object), indent=2, ensure_ascii=False))
    elif out_format == "jsonl":
        click.echo(json.dumps({"schema": REPORT_SCHEMA, "summary": summary, "exitCode": exit_code}))
    elif len(codes) > 1:
        click.echo(
            f"{summary['total']} checked: {summary['valid']} valid, {summary['invalid']} invalid"
            + (f", {summary['indeterminate']} indeterminate" if summary["indeterminate"] else "")
            + (f", {summary['error']} unreadable" if summary["error"] else "")
        )
    sys.exit(exit_code)


def _load_packs(names: tuple[str, ...]) -> list[Any]:
    if not names:
        return []
    from inspectx.errors import InspectxError
    from inspectx.validation.packs import load_pack

    packs = []
    for name in names:
        try:
            packs.append(load_pack(name))
        except InspectxError as exc:
            for line in _error_lines(name, exc, _Style(sys.stderr)):
                click.echo(line, err=True)
            sys.exit(EXIT_OPERATIONAL)
    return packs


def _parse_time(text: str | None) -> Any:
    if text is None:
        return None
    from datetime import datetime

    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an RFC 3339 time", param_hint="--at") from None
    if value.tzinfo is None:
        raise click.BadParameter("give a time zone offset, e.g. Z or +08:00", param_hint="--at")
    return value


_VERDICT_EXIT = {
    "VALID": EXIT_OK,
    "INVALID": EXIT_INVALID,
    "INDETERMINATE": EXIT_INDETERMINATE,
    "ERROR": EXIT_OPERATIONAL,
}


def _report_for_error(source: str, exc: InspectxError) -> dict[str, Any]:
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


def _summary_line(report: DocumentReport) -> str:
    cert = report.certificate
    assert cert is not None
    return (
        f"{cert.document_type.value} {cert.number.value} by {cert.issuer.name}: "
        f"{len(cert.products)} products, {len(cert.tests)} tests, "
        f"conclusion {cert.conclusion.outcome}"
    )


_MARKS = {
    "VALID": ("✔ VALID", "green"),
    "INVALID": ("✖ INVALID", "red"),
    "INDETERMINATE": ("? INDETERMINATE", "yellow"),
    "ERROR": ("! ERROR", "yellow"),
}


def _step_checks(checks: Sequence[Any], layer: str) -> dict[str, Any]:
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


def _document_summary(cert: Any) -> dict[str, str] | None:
    if cert is None:
        return None
    return {"id": cert.id, "number": cert.number.value, "type": cert.document_type.value,
            "issuer": cert.issuer.name}  # fmt: skip


def _verification_report(
    documents: list[dict[str, Any]], codes: Sequence[int], trust: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``inspectx.report/1`` object of a verification (schemas/inspectx-report.schema.json)."""
    verdicts = [d["verdict"] for d in documents]
    summary = {"total": len(verdicts)} | {
        v.lower(): verdicts.count(v) for v in ("VALID", "INVALID", "INDETERMINATE", "ERROR")
    }
    report: dict[str, Any] = _clean(_pruned({
        "schema": REPORT_SCHEMA, "tool": {"name": "inspectx", "version": __version__},
        "trust": trust, "documents": documents, "summary": summary, "exitCode": _worst(codes),
    }))  # fmt: skip
    return report


def _pruned(value: Any) -> Any:
    """``value`` without the members that are None (absent, in the report's schema)."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _emit(entry: dict[str, Any], out_format: str, style: _Style, verbose: bool) -> None:
    if out_format == "jsonl":
        click.echo(json.dumps(_clean({"schema": REPORT_SCHEMA, **entry}), ensure_ascii=False))
        return
    if out_format != "text":
        return
    name = _safe_name(entry["source"])
    verdict = entry["verdict"]
    label, colour = _MARKS[verdict]
    kind = {"json": " (inspectx JSON)", "xml": " (inspectx XML)"}.get(entry.get("format", ""), "")
    click.echo(f"{style(label, fg=colour)}  {name}{kind}")
    if verdict == "ERROR":
        err = entry["error"]
        click.echo(f"  {err['code']}: {_safe_name(err['message'])}")
        if err.get("hint"):
            click.echo(f"    hint: {err['hint']}")
        return
    if verbose and "summary" in entry:
        click.echo(f"  {entry['summary']}")
    if verbose:
        for check in entry.get("checks", []):
            click.echo(f"  check {check['id']:<28} {check['status']}")
    for finding in entry["findings"]:
        if finding["severity"] != "error" and not verbose:
            continue
        where = f" at {_safe_name(finding['location'])}" if finding.get("location") else ""
        severity = "" if finding["severity"] == "error" else f"{finding['severity']}: "
        click.echo(f"  {severity}{finding['code']}{where}: {_safe_name(finding['message'])}")
        if finding.get("hint"):
            click.echo(f"    hint: {_safe_name(finding['hint'])}")
    for pack in entry.get("packs", []):
        for rule in pack["rules"]:
            if rule["status"] in ("FAILED", "OPEN") or verbose:
                click.echo(
                    f"  {pack['id']} {rule['id']}: {rule['status']}: {rule['description']}"
                    + (f" ({rule['note']})" if rule.get("note") else "")
                )


# --- keys, signing and verification ------------------------------------------------------


def _passphrase(variable: str | None, prompt: bool, *, confirm: bool) -> bytes | None:
    """A passphrase from an environment variable or the terminal, never from argv."""
    if variable:
        from inspectx.proofs.keys import passphrase_from_environment

        value = passphrase_from_environment(variable, os.environ)
        if value is None:
            raise click.UsageError(f"the environment variable {variable} is not set")
        return value
    if prompt:
        text = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
        return os.fsencode(text)
    return None


_PASSPHRASE_OPTIONS = (
    click.option(
        "--passphrase-env",
        metavar="VAR",
        help="Read the key's passphrase from this environment variable.",
    ),
    click.option("--passphrase-prompt", is_flag=True, help="Ask for the key's passphrase."),
)


def _with_passphrase(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_PASSPHRASE_OPTIONS):
        f = option(f)
    return f


@main.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--alg",
    "algorithm",
    type=click.Choice(["ed25519", "p256", "p384", "rsa3072"]),
    default="ed25519",
    show_default=True,
)
@click.option(
    "--out-key", required=True, type=click.Path(dir_okay=False), help="Private key (PKCS#8 PEM)."
)
@click.option(
    "--subject", help='Subject of a certificate or CSR, e.g. "CN=Example Lab,O=Example,C=DE".'
)
@click.option(
    "--out-cert", type=click.Path(dir_okay=False), help="Write a self-signed certificate."
)
@click.option(
    "--out-csr", type=click.Path(dir_okay=False), help="Write a certificate signing request."
)
@click.option("--days", type=click.IntRange(min=1), default=825, show_default=True)
@_with_passphrase
@click.option("--force", is_flag=True, help="Replace existing files.")
def keygen(
    algorithm: str,
    out_key: str,
    subject: str | None,
    out_cert: str | None,
    out_csr: str | None,
    days: int,
    passphrase_env: str | None,
    passphrase_prompt: bool,
    force: bool,
) -> None:
    """Make a signing key (and optionally a self-signed certificate or a CSR).

    The private key is written readable by its owner only, encrypted when a
    passphrase is given (from an environment variable or a prompt, never an
    argument). Data Integrity proofs use Ed25519, P-256 or P-384 keys.

    \b
    Examples:
      inspectx keygen --out-key lab.key
      INSPECTX_PASS=… inspectx keygen --alg p256 --passphrase-env INSPECTX_PASS \\
          --out-key lab.key --subject "CN=Example Lab,O=Example,C=DE" --out-cert lab.crt
    """
    from datetime import UTC, datetime

    from inspectx._io import write_atomic
    from inspectx.errors import InspectxError
    from inspectx.proofs import keys

    if (out_cert or out_csr) and not subject:
        raise click.UsageError("--out-cert and --out-csr need --subject")
    try:
        passphrase = _passphrase(passphrase_env, passphrase_prompt, confirm=True)
        key = keys.generate_key(algorithm)
        outputs = [(out_key, keys.private_key_to_pem(key, passphrase=passphrase), True)]
        if out_cert and subject:
            cert = keys.self_signed_certificate(
                key, subject=subject, days=days, now=datetime.now(UTC)
            )
            outputs.append((out_cert, keys.certificate_to_pem(cert), False))
        if out_csr and subject:
            csr = keys.certificate_signing_request(key, subject=subject)
            outputs.append((out_csr, keys.csr_to_pem(csr), False))
        for path, data, private in outputs:
            write_atomic(path, data, force=force, private=private)
    except InspectxError as exc:
        for line in _error_lines(out_key, exc, _Style(sys.stderr)):
            click.echo(line, err=True)
        sys.exit(EXIT_OPERATIONAL)
    from inspectx.proofs.multibase import did_key_verification_method

    if algorithm != "rsa3072":
        click.echo(f"verification method: {did_key_verification_method(key.public_key())}")  # type: ignore[arg-type]
    sys.exit(EXIT_OK)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="IN...")
@click.option(
    "--xmldsig",
    is_flag=True,
    help="Make an enveloped XML signature (XML output) instead of a Data Integrity proof.",
)
@click.option(
    "--xades",
    is_flag=True,
    help="Make the XML signature XAdES baseline B (signing time and signer certificate "
    "digest signed with it); implies --xmldsig.",
)
@click.option(
    "--cert",
    "cert_path",
    type=click.Path(dir_okay=False),
    help="The signer's X.509 certificate, embedded in an XML signature (with --xmldsig).",
)
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Private key (PEM, DER or PKCS#12).",
)
@click.option(
    "--verification-method", help="What the proof names as its key (default: the key's did:key)."
)
@_with_passphrase
@click.option(
    "--to",
    "target",
    type=click.Choice(["json", "xml"]),
    help="Output format (default: the input's).",
)
@_output_options
@_max_bytes_option
def sign(
    inputs: tuple[str, ...],
    xmldsig: bool,
    xades: bool,
    cert_path: str | None,
    key_path: str,
    verification_method: str | None,
    passphrase_env: str | None,
    passphrase_prompt: bool,
    target: str | None,
    output: str | None,
    output_dir: str | None,
    force: bool,
    max_bytes: int,
) -> None:
    """Add a Data Integrity proof (eddsa-jcs-2022 or ecdsa-jcs-2019) to certificates.

    The proof covers the canonical JSON of the certificate, so it verifies on the
    JSON and on the XML form alike. An existing proof is kept (a proof set).
    With --xmldsig (or --xades) the certificate gets an enveloped XML signature instead,
    for XML-native verifiers; it covers the XML bytes only.

    \b
    Examples:
      inspectx sign report.json --key lab.key -o report.signed.json
      inspectx sign certs/ --key lab.key --output-dir signed/
      inspectx sign report.xml --xades --key lab.key --cert lab.crt -o report.signed.xml
    """
    from datetime import UTC, datetime

    from inspectx._io import InputFile, ensure_not_an_input, expand_inputs, read_input, write_atomic
    from inspectx.errors import InspectxError
    from inspectx.proofs import keys
    from inspectx.proofs.certificate import sign_certificate
    from inspectx.proofs.multibase import did_key_verification_method
    from inspectx.validation import read_certificate, render

    items = list(expand_inputs(inputs))
    batch = len(items) != 1 or any(os.path.isdir(i) for i in inputs)
    if batch and not output_dir:
        raise click.UsageError("several inputs need --output-dir")
    if output and output_dir:
        raise click.UsageError("give either -o or --output-dir, not both")
    xmldsig = xmldsig or xades
    if xmldsig and not cert_path:
        raise click.UsageError("--xmldsig and --xades need --cert (the certificate to embed)")
    if xmldsig and target == "json":
        raise click.UsageError("an XML signature signs XML: --xmldsig writes XML")
    certificate = None
    try:
        if cert_path:
            certificate = keys.load_certificate(
                read_input(InputFile(cert_path, cert_path), 1024 * 1024)
            )
        passphrase = _passphrase(passphrase_env, passphrase_prompt, confirm=False)
        key_file = read_input(InputFile(key_path, key_path), 1024 * 1024)
        key = keys.load_private_key(key_file, passphrase=passphrase)
        if not xmldsig and keys.check_key_allowed(key) is keys.KeyAlgorithm.rsa3072:
            from inspectx.proofs.dataintegrity import ProofError

            raise ProofError(
                "proof.algorithm-not-allowed",
                "Data Integrity proofs are made with Ed25519, P-256 or P-384 keys, not RSA",
                hint="make one with: inspectx keygen --alg ed25519 (RSA serves XML signatures)",
            )
        method = verification_method or (
            "" if xmldsig else did_key_verification_method(key.public_key())  # type: ignore[arg-type]
        )
    except InspectxError as exc:
        for line in _error_lines(key_path, exc, _Style(sys.stderr)):
            click.echo(line, err=True)
        sys.exit(EXIT_OPERATIONAL)
    limits = _limits(max_bytes)
    now = datetime.now(UTC).replace(microsecond=0)
    codes: list[int] = []
    for item in items:
        try:
            loaded = read_certificate(read_input(item, max_bytes), limits=limits)
            if xmldsig:
                from inspectx.proofs.xmldsig import sign_xml

                fmt = "xml"
                unsigned = render(loaded.certificate, "xml")
                out = sign_xml(
                    unsigned,
                    private_key=key,
                    certificate=certificate,  # type: ignore[arg-type]
                    xades=xades,
                    signing_time=now,
                )
            else:
                signed = sign_certificate(
                    loaded.certificate,
                    private_key=key,  # type: ignore[arg-type]  # RSA: refused above
                    verification_method=method,
                    created=now,
                )
                fmt = target or loaded.format
                out = render(signed, fmt)  # type: ignore[arg-type]
            destination = output if output and output != "-" else None
            if output_dir:
                destination = _in_output_dir(item, output_dir, fmt)
            if destination is None:
                sys.stdout.buffer.write(out)
                sys.stdout.buffer.flush()
            else:
                ensure_not_an_input(destination, items)
                write_atomic(destination, out, force=force)
            codes.append(EXIT_OK)
        except InspectxError as exc:
            for line in _error_lines(item.path, exc, _Style(sys.stderr)):
                click.echo(line, err=True)
            codes.append(_exit_code_for(exc))
    sys.exit(_worst(codes))


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("inputs", nargs=-1, required=True, metavar="IN...")
@click.option(
    "--key-file",
    "key_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A trusted public key or X.509 certificate (PEM or DER); a certificate also "
    "verifies XML signatures. Repeatable. (Without a trust list.)",
)
@click.option(
    "--trust",
    "trust_source",
    metavar="LIST",
    help="Judge admissibility against a trust list: a file, or the URL of one whose "
    "snapshot 'inspectx trust update' keeps (no network unless --update).",
)
@click.option(
    "--operator-key",
    type=click.Path(dir_okay=False),
    help="The trust list operator's public key (PEM); required with --trust.",
)
@click.option("--update", is_flag=True, help="With a --trust URL: fetch the list first.")
@click.option(
    "--max-trust-age",
    metavar="AGE",
    help="A trust snapshot fetched longer ago than this (e.g. 7d, 12h) gives INDETERMINATE.",
)
@click.option("--at", "at_text", metavar="TIME", help="The verification time (default: now).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Where trust snapshots are kept (default: the user cache directory).",
)
@click.option("-v", "--verbose", is_flag=True, help="With --trust: show every step.")
@_format_option("text", "json")
@_max_bytes_option
def verify(
    inputs: tuple[str, ...],
    key_files: tuple[str, ...],
    trust_source: str | None,
    operator_key: str | None,
    update: bool,
    max_trust_age: str | None,
    at_text: str | None,
    cache_dir: str | None,
    verbose: bool,
    out_format: str,
    max_bytes: int,
) -> None:
    """Verify certificates' proofs: against a trust list (admissibility), or keys you give.

    With --trust, every step of the verification runs: format, schema, rules, each
    proof's integrity, the signer listed for the issuing lab, accredited at the
    signing time with a scope covering every test method and product, the
    document's validity at --at, and the trust list's freshness. Without it, only
    the keys given with --key-file are trusted (matched by their did:key; an XML
    signature must be made by one of the certificates given). The certificate is
    always read from the verified bytes; keys a document names or carries are
    never trusted.

    \b
    Examples:
      inspectx verify fixtures/trust/signed/valid.json --trust fixtures/trust/demo.trustlist.json \\
          --operator-key fixtures/trust/keys/operator.pub.pem
      inspectx verify report.json --trust https://registry.example/labs.json \\
          --operator-key registry.pub --update --max-trust-age 7d
      inspectx verify report.signed.json --key-file lab.pub
      inspectx verify report.signed.xml --key-file lab.crt --format json
    """
    if trust_source:
        if key_files:
            raise click.UsageError("give either --trust or --key-file, not both")
        if not operator_key:
            raise click.UsageError("--trust needs --operator-key (the list operator's public key)")
        _verify_with_trust(
            inputs, trust_source, operator_key, update=update,
            max_age=_parse_age(max_trust_age), at=_parse_time(at_text), cache_dir=cache_dir,
            verbose=verbose, out_format=out_format, max_bytes=max_bytes,
        )  # fmt: skip
    if not key_files:
        raise click.UsageError("give --trust LIST --operator-key KEY, or --key-file KEY")
    if update or max_trust_age or at_text or operator_key:
        raise click.UsageError("--update, --max-trust-age, --at and --operator-key need --trust")
    import hashlib

    from inspectx._io import InputFile, expand_inputs, read_input
    from inspectx.errors import InspectxError
    from inspectx.proofs import keys
    from inspectx.proofs.certificate import verify_certificate
    from inspectx.proofs.multibase import did_key_verification_method

    trusted: dict[str, Any] = {}
    certificates: list[Any] = []
    for path in key_files:
        try:
            material = read_input(InputFile(path, path), 1024 * 1024)
            public = keys.load_public_key(material)
            if b"CERTIFICATE" in material or not material.startswith(b"-----"):
                with contextlib.suppress(InspectxError):
                    certificates.append(keys.load_certificate(material))
            with contextlib.suppress(InspectxError):  # an RSA key serves XML signatures only
                trusted[did_key_verification_method(public)] = public  # type: ignore[arg-type]
        except InspectxError as exc:
            for line in _error_lines(path, exc, _Style(sys.stderr)):
                click.echo(line, err=True)
            sys.exit(EXIT_OPERATIONAL)
    limits = _limits(max_bytes)
    style = _Style(sys.stdout)
    codes: list[int] = []
    results = []
    for item in expand_inputs(inputs):
        entry: dict[str, Any] = {"source": item.path}
        try:
            data = read_input(item, max_bytes)
            proofs: list[dict[str, Any]] = []
            xml_result = _verify_xml_signature(data, certificates, limits)
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
                verified = verify_certificate(data, public_keys=trusted, limits=limits)
                cert = verified.certificate
                proofs += [
                    {"type": "DataIntegrityProof", "algorithm": p.cryptosuite,
                     "signer": p.verification_method,
                     "created": p.created.isoformat() if p.created else None}
                    for p in verified.proofs
                ]  # fmt: skip
        except InspectxError as exc:
            code = _exit_code_for(exc)
            if exc.code in ("proof.key-unknown", "xmldsig.signer-unknown"):
                code = EXIT_INDETERMINATE
            verdict = {EXIT_INDETERMINATE: "INDETERMINATE", EXIT_OPERATIONAL: "ERROR"}.get(
                code, "INVALID"
            )
            entry |= {"verdict": verdict, "error": exc.as_dict()}
            if verdict != "ERROR":
                step = 1 if exc.code.startswith("format.") else 2 if exc.code.startswith(
                    ("schema.", "model.")) else 4  # fmt: skip
                entry |= _key_file_checks(step, "failed" if verdict == "INVALID"
                                          else "indeterminate", exc)  # fmt: skip
            codes.append(code)
        else:
            entry |= {
                "verdict": "VALID",
                "sha256": hashlib.sha256(data).hexdigest(),
                "document": _document_summary(cert),
                "proofs": proofs,
                **_key_file_checks(4, "passed", None),
            }
            codes.append(EXIT_OK)
        results.append(_clean(entry))
        if out_format == "text":
            label, colour = _MARKS[entry["verdict"]]
            click.echo(f"{style(label, fg=colour)}  {_safe_name(item.path)}")
            if "error" in entry:
                err = entry["error"]
                where = f" at {_safe_name(err['location'])}" if err.get("location") else ""
                click.echo(f"  {err['code']}{where}: {_safe_name(err['message'])}")
                if err.get("hint"):
                    click.echo(f"    hint: {_safe_name(err['hint'])}")
            else:
                for proof in entry["proofs"]:
                    click.echo(
                        f"  {proof['type']} {proof['algorithm']} by {_safe_name(proof['signer'])}"
                    )
    exit_code = _worst(codes)
    if out_format == "json":
        click.echo(json.dumps(_verification_report(results, codes), indent=2, ensure_ascii=False))
    sys.exit(exit_code)


def _parse_age(text: str | None) -> Any:
    if text is None:
        return None
    from datetime import timedelta

    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit():
        raise click.BadParameter(
            f"{text!r} is not an age such as 30m, 12h, 7d or 2w", param_hint="--max-trust-age"
        )
    return timedelta(seconds=int(number) * units[unit])


def _operator_keys(path: str) -> dict[str, Any]:
    from inspectx._io import InputFile, read_input
    from inspectx.proofs import keys
    from inspectx.proofs.multibase import did_key_verification_method

    public = keys.load_public_key(read_input(InputFile(path, path), 1024 * 1024))
    return {did_key_verification_method(public): public}  # type: ignore[arg-type]


def _trust_snapshot(source: str, operator_key: str, *, update: bool, cache_dir: str | None) -> Any:
    """The trust snapshot to verify against; raises InspectxError (exit 4)."""
    from pathlib import Path

    from inspectx._io import InputFile, read_input
    from inspectx.trust import TrustSnapshot, load_trust_list, snapshot_for

    operator = _operator_keys(operator_key)
    if source.startswith(("http://", "https://")):
        folder = Path(cache_dir) if cache_dir else None
        return snapshot_for(source, operator_keys=operator, update=update, cache_dir=folder)
    if update:
        raise click.UsageError("--update needs a trust list URL")
    data = read_input(InputFile(source, source), 16 * 1024 * 1024)
    trust = load_trust_list(data, operator_keys=operator)
    return TrustSnapshot(trust_list=trust, source=source, fetched_at=None, origin="file")


def _verify_with_trust(
    inputs: tuple[str, ...], source: str, operator_key: str, *, update: bool, max_age: Any,
    at: Any, cache_dir: str | None, verbose: bool, out_format: str, max_bytes: int,
) -> None:  # fmt: skip
    from inspectx._io import expand_inputs, read_input
    from inspectx.errors import InspectxError
    from inspectx.trust import verify_admissible

    try:
        snapshot = _trust_snapshot(source, operator_key, update=update, cache_dir=cache_dir)
    except InspectxError as exc:
        for line in _error_lines(source, exc, _Style(sys.stderr)):
            click.echo(line, err=True)
        sys.exit(EXIT_OPERATIONAL)
    trust_list = snapshot.trust_list
    trust_info = {
        "id": trust_list.id,
        "sequenceNumber": trust_list.sequence_number,
        "source": snapshot.source,
        "origin": snapshot.origin,
    }
    if snapshot.fetched_at:
        trust_info["fetchedAt"] = snapshot.fetched_at.isoformat()
    if snapshot.note:
        trust_info["note"] = snapshot.note
    limits = _limits(max_bytes)
    style = _Style(sys.stdout)
    codes, results = [], []
    for item in expand_inputs(inputs):
        try:
            data = read_input(item, max_bytes)
        except InspectxError as exc:
            results.append({"source": item.path, "verdict": "ERROR", "error": exc.as_dict()})
            codes.append(EXIT_OPERATIONAL)
            if out_format == "text":
                for line in _error_lines(item.path, exc, _Style(sys.stderr)):
                    click.echo(line, err=True)
            continue
        report = verify_admissible(
            data, trust=snapshot, at=at, max_trust_age=max_age, limits=limits
        )
        codes.append(_VERDICT_EXIT[report.verdict.value])
        cert = report.certificate
        results.append(_clean({
            "source": item.path,
            "verdict": report.verdict.value,
            "sha256": report.sha256 or None,
            "at": report.at.isoformat(),
            "document": _document_summary(cert),
            "signers": list(report.signers),
            **_step_checks(report.checks, "verify"),
        }))  # fmt: skip
        if out_format == "text":
            label, colour = _MARKS[report.verdict.value]
            click.echo(f"{style(label, fg=colour)}  {_safe_name(item.path)}")
            shown = report.checks if verbose else report.failing()
            for c in shown:
                code = f" {c.code}" if c.code else ""
                message = f": {_safe_name(c.message)}" if c.message else ""
                click.echo(f"  {c.step} {c.name:<24} {c.status.value}{code}{message}")
                if c.hint and c.status.value in ("failed", "indeterminate"):
                    click.echo(f"      hint: {_safe_name(c.hint)}")
    exit_code = _worst(codes)
    if out_format == "json":
        report_json = _verification_report(results, codes, trust_info)
        click.echo(json.dumps(report_json, indent=2, ensure_ascii=False))
    else:
        fetched = f", fetched {trust_info['fetchedAt']}" if "fetchedAt" in trust_info else ""
        note = f"; {snapshot.note}" if snapshot.note else ""
        click.echo(
            f"trust list {trust_list.id} #{trust_list.sequence_number} "
            f"({snapshot.origin}{fetched}{note})"
        )
    sys.exit(exit_code)


def _key_file_checks(step: int, status: str, exc: InspectxError | None) -> dict[str, Any]:
    """Report members for a verification against given keys: the step that decided."""
    names = {1: "format", 2: "schema", 4: "proof integrity"}
    check = {"step": step, "name": names[step], "status": status}
    if exc is None:
        return {"checks": [check], "findings": []}
    finding = {"code": exc.code, "severity": "error" if status == "failed" else "warning",
               "layer": "verify", "message": exc.message, "hint": exc.hint or None,
               "location": exc.location}  # fmt: skip
    return {"checks": [{**check, "code": exc.code}], "findings": [finding]}


def _verify_xml_signature(data: bytes, certificates: list[Any], limits: Any) -> Any:
    """The verified XML signature of ``data``, None when it has none; raises when it fails.

    Tries each trusted certificate; ``xmldsig.signer-unknown`` when none signed it.
    """
    if data.lstrip()[:1] != b"<" or b"http://www.w3.org/2000/09/xmldsig#" not in data:
        return None
    from inspectx.proofs.xmldsig import XmlSignatureError, verify_xml

    for certificate in certificates:
        try:
            return verify_xml(data, certificate=certificate, limits=limits)
        except XmlSignatureError as exc:
            if exc.code not in ("xmldsig.signer-mismatch", "xmldsig.key-not-supported"):
                raise  # this certificate could be the signer, and the signature is bad
    raise XmlSignatureError(
        "xmldsig.signer-unknown",
        "the XML signature was not made by any of the certificates given",
        hint="give the signer's certificate with --key-file (or use a trust list)",
    )


# --- rules ------------------------------------------------------------------------------


@main.group(epilog=EXIT_CODES_HELP)
def trust() -> None:
    """Build, sign, show, check, convert and fetch trust lists of accredited labs.

    \b
    Examples:
      inspectx trust build source.json -o labs.unsigned.json
      inspectx trust sign labs.unsigned.json --key operator.key -o labs.json
      inspectx trust convert labs.json --to xml -o labs.xml
      inspectx trust show labs.json --operator-key operator.pub
      inspectx trust update https://registry.example/labs.json --operator-key operator.pub
    """


def _trust_fail(name: str, exc: Any) -> None:
    for line in _error_lines(name, exc, _Style(sys.stderr)):
        click.echo(line, err=True)
    sys.exit(EXIT_OPERATIONAL)


_trust_to_option = click.option(
    "--to", "to", type=click.Choice(["json", "xml"]), default="json", show_default=True,
    help="Write the list as inspectx JSON or its XML rendering (the proof verifies in both).",
)  # fmt: skip


def _write_trust_output(out: bytes, output: str | None, force: bool) -> None:
    from inspectx._io import write_atomic

    if output and output != "-":
        write_atomic(output, out, force=force)
    else:
        sys.stdout.buffer.write(out)


@trust.command("build", epilog=EXIT_CODES_HELP)
@click.argument("source", type=click.Path(dir_okay=False))
@_trust_to_option
@_output_options
def trust_build(
    source: str, to: str, output: str | None, output_dir: str | None, force: bool
) -> None:
    """Make an unsigned trust list from a source file whose keys are given as files.

    The source has the trust list's shape; each key is {"keyFile": "lab.pub.pem"} or
    {"certificateFile": "lab.crt"} (paths relative to the source), optionally with
    validFrom/validUntil. See fixtures/trust/source.json.
    """
    from pathlib import Path

    from inspectx._io import InputFile, read_input
    from inspectx.errors import InspectxError
    from inspectx.formats.safejson import load_json
    from inspectx.trust import build_trust_list, render_trust_list

    if output_dir:
        raise click.UsageError("trust build writes one file: use -o")
    try:
        document = load_json(read_input(InputFile(source, source), 16 * 1024 * 1024))
        built = build_trust_list(document, base_dir=Path(source).resolve().parent)
        _write_trust_output(render_trust_list(built, to), output, force)  # type: ignore[arg-type]
    except InspectxError as exc:
        _trust_fail(source, exc)
    sys.exit(EXIT_OK)


@trust.command("sign", epilog=EXIT_CODES_HELP)
@click.argument("list_path", metavar="LIST", type=click.Path(dir_okay=False))
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False),
              help="The operator's private key (Ed25519, P-256 or P-384).")  # fmt: skip
@_with_passphrase
@_trust_to_option
@_output_options
def trust_sign(
    list_path: str, key_path: str, passphrase_env: str | None, passphrase_prompt: bool,
    to: str, output: str | None, output_dir: str | None, force: bool,
) -> None:  # fmt: skip
    """Sign a trust list (JSON or XML) as its operator, checking it first; an earlier
    proof is replaced."""
    from datetime import UTC, datetime

    from inspectx._io import InputFile, read_input
    from inspectx.errors import InspectxError
    from inspectx.proofs import keys
    from inspectx.trust import read_trust_list_data, render_trust_list, sign_trust_list

    if output_dir:
        raise click.UsageError("trust sign writes one file: use -o")
    try:
        passphrase = _passphrase(passphrase_env, passphrase_prompt, confirm=False)
        key = keys.load_private_key(read_input(InputFile(key_path, key_path), 1024 * 1024),
                                    passphrase=passphrase)  # fmt: skip
        document = read_trust_list_data(read_input(InputFile(list_path, list_path), 16 << 20))
        signed = sign_trust_list(document, private_key=key,  # type: ignore[arg-type]
                                 created=datetime.now(UTC).replace(microsecond=0))  # fmt: skip
        _write_trust_output(render_trust_list(signed, to), output, force)  # type: ignore[arg-type]
    except InspectxError as exc:
        _trust_fail(list_path, exc)
    sys.exit(EXIT_OK)


@trust.command("convert", epilog=EXIT_CODES_HELP)
@click.argument("list_path", metavar="LIST", type=click.Path(dir_okay=False))
@click.option("--to", "to", type=click.Choice(["json", "xml"]), required=True,
              help="The format to write.")  # fmt: skip
@_output_options
def trust_convert(
    list_path: str, to: str, output: str | None, output_dir: str | None, force: bool
) -> None:
    """Convert a trust list between JSON and XML; its operator's proof stays valid.

    The list must meet its schema; its proof is not checked here (trust verify does).
    """
    from inspectx._io import InputFile, read_input
    from inspectx.errors import InspectxError
    from inspectx.trust import read_trust_list_data, render_trust_list
    from inspectx.trust.lists import check_trust_list_schema

    if output_dir:
        raise click.UsageError("trust convert writes one file: use -o")
    try:
        document = read_trust_list_data(read_input(InputFile(list_path, list_path), 16 << 20))
        check_trust_list_schema(document)
        _write_trust_output(render_trust_list(document, to), output, force)  # type: ignore[arg-type]
    except InspectxError as exc:
        _trust_fail(list_path, exc)
    sys.exit(EXIT_OK)


def _load_list_arg(list_path: str, operator_key: str) -> Any:
    from inspectx._io import InputFile, read_input
    from inspectx.errors import InspectxError
    from inspectx.trust import load_trust_list

    try:
        data = read_input(InputFile(list_path, list_path), 16 * 1024 * 1024)
        return load_trust_list(data, operator_keys=_operator_keys(operator_key))
    except InspectxError as exc:
        _trust_fail(list_path, exc)


@trust.command("verify", epilog=EXIT_CODES_HELP)
@click.argument("list_path", metavar="LIST", type=click.Path(dir_okay=False))
@click.option("--operator-key", required=True, type=click.Path(dir_okay=False),
              help="The operator's public key (PEM).")  # fmt: skip
def trust_verify(list_path: str, operator_key: str) -> None:
    """Check a trust list: the operator's proof, its schema and the load-time checks."""
    trust_list = _load_list_arg(list_path, operator_key)
    keys_count = sum(len(s.keys) for e in trust_list.entities for s in e.services)
    click.echo(
        f"OK  {trust_list.id} #{trust_list.sequence_number}: {len(trust_list.entities)} "
        f"entities, {keys_count} keys, next update {trust_list.next_update.isoformat()}"
    )
    sys.exit(EXIT_OK)


@trust.command("show", epilog=EXIT_CODES_HELP)
@click.argument("list_path", metavar="LIST", type=click.Path(dir_okay=False))
@click.option("--operator-key", required=True, type=click.Path(dir_okay=False),
              help="The operator's public key (PEM).")  # fmt: skip
@_format_option("text", "json")
def trust_show(list_path: str, operator_key: str, out_format: str) -> None:
    """Show a (verified) trust list as a table: entities, services, status, scope, keys."""
    trust_list = _load_list_arg(list_path, operator_key)
    rows = []
    for entity in trust_list.entities:
        for service in entity.services:
            latest = service.status_history[-1]
            rows.append({
                "entity": entity.name, "entityId": entity.id, "country": entity.country,
                "service": service.type, "status": latest.status.value,
                "since": latest.since.isoformat(),
                "hsPrefixes": list(service.scope.hs_prefixes),
                "methods": list(service.scope.methods),
                "keys": [k.id for k in service.keys],
            })  # fmt: skip
    if out_format == "json":
        click.echo(json.dumps({"schema": "inspectx.trust-show/1", "id": trust_list.id,
                               "sequenceNumber": trust_list.sequence_number,
                               "operator": trust_list.operator, "services": rows},
                              indent=2, ensure_ascii=False))  # fmt: skip
        sys.exit(EXIT_OK)
    click.echo(f"{trust_list.id} #{trust_list.sequence_number} by {trust_list.operator}")
    click.echo(f"  issued {trust_list.issued_at.isoformat()}, next update "
               f"{trust_list.next_update.isoformat()}")  # fmt: skip
    for row in rows:
        click.echo(f"  {_safe_name(row['entity'])} ({row['country']}) {row['service']}: "
                   f"{row['status']} since {row['since']}")  # fmt: skip
        click.echo(f"      HS {', '.join(row['hsPrefixes']) or '-'}; methods "
                   f"{_safe_name(', '.join(row['methods'])) or '-'}")  # fmt: skip
        for key_id in row["keys"]:
            click.echo(f"      key {_safe_name(key_id)}")
    sys.exit(EXIT_OK)


@trust.command("update", epilog=EXIT_CODES_HELP)
@click.argument("url")
@click.option("--operator-key", required=True, type=click.Path(dir_okay=False),
              help="The operator's public key (PEM); the list must carry its proof.")  # fmt: skip
@click.option("--offline", is_flag=True, help="Use no network: report the cached snapshot.")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Where snapshots are kept (default: the user cache directory).")  # fmt: skip
def trust_update(url: str, operator_key: str, offline: bool, cache_dir: str | None) -> None:
    """Fetch a trust list and keep it as the offline snapshot, if it verifies.

    A tampered list, one signed by another key, or one whose sequence number went
    back (rollback) is refused and the snapshot kept. A 304 reuses the snapshot.
    """
    from pathlib import Path

    from inspectx.errors import InspectxError
    from inspectx.trust import load_snapshot, update_trust_list

    if not url.startswith(("http://", "https://")):
        raise click.UsageError("give the trust list's http(s) URL")
    folder = Path(cache_dir) if cache_dir else None
    try:
        operator = _operator_keys(operator_key)
        if offline:
            snapshot = load_snapshot(url, operator_keys=operator, cache_dir=folder,
                                     note="--offline: the network was not used")  # fmt: skip
        else:
            snapshot = update_trust_list(url, operator_keys=operator, cache_dir=folder)
    except InspectxError as exc:
        _trust_fail(url, exc)
    trust_list = snapshot.trust_list
    fetched = snapshot.fetched_at.isoformat() if snapshot.fetched_at else "never"
    click.echo(f"{snapshot.origin}: {trust_list.id} #{trust_list.sequence_number}, "
               f"fetched {fetched}" + (f" ({snapshot.note})" if snapshot.note else ""))  # fmt: skip
    sys.exit(EXIT_OK)


@main.group(epilog=EXIT_CODES_HELP)
def rules() -> None:
    """Destination-market rule packs: list them, show one, test one.

    \b
    Examples:
      inspectx rules list
      inspectx rules show eu-toys-en71-3
      inspectx rules test my-pack.json
      inspectx validate report.json --rules eu-toys-en71-3
    """


@rules.command("list")
@_format_option("text", "json")
def rules_list(out_format: str) -> None:
    """List the rule packs shipped with inspectx."""
    from inspectx.validation.packs import shipped_packs

    packs = shipped_packs()
    if out_format == "json":
        rows = [
            {"id": p.id, "version": p.version, "market": p.market, "title": p.title.get("en", ""),
             "rules": len(p.rules)}
            for p in packs
        ]  # fmt: skip
        click.echo(json.dumps({"schema": "inspectx.rulepacks/1", "packs": rows}, indent=2))
        return
    for p in packs:
        click.echo(f"{p.id:<34} {p.version:<10} {p.market:<4} {len(p.rules):>3} rules  "
                   f"{p.title.get('en', '')}")  # fmt: skip


@rules.command("show")
@click.argument("pack_name", metavar="PACK")
@_format_option("text", "json")
def rules_show(pack_name: str, out_format: str) -> None:
    """Show a pack: its sources, and each rule with its limit, window and source."""
    from inspectx.validation.packs import describe_pack

    (pack,) = _load_packs((pack_name,))
    described = describe_pack(pack)
    if out_format == "json":
        click.echo(json.dumps(described, indent=2, ensure_ascii=False))
        return
    click.echo(f"{described['id']} {described['version']} ({described['market']}): "
               f"{described['title'].get('en', '')}")  # fmt: skip
    click.echo(f"  applies to HS {', '.join(described['productClasses']) or 'any'}")
    for source in described["sources"]:
        click.echo(f"  source {source['id']}: {source['reference']} <{source['uri']}>")
    for rule in described["rules"]:
        window = f"{rule['validFrom']} .. {rule.get('validUntil', '')}"
        click.echo(f"  rule {rule['id']} v{rule['version']} [{window}]: "
                   f"{rule['description'].get('en', '')}")  # fmt: skip
        limit = rule.get("limit")
        if limit:
            click.echo(f"       {limit['parameter']} {limit['comparator']} {limit['value']} "
                       f"{limit['unitSymbol']}  ({rule['source']['reference']})")  # fmt: skip


@rules.command("test")
@click.argument("pack_name", metavar="PACK")
@_format_option("text", "json")
def rules_test(pack_name: str, out_format: str) -> None:
    """Run the examples embedded in a pack; exit 0 only if every one gives what it expects.

    Pack authors: every rule of a pack should be exercised by at least one example.
    """
    from inspectx.validation.packs import test_pack

    (pack,) = _load_packs((pack_name,))
    results = test_pack(pack)
    failed = [r for r in results if not r.passed]
    if out_format == "json":
        click.echo(json.dumps(
            {"schema": "inspectx.rulepack-test/1", "pack": pack.id, "version": pack.version,
             "examples": [r.as_dict() for r in results], "passed": not failed},
            indent=2, ensure_ascii=False,
        ))  # fmt: skip
    else:
        style = _Style(sys.stdout)
        for r in results:
            mark = style("✔", fg="green") if r.passed else style("✖", fg="red")
            click.echo(f"{mark} {r.name}")
            if r.error:
                click.echo(f"    {r.error}")
            for c in r.checks:
                if not c.passed:
                    click.echo(
                        f"    {c.rule_id}: expected {c.expected.value}, got {c.actual.value}"
                    )
        click.echo(f"{len(results) - len(failed)} of {len(results)} examples pass")
    sys.exit(EXIT_INVALID if failed else EXIT_OK)


# --- inspect ----------------------------------------------------------------------------


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("input_path", metavar="IN")
@_format_option("text", "json")
@_max_bytes_option
def inspect(input_path: str, out_format: str, max_bytes: int) -> None:
    """Say what a document is, in plain words: kind, issuer, products, tests, digest.

    \b
    Examples:
      inspectx inspect report.xml
      inspectx inspect report.json --format json
    """
    from inspectx._io import InputFile, read_input
    from inspectx.errors import InspectxError
    from inspectx.validation import validate_bytes

    try:
        data = read_input(InputFile(input_path, input_path), max_bytes)
    except InspectxError as exc:
        for line in _error_lines(input_path, exc, _Style(sys.stderr)):
            click.echo(line, err=True)
        sys.exit(_exit_code_for(exc))
    report = validate_bytes(data, source=input_path, limits=_limits(max_bytes))
    description = _describe(report, len(data))
    if out_format == "json":
        click.echo(
            json.dumps(
                {"schema": "inspectx.inspect/1", **description}, indent=2, ensure_ascii=False
            )
        )
    else:
        _print_description(description, report)
    sys.exit(EXIT_OK if report.certificate is not None else EXIT_INVALID)


def _describe(report: DocumentReport, size: int) -> dict[str, Any]:
    out: dict[str, Any] = {"source": report.source, "bytes": size, "sha256": report.sha256}
    names = {"json": "inspectx JSON certificate", "xml": "inspectx XML certificate"}
    out["kind"] = names.get(report.format or "", "unknown")
    cert = report.certificate
    if cert is None:
        out["valid"] = False
        out["findings"] = [f.as_dict() for f in report.findings]
        return out
    outcomes: dict[str, int] = {}
    for test in cert.tests:
        outcomes[test.outcome.value] = outcomes.get(test.outcome.value, 0) + 1
    failing = [
        f"{t.parameter.name} ({t.method.standard})" for t in cert.tests if t.outcome.value == "fail"
    ]
    out.update(
        {
            "valid": True,
            "id": cert.id,
            "number": cert.number.value,
            "documentType": cert.document_type.value,
            "status": cert.status.value,
            "issuedAt": cert.issued_at.isoformat(),
            "issuer": cert.issuer.name,
            "issuerCountry": cert.issuer.address.country_code if cert.issuer.address else None,
            "products": [p.name for p in cert.products],
            "tests": {"total": len(cert.tests), **outcomes},
            "failingTests": failing,
            "conclusion": cert.conclusion.outcome.value,
            "validUntil": cert.valid_until.isoformat() if cert.valid_until else None,
            "proofs": 0,
        }
    )
    return out


def _print_description(d: dict[str, Any], report: DocumentReport) -> None:
    click.echo(f"{_safe_name(d['source'])}: {d['kind']}, {d['bytes']} bytes")
    click.echo(f"  sha-256     {d['sha256']}")
    if not d["valid"]:
        click.echo("  not a valid inspectx certificate:")
        for f in report.findings:
            where = f" at {f.location}" if f.location else ""
            click.echo(f"    {f.code}{where}: {f.message}")
        return
    kind = d["documentType"].replace("-", " ")
    country = f" ({d['issuerCountry']})" if d["issuerCountry"] else ""
    products = d["products"]
    shown = ", ".join(products[:3]) + (
        f", and {len(products) - 3} more" if len(products) > 3 else ""
    )
    tests = d["tests"]
    breakdown = ", ".join(f"{n} {k}" for k, n in tests.items() if k != "total")
    rows = [
        ("what", f"a {kind} ({d['status']}), number {d['number']}"),
        ("id", d["id"]),
        ("issued", f"{d['issuedAt']} by {d['issuer']}{country}"),
        ("valid until", d["validUntil"] or "not stated"),
        ("products", f"{len(products)}: {shown}"),
        ("tests", f"{tests['total']}: {breakdown}"),
        ("conclusion", d["conclusion"]),
        ("signatures", "none: this document is not signed"),
    ]
    for label, value in rows:
        click.echo(f"  {label:<11} {value}")
    for failing in d["failingTests"]:
        click.echo(f"  failed      {failing}")


from inspectx.cli import delivery as _delivery  # noqa: E402, F401  (registers "inspectx delivery")
