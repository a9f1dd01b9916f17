"""`inspectx keygen`, `sign` and `verify` from the command line."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.conftest import FIXTURES, run_cli

TOYS = FIXTURES / "certificates" / "toys-en71-3.json"


def _keygen(folder: Path, *extra: str, env: dict[str, str] | None = None) -> Path:
    key = folder / "lab.key"
    result = run_cli(
        "keygen", "--out-key", str(key), "--subject", "CN=Example Lab,O=Example,C=DE",
        "--out-cert", str(folder / "lab.crt"), *extra, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"verification method: did:key:")
    return key


def test_keygen_writes_an_owner_only_key_and_a_certificate(tmp_path: Path) -> None:
    key = _keygen(tmp_path)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "lab.crt").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    again = run_cli("keygen", "--out-key", str(key))
    assert again.returncode == 4 and b"output.exists" in again.stderr


def test_passphrase_comes_from_the_environment_never_argv(tmp_path: Path) -> None:
    key = _keygen(tmp_path, "--passphrase-env", "LAB_PASS", env={"LAB_PASS": "correct horse"})
    assert key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    wrong = run_cli(
        "sign",
        str(TOYS),
        "--key",
        str(key),
        "--passphrase-env",
        "LAB_PASS",
        env={"LAB_PASS": "wrong"},
    )
    assert wrong.returncode == 4 and b"key.unreadable" in wrong.stderr
    assert b"hunter2-xyzzy" not in wrong.stderr
    ok = run_cli(
        "sign",
        str(TOYS),
        "--key",
        str(key),
        "--passphrase-env",
        "LAB_PASS",
        env={"LAB_PASS": "correct horse"},
    )
    assert ok.returncode == 0 and b'"proof": [' in ok.stdout


def test_sign_json_verify_json_and_xml_then_tamper(tmp_path: Path) -> None:
    key = _keygen(tmp_path)
    signed = tmp_path / "toys.signed.json"
    assert run_cli("sign", str(TOYS), "--key", str(key), "-o", str(signed)).returncode == 0
    as_xml = tmp_path / "toys.signed.xml"
    assert run_cli("convert", str(signed), "-o", str(as_xml)).returncode == 0
    result = run_cli(
        "verify",
        str(signed),
        str(as_xml),
        "--key-file",
        str(tmp_path / "lab.crt"),
        "--format",
        "json",
    )
    report = json.loads(result.stdout)
    assert result.returncode == 0
    assert [d["verdict"] for d in report["documents"]] == ["VALID", "VALID"]
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(as_xml.read_bytes().replace(b"Nordwerk", b"Nordwork", 1))
    bad = run_cli("verify", str(tampered), "--key-file", str(tmp_path / "lab.crt"))
    assert bad.returncode == 1 and b"proof.integrity" in bad.stdout


def test_an_untrusted_key_is_indeterminate_and_rsa_cannot_make_proofs(tmp_path: Path) -> None:
    key = _keygen(tmp_path)
    signed = tmp_path / "signed.json"
    run_cli("sign", str(TOYS), "--key", str(key), "-o", str(signed))
    other = tmp_path / "other"
    other.mkdir()
    _keygen(other)
    result = run_cli("verify", str(signed), "--key-file", str(other / "lab.crt"))
    assert result.returncode == 3 and b"proof.key-unknown" in result.stdout
    rsa = tmp_path / "rsa.key"
    assert run_cli("keygen", "--alg", "rsa3072", "--out-key", str(rsa)).returncode == 0
    refused = run_cli("sign", str(TOYS), "--key", str(rsa))
    assert refused.returncode == 4 and b"proof.algorithm-not-allowed" in refused.stderr


def test_unsigned_certificate_is_invalid(tmp_path: Path) -> None:
    _keygen(tmp_path)
    result = run_cli("verify", str(TOYS), "--key-file", str(tmp_path / "lab.crt"))
    assert result.returncode == 1 and b"proof.missing" in result.stdout


def test_xml_signature_from_the_cli(tmp_path: Path) -> None:
    key = tmp_path / "lab.key"
    cert = tmp_path / "lab.crt"
    made = run_cli(
        "keygen",
        "--alg",
        "p256",
        "--out-key",
        str(key),
        "--subject",
        "CN=Lab,O=Lab,C=DE",
        "--out-cert",
        str(cert),
    )
    assert made.returncode == 0
    signed = tmp_path / "signed.xml"
    xml = FIXTURES / "certificates" / "wheat-mycotoxins.xml"
    result = run_cli(
        "sign", str(xml), "--xmldsig", "--key", str(key), "--cert", str(cert), "-o", str(signed)
    )
    assert result.returncode == 0, result.stderr
    assert b"<ds:Signature" in signed.read_bytes()
    ok = run_cli("verify", str(signed), "--key-file", str(cert), "--format", "json")
    report = json.loads(ok.stdout)
    assert ok.returncode == 0
    assert report["documents"][0]["proofs"][0]["type"] == "XMLDSig"
    assert run_cli("validate", str(signed)).returncode == 0  # the signature is set aside
    other = tmp_path / "other"
    other.mkdir()
    run_cli(
        "keygen",
        "--alg",
        "p256",
        "--out-key",
        str(other / "k"),
        "--subject",
        "CN=X,O=X,C=DE",
        "--out-cert",
        str(other / "c"),
    )
    unknown = run_cli("verify", str(signed), "--key-file", str(other / "c"))
    assert unknown.returncode == 3 and b"xmldsig.signer-unknown" in unknown.stdout
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(signed.read_bytes().replace(b"Laurentian", b"Laurentien", 1))
    bad = run_cli("verify", str(tampered), "--key-file", str(cert))
    assert bad.returncode == 1 and b"xmldsig.integrity" in bad.stdout
    needs_cert = run_cli("sign", str(xml), "--xmldsig", "--key", str(key))
    assert needs_cert.returncode == 2
    xades = tmp_path / "xades.xml"
    made_xades = run_cli(
        "sign", str(xml), "--xades", "--key", str(key), "--cert", str(cert), "-o", str(xades)
    )
    assert made_xades.returncode == 0, made_xades.stderr
    ok = run_cli("verify", str(xades), "--key-file", str(cert), "--format", "json")
    assert ok.returncode == 0, ok.stdout
    (proof,) = json.loads(ok.stdout)["documents"][0]["proofs"]
    assert proof["type"] == "XAdES-B-B" and proof["created"].startswith("20")
