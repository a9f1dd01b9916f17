"""The ``inspectx`` command line: a thin shell over the library.

Only click is imported at start-up; each command imports the library parts it
needs, so ``inspectx --help`` and ``--version`` stay fast (a test checks that
lxml, cryptography and jsonschema are not loaded for them).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

from inspectx import __version__

if TYPE_CHECKING:
    from collections.abc import Iterator

    from inspectx._io import InputFile
    from inspectx.batch.jobs import Outcome
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
      and --force was not given, an output could not be written (a full
      disk stops a batch: free space, then run it again with --resume)
  70  internal error (a bug): please report it; --debug shows the traceback
  130 interrupted (Ctrl-C; a batch stopped by SIGTERM gives 143, by SIGHUP
      129); a batch with --output-dir resumes with --resume"""


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


# C0 and C1 controls, and the bidirectional formatting characters that can make a
# name display as another (U+202E shows a name ending "fdp.exe" as ending "exe.pdf")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


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
    return _entry_error_lines(name, err.as_dict(), style)


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
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP during a batch
            click.echo(f"interrupted ({exc})" if str(exc) else "interrupted", err=True)
            sys.exit(getattr(exc, "exit_code", 130))
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


def _trust_list_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """How a --trust list is obtained and judged fresh (verify, render --report)."""
    for option in reversed((
        click.option("--operator-key", type=click.Path(dir_okay=False),
                     help="The trust list operator's public key (PEM); required with --trust."),
        click.option("--update", is_flag=True, help="With a --trust URL: fetch the list first."),
        click.option("--max-trust-age", metavar="AGE",
                     help="A trust snapshot fetched longer ago than this (e.g. 7d, 12h) gives "
                     "INDETERMINATE."),
        click.option("--cache-dir", type=click.Path(file_okay=False),
                     help="Where trust snapshots are kept (default: the user cache directory)."),
    )):  # fmt: skip
        f = option(f)
    return f


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


def _is_batch(inputs: Sequence[str]) -> bool:
    """Several inputs, a folder or an archive: a batch (outputs go to --output-dir)."""
    from inspectx.batch.inputs import is_archive

    return len(inputs) != 1 or any(i != "-" and (os.path.isdir(i) or is_archive(i)) for i in inputs)


def _batch_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--jobs, the same in every command that runs batches."""
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=0),
        default=0,
        help="Worker processes for a batch (default 0: one per core; 1: none). "
        "Results come in input order whatever the number.",
    )(f)


def _resume_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--resume",
        is_flag=True,
        help="With --output-dir: skip inputs whose output is already there (outputs appear "
        "only complete, so a batch that was stopped can be run again to finish it).",
    )(f)


def _first_or_usage_error(items: Iterator[InputFile]) -> Iterator[InputFile]:
    import itertools

    first = next(items, None)
    if first is None:
        raise click.UsageError("no .json or .xml files found in the inputs given")
    return itertools.chain([first], items)


def _run_batch(
    job: Callable[[InputFile], Outcome],
    items: Iterator[InputFile],
    *,
    inputs: Sequence[str],
    jobs: int,
    done: Callable[[InputFile], Outcome | None] | None = None,
) -> Iterator[tuple[InputFile, Outcome]]:
    """The outcome of ``job`` on every input, in input order, on ``jobs`` processes."""
    from inspectx.batch import default_jobs, run_ordered

    workers = 1 if not _is_batch(inputs) else (jobs or default_jobs())
    return run_ordered(job, items, jobs=workers, done=done)


class _Tally:
    """Counts of a batch's outcomes, its time, and a progress line on stderr when stderr
    is a terminal and the batch lasts (drawn after a second, redrawn at most 5 times a
    second, wiped before any other line is printed)."""

    def __init__(self, *, show: bool) -> None:
        import time

        self.start = time.monotonic()
        self.counts: dict[str, int] = {}
        self.codes: set[int] = set()
        self.total = 0
        self._show = show and _is_terminal(sys.stderr)
        self._drawn_at = 0.0
        self._drawn = False

    def add(self, kind: str, code: int) -> None:
        self.total += 1
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.codes.add(code)
        if self._show:
            self._draw()

    @property
    def exit_code(self) -> int:
        return _worst(sorted(self.codes))

    @property
    def seconds(self) -> float:
        import time

        return time.monotonic() - self.start

    def rate(self) -> str:
        seconds = self.seconds
        return f"in {seconds:.1f} s ({self.total / seconds if seconds else 0:.0f} docs/s)"

    def wipe(self) -> None:
        """Clear the progress line (before printing anything else)."""
        if self._drawn:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._drawn = False

    def _draw(self) -> None:
        import time

        now = time.monotonic()
        if now - self.start < 1.0 or now - self._drawn_at < 0.2:
            return
        self._drawn_at = now
        seconds = now - self.start
        parts = ", ".join(f"{n} {k.lower()}" for k, n in sorted(self.counts.items()))
        sys.stderr.write(f"\r\x1b[K{self.total} done ({parts}), {self.total / seconds:.0f} docs/s")
        sys.stderr.flush()
        self._drawn = True


def _debug() -> bool:
    """Whether --debug was given (internal errors then propagate with their traceback)."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx else None
    return bool(obj and obj.get("debug"))


