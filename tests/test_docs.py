"""The README and docs stay true: the example runs, CI runs its command, every code is listed."""

from __future__ import annotations

import re

from inspectx.validation import read_certificate
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def test_readme_example_builds_a_valid_certificate() -> None:
    block = README.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    cert = namespace["cert"]
    for key in ("json_bytes", "xml_bytes"):
        data = namespace[key]
        assert isinstance(data, bytes)
        assert read_certificate(data).certificate == cert


def test_ci_runs_the_readme_test_command() -> None:
    shell_blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    test_command = next(line for b in shell_blocks for line in b.splitlines() if "pytest" in line)
    ci_lines = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert test_command in ci_lines
    # and it is on the README's first screen
    assert README.index(test_command) < 1500


def test_every_error_code_in_the_source_is_documented() -> None:
    documented = set(
        re.findall(
            r"^\| `([a-z0-9.-]+)` \|", (ROOT / "docs" / "error-codes.md").read_text("utf-8"), re.M
        )
    )
    raised: set[str] = set()
    for path in (ROOT / "inspectx").rglob("*.py"):
        raised |= set(
            re.findall(
                r'"((?:format|model|schema|input|output|rules|key|proof|multibase|xmldsig|trust|document|delivery|untp|sps|convert)\.[a-z0-9.-]+)"',
                path.read_text("utf-8"),
            )
        )
    raised = {code for code in raised if not code.endswith((".json", ".xml"))}  # file names
    assert raised, "the source raises codes"
    assert raised <= documented, f"undocumented codes: {sorted(raised - documented)}"


def test_every_rule_code_is_in_the_rules_table() -> None:
    from inspectx.validation.rules import RULES_AND_PROFILES

    table = (ROOT / "docs" / "rules.md").read_text("utf-8")
    for code, info in RULES_AND_PROFILES.items():
        assert f"| `{code}` | {info.severity.value} | {info.title} |" in table, code
