from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def json_bytes(data: object) -> bytes:
    import json

    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


@pytest.fixture
def cert_json(tmp_path: Path) -> Path:
    """A valid inspectx JSON certificate file in a fresh directory."""
    path = tmp_path / "cert.json"
    path.write_bytes(json_bytes(minimal_certificate_data()))
    return path