def _is_terminal(stream: Any) -> bool:
    return bool(hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb")


def _echo(tally: _Tally, text: str, *, err: bool = False) -> None:
    tally.wipe()
    click.echo(text, err=err)


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
@_format_option(
    "text",
    "json",
    "jsonl",
    help="The conversion report: text, one JSON object, or JSON Lines (a line per input "
    "as it is done, then a summary line).",
)
@_output_options
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@_max_bytes_option
@_batch_options
@_resume_option
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
    jobs: int,
    resume: bool,
) -> None:
    """Convert certificates: inspectx JSON and XML losslessly, and to and from UN/CEFACT
    SPS eCert XML and UNTP conformity credentials with a report of anything flattened
    or dropped.

    The input format is detected from the content (an XML root's namespace, a JSON
    document's type); IN may be files, directories (their *.json and *.xml files), ZIP
    archives or JSON Lines files of documents, or - for standard input. One input
    without -o goes to standard output. Outputs are written atomically and never
    replace an input; a batch runs on every core (--jobs) and can be resumed
    (--resume). The conversion report goes to standard output when the outputs go to
    files, else to standard error.

    \b
    Examples:
      inspectx convert report.json -o report.xml
      inspectx convert report.xml --to json > report.json
      inspectx convert certs/ --to xml --output-dir xml/
      inspectx convert certs/ --to xml --output-dir xml/ --resume   # after an interruption
      inspectx convert uploads.zip --output-dir out/ --format jsonl
      inspectx convert report.json --to sps -o report.sps.xml
      inspectx convert report.json --to untp-dcc --strict -o report.dcc.json
      inspectx convert traces-intra.xml -o report.json      # SPS in, inspectx JSON out
    """
    import json

    from inspectx._io import discard_staged, remove_stale_temporaries
    from inspectx.batch import iter_inputs
    from inspectx.batch.jobs import ConvertJob
    from inspectx.errors import InspectxError

    batch = _is_batch(inputs)
    if output and output_dir:
        raise click.UsageError("give either -o or --output-dir, not both")
    if batch and output:
        raise click.UsageError("-o takes a single input; use --output-dir for several")
    if batch and not output_dir:
        raise click.UsageError("several inputs need --output-dir")
    if output_dir and "-" in inputs:
        raise click.UsageError("standard input (-) cannot be written to --output-dir; use -o")
    if resume and not output_dir:
        raise click.UsageError("--resume needs --output-dir")
    if resume and force:
        raise click.UsageError("give either --resume (keep outputs) or --force (replace them)")
    outside = [output_dir] if output_dir else []  # its outputs are not inputs
    items = _first_or_usage_error(iter_inputs(inputs, max_bytes=max_bytes, exclude_dirs=outside))

    err_style = _Style(sys.stderr)
    if output_dir:
        try:
            os.makedirs(output_dir, exist_ok=True)
        except OSError as exc:
            click.echo(
                f"inspectx: cannot create {_safe_name(output_dir)}: {exc.strerror}", err=True
            )
            sys.exit(EXIT_OPERATIONAL)
        if resume:
            remove_stale_temporaries(output_dir)
    single_output = output if output and output != "-" else None
    destinations = _Destinations(inputs, force=force)

    def done(item: InputFile) -> Outcome | None:
        """Settled before any work: a single output that cannot be written, or (--resume)
        an output already there."""
        if single_output:
            try:
                destinations.check(single_output)
            except InspectxError as exc:
                return _failed(item, exc)
        if resume and output_dir and item.error is None:
            suffix = _resume_suffix(item, max_bytes, target and _SUFFIX[target], convert=True)
            if suffix is not None:
                return destinations.resumed(item, _output_path(item, output_dir, suffix))
        return None

    job = ConvertJob(target=target, strict=strict, extension=not no_extension,
                     max_bytes=max_bytes, debug=_debug(), stage_dir=output_dir,
                     owner=os.getpid())  # fmt: skip
    to_files = bool(output_dir or single_output)
    text = out_format == "text" and not quiet
    tally = _Tally(show=batch and (out_format == "text" or to_files))
    conversions: list[dict[str, Any]] = []
    stopped: Outcome | None = None
    made_dirs: set[str] = set()
    results = _run_batch(job, items, inputs=inputs, jobs=jobs, done=done)
    completed = False
    try:
        for item, outcome in results:
            destination = None
            if "error" not in outcome.entry and not outcome.entry.get("skipped"):
                try:
                    destination = single_output
                    if output_dir:
                        # named by what was written: the input format comes from content
                        suffix = _SUFFIX[outcome.entry["to"]]
                        destination = _in_output_dir(item, output_dir, suffix, made_dirs)
                        destinations.check(destination)
                    _put_output(outcome, destination, force)
                except InspectxError as exc:
                    if outcome.staged:
                        discard_staged(outcome.staged)
                    outcome = _failed(item, exc)
            if outcome.disk_full:
                stopped = outcome
            entry = outcome.entry
            if "error" not in entry and not entry.get("skipped"):
                for note in outcome.notes:
                    _echo(tally, f"{_safe_name(item.name)}: {note}", err=True)
                if destination is None:
                    assert outcome.output is not None
                    tally.wipe()
                    sys.stdout.buffer.write(outcome.output)
                    sys.stdout.buffer.flush()
                entry = {"source": entry["source"], "from": entry["from"], "to": entry["to"],
                         "output": destination or "-", "losses": entry["losses"]}  # fmt: skip
                if text and destination is not None:
                    _echo(tally, f"{_safe_name(item.name)} -> {_safe_name(destination)}",
                          err=True)  # fmt: skip
                if text:
                    for loss in entry["losses"]:
                        _echo(tally, f"  {loss['kind']} {_safe_name(loss['field'])}: "
                              f"{_safe_name(loss['reason'])}", err=True)  # fmt: skip
            if "error" in entry:
                for line in _entry_error_lines(item.name, entry["error"], err_style):
                    _echo(tally, line, err=True)
            elif entry.get("skipped") and text:
                _echo(tally, f"{_safe_name(item.name)} -> {_safe_name(entry['output'])} "
                      "(already there: skipped)", err=True)  # fmt: skip
            kind = "failed" if "error" in entry else "skipped" if entry.get("skipped") else ""
            tally.add(kind or "converted", outcome.exit_code)
            if out_format == "json":
                conversions.append(entry)
            elif out_format == "jsonl":
                _echo(tally, json.dumps(_clean({"schema": "inspectx.conversion/1", **entry}),
                                        ensure_ascii=False), err=not to_files)  # fmt: skip
            if stopped is not None:
                break
        else:
            completed = True
    finally:
        _end_batch(results, output_dir, completed=completed)
    tally.wipe()
    exit_code = tally.exit_code
    if stopped is not None:
        click.echo("inspectx: the batch stopped: the disk is full; free space, then run "
                   "the same command again with --resume", err=True)  # fmt: skip
    if out_format == "json":
        report = {"schema": "inspectx.conversion/1", "conversions": conversions,
                  "exitCode": exit_code}  # fmt: skip
        click.echo(json.dumps(_clean(report), indent=2, ensure_ascii=False), err=not to_files)
    elif out_format == "jsonl":
        summary = {"total": tally.total, **{k: tally.counts.get(k, 0)
                   for k in ("converted", "skipped", "failed")}}  # fmt: skip
        click.echo(json.dumps({"schema": "inspectx.conversion/1", "summary": summary,
                               "exitCode": exit_code}), err=not to_files)  # fmt: skip
    elif batch and not quiet:
        skipped = tally.counts.get("skipped", 0)
        click.echo(
            f"{tally.counts.get('converted', 0)} converted, "
            + (f"{skipped} skipped (already done), " if skipped else "")
            + f"{tally.counts.get('failed', 0)} failed {tally.rate()}",
            err=True,
        )
    sys.exit(exit_code)


