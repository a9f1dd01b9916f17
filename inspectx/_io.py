"""Safe file input and output for batches: bounded reads and atomic, non-clobbering writes.

Rules (docs/security.md catalogue F): only regular files (or stdin) are read,
and never more than the size cap; an output is written to a temporary file in
its target directory, flushed, fsynced and renamed into place, so a reader
never sees a partial file; an existing output needs ``force``; an input is
never overwritten, whatever the path that names it (symlinks, hard links).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from inspectx.errors import InputError, LimitExceeded, OutputError

__all__ = [
    "InputFile",
    "NoSpace",
    "commit_output",
    "discard_staged",
    "ensure_not_an_input",
    "expand_inputs",
    "read_input",
    "remove_stale_temporaries",
    "remove_temporaries_of",
    "stage_output",
    "temporary_name_prefix",
    "write_atomic",
]

DOCUMENT_SUFFIXES = frozenset({".json", ".xml"})
TEMP_PREFIX = ".inspectx-"
TEMP_SUFFIX = ".tmp"


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input of a batch: a path (or ``-`` for stdin) and, for directory
    inputs, the path relative to the directory given (to mirror in --output-dir).

    A document inside an archive (a ZIP member or a JSON Lines line, see
    :mod:`inspectx.batch.inputs`) has ``member`` set (``"x/a.json"`` or
    ``"17"``) and its bytes already read in ``data``, or, when it could not be
    read safely, ``error`` = (code, message, hint) raised by :func:`read_input`.
    """

    path: str
    relative: str
    member: str | None = None
    data: bytes | None = None
    error: tuple[str, str, str] | None = None

    @property
    def is_stdin(self) -> bool:
        return self.path == "-" and self.member is None

    @property
    def name(self) -> str:
        """How reports name the input: the path, ``archive.zip!/member`` or ``file.jsonl:17``."""
        if self.member is None:
            return self.path
        if self.member.isdigit():
            return f"{self.path}:{self.member}"
        return f"{self.path}!/{self.member}"


def expand_inputs(
    args: Iterable[str],
    *,
    exclude_dirs: Iterable[str] = (),
    suffixes: Iterable[str] = DOCUMENT_SUFFIXES,
) -> Iterator[InputFile]:
    """Yield the files named on the command line, lazily; directories give their
    files with one of ``suffixes`` (``*.json`` and ``*.xml``), recursively, in sorted
    order (the order of their relative paths compared part by part), listing one
    folder at a time.

    A folder met on the way that is one of ``exclude_dirs`` (the same folder, by
    device and inode: e.g. the output folder of the batch, created inside an input
    folder) is skipped. A folder that cannot be listed gives an input carrying the
    error ``input.unreadable``, so that it is reported, never silently skipped."""
    excluded = _Folders(exclude_dirs)
    wanted = frozenset(s.lower() for s in suffixes)
    for arg in args:
        if arg != "-" and os.path.isdir(arg):
            yield from _walk(arg, (), excluded, wanted)
        else:
            yield InputFile(arg, os.path.basename(arg) if arg != "-" else "-")


