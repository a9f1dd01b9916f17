"""The inputs of a batch: files, folders, and documents inside ZIP and JSON Lines archives.

:func:`iter_inputs` expands command-line arguments lazily, in a stable order:

- a folder gives its ``*.json`` and ``*.xml`` files, recursively, sorted (a
  sub-folder that cannot be listed gives an input with the error
  ``input.unreadable``; the batch's output folder is skipped);
- a ``*.zip`` file gives its ``*.json`` and ``*.xml`` members in the archive's
  order, named ``archive.zip!/path/member.json``; members are read into memory
  one at a time (never extracted to disk), with limits against ZIP bombs: the
  number of members (read from the archive's end records before its directory
  is parsed), each member's and the total uncompressed size (1 GiB), and the
  compression ratio of each member over 64 KiB and of the archive as a whole; a
  member named with an absolute path or ``..`` is refused;
- a ``*.jsonl`` (or ``*.ndjson``) file gives one JSON document per non-blank
  line, named ``batch.jsonl:17`` (17 is the line number), each line at most the
  document size limit;
- ``-`` is standard input, read here (a worker process has none);
- anything else is one input (read and checked later, by ``read_input``).

A document that cannot be taken out of its archive safely is still yielded, with
its error, so that it gets its own line in the report and the batch goes on.
"""

from __future__ import annotations

import os
import posixpath
import struct
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from inspectx._io import DOCUMENT_SUFFIXES, InputFile, expand_inputs, open_regular
from inspectx.errors import InspectxError

__all__ = ["ArchiveLimits", "iter_inputs"]