_SUFFIX = {"json": "json", "xml": "xml", "sps": "sps.xml", "untp-dcc": "dcc.json"}


def _exit_code_for(exc: InspectxError) -> int:
    from inspectx.batch.jobs import exit_code_for

    return exit_code_for(exc)


def _failed(item: InputFile, exc: InspectxError) -> Outcome:
    from inspectx._io import NoSpace
    from inspectx.batch.jobs import Outcome

    return Outcome(exit_code=_exit_code_for(exc), entry={"source": item.name,
                   "error": exc.as_dict()}, disk_full=isinstance(exc, NoSpace))  # fmt: skip


def _put_output(outcome: Outcome, destination: str | None, force: bool) -> None:
    """Put an outcome's output in place: its staged file (written by the worker)
    fsynced and renamed to ``destination``, or its bytes written there atomically; with
    no destination (standard output) nothing happens here."""
    from inspectx._io import commit_output, write_atomic

    if destination is None:
        return
    if outcome.staged is not None:
        commit_output(outcome.staged, destination, force=force, sync=True)
    else:
        assert outcome.output is not None
        write_atomic(destination, outcome.output, force=force)


def _end_batch(results: Iterator[Any], output_dir: str | None, *, completed: bool) -> None:
    """Stop the workers; after a batch stopped early (full disk, Ctrl-C, a failure),
    remove the outputs they staged that were never put in place."""
    from inspectx._io import remove_temporaries_of

    close = getattr(results, "close", None)
    if close is not None:
        close()
    if output_dir and not completed:
        remove_temporaries_of(output_dir, os.getpid())


