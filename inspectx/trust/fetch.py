"""Fetching trust lists over HTTP and keeping an offline snapshot (DESIGN §5).

``update_trust_list`` is the only function here that touches the network, and
only for the URL it is given. A fetched list replaces the snapshot only after
the operator's proof verified and its sequence number did not go back; the
snapshot (list bytes and a small metadata file) lives in the user cache
directory, one folder per URL, written atomically. ``load_snapshot`` reads it
back without any network access and verifies it again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspectx.proofs.dataintegrity import PublicKey
from inspectx.trust.lists import TrustError, TrustList, load_trust_list

__all__ = [
    "TrustSnapshot",
    "default_cache_dir",
    "load_snapshot",
    "snapshot_for",
    "update_trust_list",
]

DEFAULT_TIMEOUT = (5.0, 20.0)  # connect, read (seconds)
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
# kept exactly as received (JSON or XML): the digest reported is that of what was served
_LIST_FILE, _META_FILE = "trustlist", "meta.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustSnapshot:
    """A verified trust list and where and when it came from.

    ``fetched_at`` is when the server last confirmed this copy (a fetch or a
    304), None for a list read from a file. ``origin`` says how this copy was
    obtained this time: ``file``, ``fetched``, ``not-modified`` (304, cached copy
    reused) or ``offline`` (no network was used, or it failed: see ``note``).
    """

    trust_list: TrustList
    source: str
    fetched_at: datetime | None
    origin: str
    note: str | None = None


def default_cache_dir() -> Path:
    """The user cache directory for trust snapshots (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("inspectx", appauthor=False)) / "trust"


def _folder(cache_dir: Path, url: str) -> Path:
    return cache_dir / hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def _read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        meta: dict[str, Any] = json.loads((folder / _META_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return meta


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def load_snapshot(
    url: str,
    *,
    operator_keys: Mapping[str, PublicKey],
    cache_dir: Path | None = None,
    note: str | None = None,
) -> TrustSnapshot:
    """The cached trust list for ``url``, verified again; never uses the network.

    Raises :class:`TrustError` ``trust.no-snapshot`` when there is none, or the
    loading codes when the cached copy no longer verifies.
    """
    folder = _folder(cache_dir or default_cache_dir(), url)
    meta = _read_meta(folder)
    try:
        data = (folder / _LIST_FILE).read_bytes()
    except OSError:
        data = None
    if meta is None or data is None:
        raise TrustError(
            "trust.no-snapshot",
            f"no trust list snapshot for {url}",
            hint=f"fetch one first: inspectx trust update {url} --operator-key KEY",
        )
    trust = load_trust_list(data, operator_keys=operator_keys)
    return TrustSnapshot(
        trust_list=trust,
        source=url,
        fetched_at=datetime.fromisoformat(meta["fetchedAt"]),
        origin="offline",
        note=note or "the cached snapshot was used; the network was not",
    )


def update_trust_list(
    url: str,
    *,
    operator_keys: Mapping[str, PublicKey],
    cache_dir: Path | None = None,
    now: datetime | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> TrustSnapshot:
    """Fetch the trust list at ``url`` and make it the snapshot, if it deserves to be.

    Sends ``If-None-Match`` with the cached ETag (a 304 reuses the snapshot),
    refuses bodies over ``max_bytes``, verifies the operator's proof and the
    load-time checks, and refuses a lower sequence number than the snapshot's
    (``trust.rollback``), or the same number with other content. The snapshot
    is untouched by every refusal. Raises :class:`TrustError`:
    ``trust.fetch-failed`` for network and HTTP errors (the caller may then fall
    back to :func:`load_snapshot`), or the loading codes.
    """
    import requests

    cache_dir = cache_dir or default_cache_dir()
    folder = _folder(cache_dir, url)
    meta = _read_meta(folder)
    when = (now or datetime.now(UTC)).astimezone(UTC)
    headers = {
        "Accept": "application/json, application/xml;q=0.9",
        "User-Agent": "inspectx trust update",
    }
    if meta and meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    try:
        with requests.get(
            url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        ) as response:
            if response.status_code == 304 and meta is not None:
                snapshot = load_snapshot(url, operator_keys=operator_keys, cache_dir=cache_dir)
                _write_atomic(
                    folder / _META_FILE,
                    json.dumps({**meta, "fetchedAt": when.isoformat()}).encode(),
                )
                return TrustSnapshot(
                    trust_list=snapshot.trust_list, source=url, fetched_at=when,
                    origin="not-modified",
                )  # fmt: skip
            if response.status_code != 200:
                raise _fetch_failed(url, f"the server answered HTTP {response.status_code}")
            body = _read_capped(response, max_bytes, url)
            etag = response.headers.get("ETag")
    except requests.RequestException as exc:
        raise _fetch_failed(url, f"{type(exc).__name__}: {exc}") from None
    trust = load_trust_list(body, operator_keys=operator_keys)
    if meta is not None:
        previous = int(meta.get("sequenceNumber", 0))
        same_content = meta.get("sha256") == trust.sha256
        if trust.sequence_number < previous or (
            trust.sequence_number == previous and not same_content
        ):
            raise TrustError(
                "trust.rollback",
                f"the server's list has sequence number {trust.sequence_number}, the snapshot "
                f"{previous}" + ("" if trust.sequence_number < previous else " with other content"),
                hint="an older (or equivocating) list was served; the snapshot is kept. "
                "Tell the list operator.",
            )
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / _LIST_FILE, body)
    _write_atomic(
        folder / _META_FILE,
        json.dumps(
            {
                "url": url,
                "etag": etag,
                "fetchedAt": when.isoformat(),
                "sequenceNumber": trust.sequence_number,
                "sha256": trust.sha256,
            }
        ).encode(),
    )
    return TrustSnapshot(trust_list=trust, source=url, fetched_at=when, origin="fetched")


def snapshot_for(
    url: str,
    *,
    operator_keys: Mapping[str, PublicKey],
    update: bool,
    cache_dir: Path | None = None,
) -> TrustSnapshot:
    """The trust list to verify against for ``url``.

    Without ``update``, the cached snapshot (no network). With it, a fetch; if the
    network or server fails, the snapshot, with ``note`` saying why. A list that
    arrives but fails its checks (tampered, rolled back) is an error, not a reason
    to fall back silently.
    """
    if not update:
        return load_snapshot(url, operator_keys=operator_keys, cache_dir=cache_dir)
    try:
        return update_trust_list(url, operator_keys=operator_keys, cache_dir=cache_dir)
    except TrustError as exc:
        if exc.code != "trust.fetch-failed":
            raise
        return load_snapshot(
            url,
            operator_keys=operator_keys,
            cache_dir=cache_dir,
            note=f"the update failed ({exc.message}); the cached snapshot was used",
        )


def _read_capped(response: Any, max_bytes: int, url: str) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _fetch_failed(url, f"the list is {declared} bytes, over the cap of {max_bytes}")
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise _fetch_failed(url, f"the list is over the cap of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _fetch_failed(url: str, why: str) -> TrustError:
    return TrustError(
        "trust.fetch-failed",
        f"could not fetch the trust list from {url}: {why}",
        hint="check the URL and the network; verification can use the cached snapshot "
        "(it says so in its report)",
    )