class _Folders:
    """Folders to skip, told by their (device, inode), each looked up until it exists
    (an output folder may be made after the walk started)."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._paths = [p for p in paths if p]
        self._ids: set[tuple[int, int]] = set()

    def __contains__(self, entry: os.DirEntry[str]) -> bool:
        if not self._paths and not self._ids:
            return False
        for path in list(self._paths):
            with contextlib.suppress(OSError):
                st = os.stat(path)
                self._ids.add((st.st_dev, st.st_ino))
                self._paths.remove(path)
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) in self._ids


def _walk(
    base: str, parts: tuple[str, ...], excluded: _Folders, suffixes: frozenset[str]
) -> Iterator[InputFile]:
    """The document files under ``base``, depth first in name order (which is the
    order of sorting the paths by their parts); symlinked folders are not followed (no
    loops), symlinked files are."""
    folder = os.path.join(base, *parts)
    try:
        with os.scandir(folder) as it:
            entries = sorted((e.name, e.is_dir(follow_symlinks=False), e) for e in it)
    except OSError as exc:
        # named with a trailing separator: no output is ever named after it (--resume)
        relative = os.path.join(*parts, "") if parts else os.path.join(os.path.basename(base), "")
        yield InputFile(folder, relative, error=(
            "input.unreadable", f"cannot list the folder {folder}: {exc.strerror}",
            "check the folder's permissions; its files were not read"))  # fmt: skip
        return
    for name, is_dir, entry in entries:
        if is_dir:
            if entry not in excluded:
                yield from _walk(base, (*parts, name), excluded, suffixes)
        elif os.path.splitext(name)[1].lower() in suffixes and _is_file(entry):
            relative = os.path.join(*parts, name)
            yield InputFile(os.path.join(base, relative), relative)


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def read_input(item: InputFile, max_bytes: int) -> bytes:
    """Read one input, refusing anything but a regular file or stdin (a FIFO,
    device or socket is refused from ``stat``, before it is opened, and the file
    is opened non-blocking as a second guard), and anything over ``max_bytes``
    (read at most ``max_bytes + 1`` bytes)."""
    if item.error is not None:
        code, message, hint = item.error
        error_class = LimitExceeded if code.endswith(("too-large", "too-many")) else InputError
        raise error_class(code, message, hint=hint)
    if item.data is not None:
        data = item.data
    elif item.is_stdin:
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        data = _read_regular_file(item.path, max_bytes)
    if len(data) > max_bytes:
        raise LimitExceeded(
            "format.too-large",
            f"input is over the limit of {max_bytes} bytes",
            hint="raise the limit (--max-bytes) only if the document is genuine",
        )
    return data


def _not_a_file(path: str) -> InputError:
    return InputError(
        "input.not-a-file",
        f"{path} is not a regular file",
        hint="give a file, a directory of files, or - for standard input "
        "(a pipe or device is read only as standard input)",
    )


def _too_large(path: str, size: int, max_bytes: int) -> LimitExceeded:
    return LimitExceeded(
        "format.too-large",
        f"{path} is {size} bytes, over the limit of {max_bytes}",
        hint="raise the limit (--max-bytes) only if the document is genuine",
    )


def open_regular(path: str) -> BinaryIO:
    """``path`` opened for reading, if it is a regular file. A FIFO, device or socket is
    refused from ``stat``, before it is opened (opening a FIFO waits for a writer), and
    again from ``fstat`` (the path may have been swapped in between; the open is
    non-blocking so that it cannot hang). Raises :class:`InputError`
    (``input.unreadable``, ``input.not-a-file``)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_a_file(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _unreadable(path, exc) from None
    fh = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        fh.close()
        raise _not_a_file(path)
    return fh


def _read_regular_file(path: str, max_bytes: int) -> bytes:
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise _too_large(path, size, max_bytes)
        try:
            return fh.read(max_bytes + 1)
        except OSError as exc:
            raise _unreadable(path, exc) from None


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
        raise _exists(path)
    staged = stage_output(os.path.dirname(os.path.abspath(path)), data, private=private)
    commit_output(staged, path, force=force)


def stage_output(
    directory: str,
    data: bytes,
    *,
    private: bool = False,
    owner: int | None = None,
    sync: bool = True,
) -> str:
    """The first half of :func:`write_atomic`: ``data`` in a new hidden temporary file
    in ``directory`` (created with O_EXCL), flushed and (unless not ``sync``, when
    :func:`commit_output` must) fsynced; returns its path.

    ``owner`` is the process id its name carries (default: this process), so that
    :func:`remove_stale_temporaries` can tell a dead writer's files. On any error
    nothing is left behind (:class:`NoSpace` for a full disk).
    """
    prefix = temporary_name_prefix(owner if owner is not None else os.getpid())
    # created with its final mode, which the kernel narrows by the umask: reading the
    # umask would mean setting it, a race with the batch's other writer threads
    mode = 0o600 if private else 0o644
    while True:
        tmp = os.path.join(directory, f"{prefix}{secrets.token_hex(8)}{TEMP_SUFFIX}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise _write_error(exc, f"cannot write in {directory}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _write_error(exc, f"cannot write in {directory}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def commit_output(staged: str, path: str, *, force: bool = False, sync: bool = False) -> None:
    """The second half of :func:`write_atomic`: rename the ``staged`` file (from
    :func:`stage_output`, in the same directory) over ``path``, fsyncing it first if
    ``sync`` (a batch's workers stage without waiting for the disk; the rename never
    comes before the data is on it); refused unless ``force`` when ``path`` exists.
    ``staged`` is gone afterwards, whatever happens."""
    try:
        if os.path.lexists(path) and not force:
            raise _exists(path)
        if sync:
            fd = os.open(staged, os.O_RDONLY)
            try:
                os.fsync(fd)  # flushes the file, whichever process wrote it
            finally:
                os.close(fd)
        os.replace(staged, path)
    except OSError as exc:
        discard_staged(staged)
        raise _write_error(exc, f"cannot write {path}") from None
    except BaseException:
        discard_staged(staged)
        raise


def discard_staged(staged: str) -> None:
    """Remove a staged output that will not be committed."""
    with contextlib.suppress(OSError):
        os.unlink(staged)


def _exists(path: str) -> OutputError:
    return OutputError(
        "output.exists",
        f"{path} already exists",
        hint="give --force to replace it, or choose another output",
    )


def _write_error(exc: OSError, message: str) -> OutputError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return NoSpace(
            "output.unwritable",
            f"{message}: {exc.strerror or 'no space left on device'}",
            hint="free disk space (or raise the quota), then run again with --resume",
        )
    return OutputError(
        "output.unwritable",
        f"{message}: {exc.strerror}",
        hint="check that the directory exists, is writable and has free space",
    )


class NoSpace(OutputError):
    """An output could not be written because the disk (or quota) is full: a batch
    stops at the first one, as every later write would fail too."""


def temporary_name_prefix(pid: int) -> str:
    """The prefix of the temporary files a process writes outputs through: a hidden
    name that no output pattern matches, with the writer's process id, so that files
    left by a killed process can be told from those of a running one."""
    return f"{TEMP_PREFIX}{pid}-"


def remove_stale_temporaries(directory: str) -> int:
    """Remove temporary files left under ``directory`` by inspectx processes that no
    longer run (killed mid-write); returns how many. Files of running processes stay."""
    return _remove_temporaries(directory, lambda pid: not _process_runs(pid))


def remove_temporaries_of(directory: str, pid: int) -> int:
    """Remove the temporary files under ``directory`` that process ``pid`` (this one)
    and its workers staged and never put in place; returns how many."""
    return _remove_temporaries(directory, lambda owner: owner == pid)


def _remove_temporaries(directory: str, condemned: Callable[[int], bool]) -> int:
    removed = 0
    for folder, _dirs, files in os.walk(directory):
        for name in files:
            if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
                continue
            pid_text = name[len(TEMP_PREFIX) :].split("-", 1)[0]
            if not pid_text.isdigit() or not condemned(int(pid_text)):
                continue
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))
                removed += 1
    return removed


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True