def _entry_error_lines(name: str, error: dict[str, Any], style: _Style) -> list[str]:
    where = f" at {_safe_name(error['location'])}" if error.get("location") else ""
    mark = style("✖", fg="red")
    lines = [f"{mark} {_safe_name(name)}: {error['code']}: {_safe_name(error['message'])}{where}"]
    if error.get("hint"):
        lines.append(f"  hint: {_safe_name(error['hint'])}")
    return lines


def _echo_error_below(error: dict[str, Any]) -> None:
    """An entry's error on the lines below its verdict line."""
    where = f" at {_safe_name(error['location'])}" if error.get("location") else ""
    click.echo(f"  {error['code']}{where}: {_safe_name(error['message'])}")
    if error.get("hint"):
        click.echo(f"    hint: {_safe_name(error['hint'])}")


class _InputGuard:
    """Refuses an output that is one of the batch's inputs (the same file, through a
    symlink or a hard link). The inputs' identities are collected only when an output
    path already exists (the only case where it can be an input), once."""

    def __init__(self, inputs: Sequence[str]) -> None:
        self._inputs = inputs
        self._ids: dict[tuple[int, int], str] | None = None

    def ensure_not_an_input(self, output: str) -> None:
        from inspectx._io import expand_inputs
        from inspectx.errors import OutputError

        try:
            st = os.stat(output)
        except OSError:
            return
        if self._ids is None:
            self._ids = {}
            for item in expand_inputs(self._inputs):
                with contextlib.suppress(OSError):
                    if not item.is_stdin:
                        s = os.stat(item.path)
                        self._ids[(s.st_dev, s.st_ino)] = item.path
        path = self._ids.get((st.st_dev, st.st_ino))
        if path is not None:
            raise OutputError(
                "output.is-input",
                f"the output {output} is the input {path}",
                hint="choose another output path; inspectx never overwrites its input",
            )


class _Destinations:
    """Where a batch writes: each output claimed by one input only (``output.collision``),
    never an input, and (without ``force``) never a file already there."""

    def __init__(self, inputs: Sequence[str], *, force: bool) -> None:
        self._guard = _InputGuard(inputs)
        self._force = force
        self._claimed: set[str] = set()
        self._real_dirs: dict[str, str] = {}  # each output folder's real path, looked up once

    def claim(self, destination: str) -> None:
        from inspectx.errors import OutputError

        folder, name = os.path.split(destination)
        if folder not in self._real_dirs:
            self._real_dirs[folder] = os.path.realpath(folder or ".")
        key = os.path.join(self._real_dirs[folder], name)
        if key in self._claimed:
            raise OutputError(
                "output.collision",
                f"two inputs would both be written to {destination}",
                hint="give them different names, or write them into separate output directories",
            )
        self._claimed.add(key)

    def check(self, destination: str) -> None:
        """Claim ``destination`` for an output about to be written there."""
        from inspectx.errors import OutputError

        self.claim(destination)
        if not os.path.lexists(destination):
            return
        self._guard.ensure_not_an_input(destination)
        if not self._force:
            raise OutputError(
                "output.exists",
                f"{destination} already exists",
                hint="give --force to replace it, or choose another output",
            )

    def resumed(self, item: InputFile, destination: str) -> Outcome | None:
        """With --resume: the outcome of an input whose output is already there (outputs
        appear only complete), claimed so that no other input can take it; None when
        the input is still to do."""
        from inspectx.batch.jobs import Outcome
        from inspectx.errors import InspectxError

        if not os.path.isfile(destination):
            return None
        try:
            self.claim(destination)
        except InspectxError as exc:
            return _failed(item, exc)
        skipped = {"source": item.name, "skipped": True, "output": destination}
        return Outcome(exit_code=EXIT_OK, entry=skipped)