ZIP_SUFFIXES = frozenset({".zip"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveLimits:
    """Limits on what an archive may hold (ZIP bombs, runaway lines)."""

    max_members: int = 1_000_000
    max_total_bytes: int = 1024**3
    max_ratio: int = 200


def is_archive(path: str) -> bool:
    """Whether ``path`` names an archive whose documents are the inputs."""
    suffix = os.path.splitext(path)[1].lower()
    return suffix in ZIP_SUFFIXES or suffix in JSONL_SUFFIXES


def iter_inputs(
    args: Iterable[str],
    *,
    max_bytes: int,
    limits: ArchiveLimits | None = None,
    exclude_dirs: Iterable[str] = (),
    suffixes: Iterable[str] = DOCUMENT_SUFFIXES,
) -> Iterator[InputFile]:
    """Every input the arguments name, lazily, archives opened (see the module docs).

    ``exclude_dirs``: folders never read inside an input folder (give the batch's
    output folder: outputs are not read back as inputs). ``suffixes``: the names of
    documents in folders and ZIP archives (default ``.json`` and ``.xml``)."""
    limits = limits or ArchiveLimits()
    suffixes = frozenset(s.lower() for s in suffixes)
    for item in expand_inputs(args, exclude_dirs=exclude_dirs, suffixes=suffixes):
        if item.is_stdin:
            # read here, in the calling process: a worker process has no standard input
            yield InputFile(item.path, item.relative, data=sys.stdin.buffer.read(max_bytes + 1))
        elif not is_archive(item.path) or os.path.isdir(item.path):
            yield item
        elif os.path.splitext(item.path)[1].lower() in ZIP_SUFFIXES:
            yield from _zip_members(item, max_bytes, limits, suffixes)
        else:
            yield from _jsonl_lines(item, max_bytes)


def _stem(item: InputFile) -> str:
    return os.path.splitext(item.relative)[0]


def _error(item: InputFile, member: str, code: str, message: str, hint: str) -> InputFile:
    return InputFile(
        item.path, posixpath.join(_stem(item), member), member=member, error=(code, message, hint)
    )


def _too_large(item: InputFile, member: str, what: str, max_bytes: int) -> InputFile:
    hint = "raise the limit (--max-bytes) only if the document is genuine"
    return _error(item, member, "format.too-large",
                  f"{what} is over the limit of {max_bytes} bytes", hint)  # fmt: skip


def _archive_unreadable(item: InputFile, exc: Exception) -> InputFile:
    if isinstance(exc, InspectxError):  # from open_regular: not a file, or no access
        error = (exc.code, exc.message, exc.hint or "")
    else:
        error = ("input.unreadable", f"cannot read the archive {item.path}: {exc}",
                 "check that the file is a complete ZIP or JSON Lines file")  # fmt: skip
    return InputFile(item.path, item.relative, error=error)


def _safe_member_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or ":" in name.split("/", 1)[0]:
        return False
    return ".." not in name.split("/")


def _zip_members(
    item: InputFile, max_bytes: int, limits: ArchiveLimits, suffixes: frozenset[str]
) -> Iterator[InputFile]:
    try:
        fh = open_regular(item.path)
    except InspectxError as exc:
        yield _archive_unreadable(item, exc)
        return
    with fh:  # zipfile reads the file opened here: the path is not opened twice
        yield from _zip_documents(item, fh, max_bytes, limits, suffixes)


def _zip_documents(
    item: InputFile, fh: BinaryIO, max_bytes: int, limits: ArchiveLimits, suffixes: frozenset[str]
) -> Iterator[InputFile]:
    import zipfile

    try:
        archive_size = os.fstat(fh.fileno()).st_size
        entries = _zip_entry_count(fh, limits.max_members)
    except OSError as exc:
        yield _archive_unreadable(item, exc)
        return
    if entries > limits.max_members:  # refused before zipfile reads the central directory
        yield _too_many(item, entries, limits)
        return
    try:
        archive = zipfile.ZipFile(fh)
    except (OSError, zipfile.BadZipFile) as exc:
        yield _archive_unreadable(item, exc)
        return
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > limits.max_members:
            yield _too_many(item, len(members), limits)
            return
        documents = [
            (info, _member_refusal(item, info, max_bytes, limits))
            for info in members
            if os.path.splitext(info.filename)[1].lower() in suffixes
        ]
        # the archive as a whole: many small members that each pass, but expand together
        declared = sum(info.file_size for info, refusal in documents if refusal is None)
        ratio = declared / max(archive_size, 1)
        if declared > _RATIO_FLOOR and ratio > limits.max_ratio:
            yield _error(item, "", "input.archive-bomb",
                         f"{item.path} expands {ratio:.0f} times ({declared} bytes), over the "
                         f"limit of {limits.max_ratio}", "this looks like a ZIP bomb")  # fmt: skip
            return
        total = 0
        for info, refusal in documents:
            if refusal is not None:
                yield refusal
                continue
            name = info.filename
            # zipfile raises RuntimeError for an encrypted member, NotImplementedError for
            # a compression method it lacks, BadZipFile for a bad CRC or header
            try:
                with archive.open(info) as member:
                    data = member.read(max_bytes + 1)  # the header's size may lie
            except (OSError, RuntimeError, ValueError, NotImplementedError,
                    zipfile.BadZipFile) as exc:  # fmt: skip
                yield _error(item, name, "input.unreadable", f"cannot read {name}: {exc}",
                             "check the archive (encrypted members are not supported)")  # fmt: skip
                continue
            if len(data) > max_bytes:
                yield _too_large(item, name, name, max_bytes)
                continue
            total += len(data)
            if total > limits.max_total_bytes:
                yield _error(item, name, "input.archive-bomb",
                             f"the archive expands beyond {limits.max_total_bytes} bytes",
                             "split the archive")  # fmt: skip
                return
            yield InputFile(item.path, posixpath.join(_stem(item), name), member=name, data=data)


# a member (or a whole archive) is checked for its compression ratio only from this size
# up: a tiny document may compress very well, and it costs nothing to read
_RATIO_FLOOR = 64 * 1024


def _member_refusal(
    item: InputFile, info: Any, max_bytes: int, limits: ArchiveLimits
) -> InputFile | None:
    """Why a document member is refused from its header alone (its name, its size, its
    compression ratio), or ``None``."""
    name = info.filename
    if not _safe_member_name(name):
        return _error(item, name.replace("\\", "/").lstrip("/"), "input.archive-unsafe-name",
                      f"the member name {name!r} is absolute or climbs out with ..",
                      "repack the archive with relative names")  # fmt: skip
    if info.file_size > max_bytes:
        return _too_large(item, name, f"{name} ({info.file_size} bytes)", max_bytes)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
        return _error(item, name, "input.archive-bomb",
                      f"{name} expands {ratio:.0f} times, over the limit of "
                      f"{limits.max_ratio}", "this looks like a ZIP bomb")  # fmt: skip
    return None


def _too_many(item: InputFile, count: int, limits: ArchiveLimits) -> InputFile:
    return _error(item, "", "input.archive-too-many",
                  f"{item.path} holds {count} files or more, over the limit of "
                  f"{limits.max_members}", "split the archive")  # fmt: skip


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL_HEADER_SIZE = 46  # a central directory entry without its name, extra and comment


def _zip_entry_count(fh: BinaryIO, limit: int) -> int:
    """How many entries the central directory of the ZIP file ``fh`` holds, from its end
    records (ZIP64 too), read before :mod:`zipfile` parses (and keeps in memory) every
    entry. The count recorded may lie: when the directory's size allows more than
    ``limit`` entries, they are counted (up to ``limit + 1``) where zipfile will read
    them. 0 for what is not a ZIP file (zipfile then says why)."""
    size = fh.seek(0, os.SEEK_END)
    tail_size = min(size, _EOCD.size + 0xFFFF)
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or tail_size - at < _EOCD.size:
        return 0
    fields = _EOCD.unpack_from(tail, at)
    count, directory_size = int(fields[4]), int(fields[5])
    end = size - tail_size + at  # where the central directory ends (zipfile's reckoning)
    trailer = _ZIP64_LOCATOR.size + _ZIP64_EOCD.size
    if end >= trailer:
        fh.seek(end - trailer)
        record = fh.read(trailer)
        locator = record[_ZIP64_EOCD.size :]
        if locator[:4] == b"PK\x06\x07" and record[:4] == b"PK\x06\x06":
            zip64 = _ZIP64_EOCD.unpack_from(record)
            count, directory_size = int(zip64[7]), int(zip64[8])
            end -= trailer
    if count > limit or directory_size // _CENTRAL_HEADER_SIZE <= limit:
        return count
    position, counted = max(end - directory_size, 0), 0
    fh.seek(position)
    while position < end and counted <= limit:
        header = fh.read(_CENTRAL_HEADER_SIZE)
        if len(header) < _CENTRAL_HEADER_SIZE or header[:4] != b"PK\x01\x02":
            break  # zipfile will refuse the archive
        name, extra, comment = struct.unpack_from("<3H", header, 28)
        counted += 1
        position += _CENTRAL_HEADER_SIZE + name + extra + comment
        fh.seek(position)
    return max(count, counted)


def _jsonl_lines(item: InputFile, max_bytes: int) -> Iterator[InputFile]:
    try:
        fh = open_regular(item.path)
    except InspectxError as exc:
        yield _archive_unreadable(item, exc)
        return
    with fh:
        number = 0
        while True:
            line = fh.readline(max_bytes + 2)
            if not line:
                return
            number += 1
            member = str(number)
            if len(line.rstrip(b"\r\n")) > max_bytes:
                while line and not line.endswith(b"\n"):  # skip the rest of the long line
                    line = fh.readline(1024 * 1024)
                yield _too_large(item, member, f"line {number}", max_bytes)
                continue
            if not line.strip():
                continue
            yield InputFile(item.path, posixpath.join(_stem(item), f"{number}.json"),
                            member=member, data=line.rstrip(b"\r\n") + b"\n")  # fmt: skip
