"""Safe file input and output for batches: bounded reads and atomic, non-clobbering writes.

Rules (docs/security.md catalogue F): only regular files (or stdin) are read,
and never more than the size cap; an output is written to a temporary file in
its target directory, flushed, fsynced and renamed into place, so a reader
never sees a partial file; an existing output needs ``force``; an input is
never overwritten, whatever the path that names it (symlinks, hard links).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from inspectx.errors import InputError, LimitExceeded, OutputError

__all__ = [
    "InputFile",
    "ensure_not_an_input",
    "expand_inputs",
    "read_input",
    "write_atomic",
]

DOCUMENT_SUFFIXES = frozenset({".json", ".xml"})


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input of a batch: a path (or ``-`` for stdin) and, for directory
    inputs, the path relative to the directory given (to mirror in --output-dir)."""

    path: str
    relative: str

    @property
    def is_stdin(self) -> bool:
        return self.path == "-"


def expand_inputs(args: Iterable[str]) -> Iterator[InputFile]:
    """Yield the files named on the command line; directories give their
    ``*.json`` and ``*.xml`` files, recursively, in sorted order."""
    for arg in args:
        if arg != "-" and os.path.isdir(arg):
            base = Path(arg)
            found = sorted(
                p for p in base.rglob("*") if p.suffix.lower() in DOCUMENT_SUFFIXES and p.is_file()
            )
            for p in found:
                yield InputFile(str(p), str(p.relative_to(base)))
        else:
            yield InputFile(arg, os.path.basename(arg) if arg != "-" else "-")


def read_input(item: InputFile, max_bytes: int) -> bytes:
    """Read one input, refusing anything but a regular file, pipe or stdin, and
    anything over ``max_bytes`` (read at most ``max_bytes + 1`` bytes)."""
    if item.is_stdin:
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        try:
            st = os.stat(item.path)
        except OSError as exc:
            raise _unreadable(item.path, exc) from None
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise InputError(
                "input.not-a-file",
                f"{item.path} is not a regular file",
                hint="give a file, a directory of files, or - for standard input",
            )
        if stat.S_ISREG(st.st_mode) and st.st_size > max_bytes:
            raise LimitExceeded(
                "format.too-large",
                f"{item.path} is {st.st_size} bytes, over the limit of {max_bytes}",
                hint="raise the limit (--max-bytes) only if the document is genuine",
            )
        try:
            with open(item.path, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise _unreadable(item.path, exc) from None
    if len(data) > max_bytes:
        raise LimitExceeded(
            "format.too-large",
            f"input is over the limit of {max_bytes} bytes",
            hint="raise the limit (--max-bytes) only if the document is genuine",
        )
    return data


def _unreadable(path: str, exc: OSError) -> InputError:
    return InputError(
        "input.unreadable",
        f"cannot read {path}: {exc.strerror}",
        hint="check the path and its permissions",
    )


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def ensure_not_an_input(output: str, inputs: Iterable[InputFile]) -> None:
    """Raise :class:`OutputError` ``output.is-input`` if ``output`` names any input,
    directly, through a symlink or a hard link."""
    for item in inputs:
        if not item.is_stdin and _same_file(output, item.path):
            raise OutputError(
                "output.is-input",
                f"the output {output} is the input {item.path}",
                hint="choose another output path; inspectx never overwrites its input",
            )


def write_atomic(path: str, data: bytes, *, force: bool = False, private: bool = False) -> None:
    """Write ``data`` to ``path`` atomically.

    The bytes go to a new temporary file in the same directory (created with
    O_EXCL), are flushed and fsynced, then renamed over ``path``. An existing
    ``path`` (even a dangling symlink) is refused unless ``force``; with
    ``force`` a symlink at ``path`` is replaced, never written through. A
    ``private`` file (a key) is readable by its owner only. On any error the
    temporary file is removed and ``path`` is untouched.
    """
    if os.path.lexists(path) and not force:
        raise OutputError(
            "output.exists",
            f"{path} already exists",
            hint="give --force to replace it, or choose another output",
        )
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".inspectx-", suffix=".tmp")
    except OSError as exc:
        raise OutputError(
            "output.unwritable",
            f"cannot write in {directory}: {exc.strerror}",
            hint="check the directory exists and is writable",
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600 if private else 0o644 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(
            "output.unwritable",
            f"cannot write {path}: {exc.strerror}",
            hint="check free disk space and permissions",
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