def _resume_suffix(item: InputFile, max_bytes: int, fixed: str | None, convert: bool) -> str | None:
    """The suffix the output of ``item`` will have: ``fixed`` (--to, --xmldsig), else what
    its content implies (a conversion goes to the default target of the format read, a
    signature keeps the format); None when the input cannot be read (the job reports it)."""
    if fixed:
        return fixed
    from inspectx._io import read_input
    from inspectx.errors import InspectxError
    from inspectx.formats.certificate import detect_format

    try:
        data = read_input(item, max_bytes)
        if not convert:
            return detect_format(data)
        from inspectx.validation.interchange import default_target, sniff_format

        return _SUFFIX[default_target(sniff_format(data))]
    except InspectxError:
        return None


def _output_path(item: InputFile, output_dir: str, suffix: str) -> str:
    stem, _ = os.path.splitext(item.relative)
    return os.path.join(output_dir, f"{stem}.{suffix}")


def _in_output_dir(
    item: InputFile, output_dir: str, suffix: str, made: set[str] | None = None
) -> str:
    """The output path of ``item`` under ``output_dir``, its folder created (once: the
    folders already made are remembered in ``made``)."""
    from inspectx.errors import OutputError

    path = _output_path(item, output_dir, suffix)
    folder = os.path.dirname(path) or "."
    if made is not None and folder in made:
        return path
    try:
        os.makedirs(folder, exist_ok=True)
        if made is not None:
            made.add(folder)
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
@_batch_options
def validate(
    inputs: tuple[str, ...],
    pack_names: tuple[str, ...],
    profiles: tuple[str, ...],
    at_text: str | None,
    out_format: str,
    verbose: bool,
    max_bytes: int,
    jobs: int,
) -> None:
    """Check certificates: format, schema, business rules, and optionally
    destination-market rule packs and report profiles.

    The verdict is VALID, INVALID (a rule or check failed), or INDETERMINATE (a
    rule pack could not decide: a human must look). IN may be files, directories,
    ZIP archives or JSON Lines files of documents; a batch runs on every core
    (--jobs), results in input order.

    \b
    Examples:
      inspectx validate report.json
      inspectx validate report.xml --rules eu-toys-en71-3 --profile iso17025
      inspectx validate certs/ --format jsonl > results.jsonl
      inspectx validate uploads.zip --jobs 4 --format jsonl | tee results.jsonl
    """
    import json

    from inspectx.batch import iter_inputs
    from inspectx.batch.jobs import ValidateJob

    packs = _load_packs(pack_names)
    job = ValidateJob(packs=tuple(packs), profiles=profiles, at=_parse_time(at_text),
                      max_bytes=max_bytes, debug=_debug())  # fmt: skip
    style = _Style(sys.stdout)
    documents: list[dict[str, Any]] = []
    items = _first_or_usage_error(iter_inputs(inputs, max_bytes=max_bytes))
    tally = _Tally(show=_is_batch(inputs))
    for _item, outcome in _run_batch(job, items, inputs=inputs, jobs=jobs):
        entry = outcome.entry
        tally.wipe()
        _emit(entry, out_format, style, verbose)
        tally.add(entry["verdict"], outcome.exit_code)
        if out_format == "json":
            documents.append(entry)
    tally.wipe()
    exit_code = tally.exit_code
    summary = {"total": tally.total} | {
        k.lower(): tally.counts.get(k, 0) for k in ("VALID", "INVALID", "INDETERMINATE", "ERROR")
    }
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
    elif tally.total > 1:
        click.echo(
            f"{summary['total']} checked: {summary['valid']} valid, {summary['invalid']} invalid"
            + (f", {summary['indeterminate']} indeterminate" if summary["indeterminate"] else "")
            + (f", {summary['error']} unreadable" if summary["error"] else "")
        )
        click.echo(f"inspectx: {tally.total} documents {tally.rate()}", err=True)
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


