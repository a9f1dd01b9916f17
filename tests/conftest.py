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
    *args: str, input: bytes | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the real ``inspectx`` command in a subprocess (as a user would)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "inspectx", *args],
        input=input,
        capture_output=True,
        cwd=cwd,
        env=full_env,
        timeout=60,
        check=False,
    )
