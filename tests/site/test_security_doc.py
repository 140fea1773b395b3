"""SECURITY.md names the tests that cover each claim: every one it names must exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_security_md_cites_exists():
    text = (ROOT / "SECURITY.md").read_text()
    cited = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text)
    assert cited
    for path, name in cited:
        source = ROOT / path
        assert source.exists(), path
        assert re.search(rf"^def {name}\(", source.read_text(), re.MULTILINE), f"{path}::{name}"
    for path in re.findall(r"`(tests/[\w/]+(?:\.py|/))`", text):
        assert (ROOT / path).exists(), path


def test_every_setting_security_md_names_exists():
    text = (ROOT / "SECURITY.md").read_text()
    configuration = "".join(
        (ROOT / name).read_text()
        for name in ("traceobject/settings.py", "docker-compose.yml", ".env.example")
    )
    for name in set(re.findall(r"`([A-Z][A-Z0-9_]{3,})`", text)):
        assert name in configuration, name