_MARKS = {
    "VALID": ("✔ VALID", "green"),
    "INVALID": ("✖ INVALID", "red"),
    "INDETERMINATE": ("? INDETERMINATE", "yellow"),
    "ERROR": ("! ERROR", "yellow"),
}


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
    import json

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
        _echo_error_below(entry["error"])
        return
    if verbose and "summary" in entry:
        click.echo(f"  {_safe_name(entry['summary'])}")
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
@_format_option(
    "text",
    "jsonl",
    help="Report: text, or JSON Lines (a line per input as it is done, then a summary; "
    "on standard output when the outputs go to files, else standard error).",
)
@_batch_options
@_resume_option
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
    out_format: str,
    jobs: int,
    resume: bool,
) -> None:
    """Add a Data Integrity proof (eddsa-jcs-2022 or ecdsa-jcs-2019) to certificates.

    The proof covers the canonical JSON of the certificate, so it verifies on the
    JSON and on the XML form alike. An existing proof is kept (a proof set).
    With --xmldsig (or --xades) the certificate gets an enveloped XML signature instead,
    for XML-native verifiers; it covers the XML bytes only. A batch runs on every
    core (--jobs) and can be resumed (--resume); outputs appear only complete.

    \b
    Examples:
      inspectx sign report.json --key lab.key -o report.signed.json
      inspectx sign certs/ --key lab.key --output-dir signed/
      inspectx sign certs/ --key lab.key --output-dir signed/ --resume
      inspectx sign report.xml --xades --key lab.key --cert lab.crt -o report.signed.xml
    """
    import json
    from datetime import UTC, datetime

    from inspectx._io import InputFile, discard_staged, read_input, remove_stale_temporaries
    from inspectx.batch import iter_inputs
    from inspectx.batch.jobs import SignJob
    from inspectx.errors import InspectxError
    from inspectx.proofs import keys
    from inspectx.proofs.multibase import did_key_verification_method

    batch = _is_batch(inputs)
    if batch and not output_dir:
        raise click.UsageError("several inputs need --output-dir")
    if output and output_dir:
        raise click.UsageError("give either -o or --output-dir, not both")
    if output_dir and "-" in inputs:
        raise click.UsageError("standard input (-) cannot be written to --output-dir; use -o")
    if resume and not output_dir:
        raise click.UsageError("--resume needs --output-dir")
    if resume and force:
        raise click.UsageError("give either --resume (keep outputs) or --force (replace them)")
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
    outside = [output_dir] if output_dir else []  # its outputs are not inputs
    items = _first_or_usage_error(iter_inputs(inputs, max_bytes=max_bytes, exclude_dirs=outside))
    if output_dir and resume:
        remove_stale_temporaries(output_dir)
    job = SignJob(private_key=key, verification_method=method,
                  created=datetime.now(UTC).replace(microsecond=0), certificate=certificate,
                  xmldsig=xmldsig, xades=xades, target=target, max_bytes=max_bytes,
                  debug=_debug(), stage_dir=output_dir, owner=os.getpid())  # fmt: skip
    destinations = _Destinations(inputs, force=force)

    def done(item: InputFile) -> Outcome | None:
        """Settled before any work (--resume): an output already there."""
        if not (resume and output_dir) or item.error is not None:
            return None
        suffix = _resume_suffix(item, max_bytes, "xml" if xmldsig else target, convert=False)
        if suffix is None:
            return None
        return destinations.resumed(item, _output_path(item, output_dir, suffix))

    err_style = _Style(sys.stderr)
    to_files = bool(output_dir or (output and output != "-"))
    tally = _Tally(show=batch)
    stopped = False
    made_dirs: set[str] = set()
    results = _run_batch(job, items, inputs=inputs, jobs=jobs, done=done)
    completed = False
    try:
        for item, outcome in results:
            destination = output if output and output != "-" else None
            if "error" not in outcome.entry and not outcome.entry.get("skipped"):
                try:
                    if output_dir:
                        fmt = outcome.entry["format"]
                        destination = _in_output_dir(item, output_dir, fmt, made_dirs)
                    if destination is not None:
                        destinations.check(destination)
                    _put_output(outcome, destination, force)
                except InspectxError as exc:
                    if outcome.staged:
                        discard_staged(outcome.staged)
                    outcome = _failed(item, exc)
            stopped = stopped or outcome.disk_full
            entry = outcome.entry
            if "error" not in entry and not entry.get("skipped"):
                if destination is None:
                    assert outcome.output is not None
                    tally.wipe()
                    sys.stdout.buffer.write(outcome.output)
                    sys.stdout.buffer.flush()
                entry = {"source": item.name, "output": destination or "-"}
            if "error" in entry:
                for line in _entry_error_lines(item.name, entry["error"], err_style):
                    _echo(tally, line, err=True)
            kind = "failed" if "error" in entry else "skipped" if entry.get("skipped") else ""
            tally.add(kind or "signed", outcome.exit_code)
            if out_format == "jsonl":
                _echo(tally, json.dumps(_clean({"schema": "inspectx.signing/1", **entry}),
                                        ensure_ascii=False), err=not to_files)  # fmt: skip
            if stopped:
                break
        else:
            completed = True
    finally:
        _end_batch(results, output_dir, completed=completed)
    tally.wipe()
    if stopped:
        click.echo("inspectx: the batch stopped: the disk is full; free space, then run "
                   "the same command again with --resume", err=True)  # fmt: skip
    if out_format == "jsonl":
        summary = {"total": tally.total, **{k: tally.counts.get(k, 0)
                   for k in ("signed", "skipped", "failed")}}  # fmt: skip
        click.echo(json.dumps({"schema": "inspectx.signing/1", "summary": summary,
                               "exitCode": tally.exit_code}), err=not to_files)  # fmt: skip
    elif batch:
        skipped = tally.counts.get("skipped", 0)
        click.echo(
            f"{tally.counts.get('signed', 0)} signed, "
            + (f"{skipped} skipped (already done), " if skipped else "")
            + f"{tally.counts.get('failed', 0)} failed {tally.rate()}",
            err=True,
        )
    sys.exit(tally.exit_code)


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
@_trust_list_options
@click.option("--at", "at_text", metavar="TIME", help="The verification time (default: now).")
@click.option("-v", "--verbose", is_flag=True, help="With --trust: show every step.")
@_format_option(
    "text",
    "json",
    "jsonl",
    help="text for people; json (one object) or jsonl (a line per input, then a summary).",
)
@_max_bytes_option
@_batch_options
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
    jobs: int,
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
            verbose=verbose, out_format=out_format, max_bytes=max_bytes, jobs=jobs,
        )  # fmt: skip
    if not key_files:
        raise click.UsageError("give --trust LIST --operator-key KEY, or --key-file KEY")
    if update or max_trust_age or at_text or operator_key:
        raise click.UsageError("--update, --max-trust-age, --at and --operator-key need --trust")
    from inspectx.batch import iter_inputs
    from inspectx.batch.jobs import VerifyKeysJob

    trusted, certificates = _load_key_files(key_files)
    job = VerifyKeysJob(public_keys=trusted, certificates=tuple(certificates),
                        max_bytes=max_bytes, debug=_debug())  # fmt: skip
    style = _Style(sys.stdout)

    def text_entry(name: str, entry: dict[str, Any]) -> None:
        label, colour = _MARKS[entry["verdict"]]
        click.echo(f"{style(label, fg=colour)}  {_safe_name(name)}")
        if "error" in entry:
            _echo_error_below(entry["error"])
        else:
            for proof in entry["proofs"]:
                click.echo(
                    f"  {proof['type']} {proof['algorithm']} by {_safe_name(proof['signer'])}"
                )

    items = _first_or_usage_error(iter_inputs(inputs, max_bytes=max_bytes))
    tally = _Tally(show=_is_batch(inputs))
    outcomes = _run_batch(job, items, inputs=inputs, jobs=jobs)
    _report_verifications(outcomes, tally, out_format, None, text_entry)
    sys.exit(tally.exit_code)


