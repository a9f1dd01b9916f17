from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED_REFERENCE = Path(os.environ.get("INSPECTX_SHARED", ROOT.parent / "shared")) / "reference"


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """The public reference data in ../shared/reference; interop tests skip without it."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"interop: the public reference data is not present at {SHARED_REFERENCE}")
    return SHARED_REFERENCE


def run_cli(
    *args: str,
    input: bytes | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real ``inspectx`` command in a subprocess (as a user would)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "inspectx", *args],
        input=input,
        capture_output=True,
        cwd=cwd,
        env=full_env,
        timeout=60,
        check=False,
    )


def minimal_certificate_data(**overrides: object) -> dict[str, object]:
    """A small valid certificate as JSON data, for tests that need one quickly."""
    data: dict[str, object] = {
        "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "number": {"value": "R-1"},
        "documentType": "test-report",
        "status": "issued",
        "issuedAt": "2026-01-02T03:04:05+08:00",
        "issuer": {"name": "Lab 检测中心", "address": {"countryCode": "CN"}},
        "products": [{"seq": 1, "name": "Toy"}],
        "tests": [
            {
                "id": "t1",
                "parameter": {"name": "Lead"},
                "method": {"standard": "EN 71-3"},
                "results": [{"value": "0.050", "unit": "NA"}],
                "outcome": "pass",
            }
        ],
        "conclusion": {"outcome": "pass"},
    }
    data.update(overrides)
    return data


# a certificate with every kind of leaf, and leaves that its schemas accept but the model
# refuses (so every fast path that skips binding must still refuse them, located)
LEAF_FIXTURE = FIXTURES / "certificates" / "cosmetics-heavy-metals-micro.json"
MODEL_REFUSED_LEAVES = [
    ("/issuedAt", "2026-02-30T10:00:00Z"),
    ("/issuedAt", "2026-01-02T10:00:00-00:00"),
    ("/validUntil", "2027-02-29T00:00:00+01:00"),
    ("/accreditations/0/validUntil", "2027-04-31"),
    ("/samples/0/takenAt", "2026-11-31T09:30:00+01:00"),
    ("/tests/0/performedTo", "2026-02-29T09:30:00+01:00"),
    ("/signatories/0/signedAt", "2026-06-31T14:45:00+01:00"),
    ("/references/0/data", "QR=="),  # base64 whose unused bits are set
]


def leaf_fixture_with(pointer: str, value: object) -> dict[str, Any]:
    """The JSON data of :data:`LEAF_FIXTURE` with the leaf at ``pointer`` set to ``value``."""
    data: Any = json.loads(LEAF_FIXTURE.read_text(encoding="utf-8"))
    node = data
    *parents, last = pointer.strip("/").split("/")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    return dict(data)


def leaf_id(value: object) -> str:
    return str(value).strip("/").replace("/", ".")


def json_bytes(data: object) -> bytes:
    import json

    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


@pytest.fixture
def cert_json(tmp_path: Path) -> Path:
    """A valid inspectx JSON certificate file in a fresh directory."""
    path = tmp_path / "cert.json"
    path.write_bytes(json_bytes(minimal_certificate_data()))
    return path


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + 120  # bounded: never outlives the test run
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A loopback listener that must see no connection (nothing the input names is fetched)."""
    lst = Listener()
    yield lst
    lst.close()