def _report_verifications(
    outcomes: Iterable[tuple[Any, Any]],
    tally: _Tally,
    out_format: str,
    trust: dict[str, Any] | None,
    text_entry: Callable[[str, dict[str, Any]], None],
) -> None:
    """Report verifications as they come: a JSON Lines line each at once, in text through
    ``text_entry(name, entry)``, or gathered into the JSON report; then its end."""
    import json

    results = []
    for item, outcome in outcomes:
        entry = _clean(outcome.entry)
        tally.wipe()
        if out_format == "json":
            results.append(entry)
        elif out_format == "jsonl":
            click.echo(json.dumps(_clean(_pruned({"schema": REPORT_SCHEMA, **entry})),
                                  ensure_ascii=False))  # fmt: skip
        else:
            text_entry(item.name, entry)
        tally.add(entry["verdict"], outcome.exit_code)
    tally.wipe()
    _finish_verification(tally, results, out_format, trust)


def _finish_verification(
    tally: _Tally, results: list[dict[str, Any]], out_format: str, trust: dict[str, Any] | None
) -> None:
    """The end of a verification report: the JSON object, or the JSON Lines summary line,
    or (text, a batch) the counts and the time on standard error."""
    import json

    summary = {"total": tally.total} | {
        v.lower(): tally.counts.get(v, 0) for v in ("VALID", "INVALID", "INDETERMINATE", "ERROR")
    }
    if out_format == "json":
        report = _verification_report(results, [tally.exit_code], trust)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    elif out_format == "jsonl":
        line = {"schema": REPORT_SCHEMA, "summary": summary, "exitCode": tally.exit_code}
        click.echo(json.dumps(line, ensure_ascii=False))
    elif tally.total > 1:
        counts = ", ".join(f"{n} {k}" for k, n in summary.items() if k != "total" and n)
        click.echo(f"inspectx: {tally.total} verified ({counts}) {tally.rate()}", err=True)


def _trust_info(snapshot: Any) -> dict[str, Any]:
    """The ``trust`` member of a verification report: which list, from where, how fresh."""
    trust_list = snapshot.trust_list
    info = {"id": trust_list.id, "sequenceNumber": trust_list.sequence_number,
            "source": snapshot.source, "origin": snapshot.origin}  # fmt: skip
    if snapshot.fetched_at:
        info["fetchedAt"] = snapshot.fetched_at.isoformat()
    if snapshot.note:
        info["note"] = snapshot.note
    return info


def _echo_checks(checks: Sequence[dict[str, Any]], *, verbose: bool, width: int) -> None:
    """The numbered steps of a report entry: the failing and indeterminate ones with
    their hints, or every one with ``verbose``."""
    for c in checks:
        failing = c["status"] in ("failed", "indeterminate")
        if not (verbose or failing):
            continue
        code = f" {c['code']}" if c["code"] else ""
        message = f": {_safe_name(c['message'])}" if c["message"] else ""
        click.echo(f"  {c['step']} {c['name']:<{width}} {c['status']}{code}{message}")
        if c["hint"] and failing:
            click.echo(f"      hint: {_safe_name(c['hint'])}")


def _load_key_files(key_files: Sequence[str]) -> tuple[dict[str, Any], list[Any]]:
    """The keys given with --key-file: public keys by did:key verification method, and
    the X.509 certificates among them (for XML signatures). Exits 4 on one it cannot read."""
    import contextlib

    from inspectx._io import InputFile, read_input
    from inspectx.errors import InspectxError
    from inspectx.proofs import keys
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
    return trusted, certificates


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
    at: Any, cache_dir: str | None, verbose: bool, out_format: str, max_bytes: int, jobs: int,
) -> None:  # fmt: skip
    from inspectx.batch import iter_inputs
    from inspectx.batch.jobs import VerifyTrustJob
    from inspectx.errors import InspectxError

    try:
        snapshot = _trust_snapshot(source, operator_key, update=update, cache_dir=cache_dir)
    except InspectxError as exc:
        for line in _error_lines(source, exc, _Style(sys.stderr)):
            click.echo(line, err=True)
        sys.exit(EXIT_OPERATIONAL)
    trust_list = snapshot.trust_list
    trust_info = _trust_info(snapshot)
    job = VerifyTrustJob(
        trust=snapshot, at=at, max_trust_age=max_age, max_bytes=max_bytes, debug=_debug()
    )
    style = _Style(sys.stdout)

    def text_entry(name: str, entry: dict[str, Any]) -> None:
        if "error" in entry:
            for line in _entry_error_lines(name, entry["error"], _Style(sys.stderr)):
                click.echo(line, err=True)
            return
        label, colour = _MARKS[entry["verdict"]]
        click.echo(f"{style(label, fg=colour)}  {_safe_name(name)}")
        _echo_checks(entry["checks"], verbose=verbose, width=24)

    items = _first_or_usage_error(iter_inputs(inputs, max_bytes=max_bytes))
    tally = _Tally(show=_is_batch(inputs))
    outcomes = _run_batch(job, items, inputs=inputs, jobs=jobs)
    _report_verifications(outcomes, tally, out_format, trust_info, text_entry)
    if out_format == "text":
        fetched = f", fetched {trust_info['fetchedAt']}" if "fetchedAt" in trust_info else ""
        note = f"; {snapshot.note}" if snapshot.note else ""
        click.echo(
            f"trust list {trust_list.id} #{trust_list.sequence_number} "
            f"({snapshot.origin}{fetched}{note})"
        )
    sys.exit(tally.exit_code)


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
    import json

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
    import json

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
    import json

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
    import json

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
    import json

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
from inspectx.cli import render as _render  # noqa: E402, F401  (registers "inspectx render")
