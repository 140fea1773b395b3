"""The image's build step runs here exactly as `docker build` would run it (no Docker engine
in CI): the collectstatic command of the Dockerfile, with only the variables the Dockerfile
gives it. A setting the build step lacks then fails this test instead of the release."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        joined.append(line)
    text = "\n".join(joined).replace("\\\n", " ")
    result = []
    for line in text.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            result.append((keyword.upper(), arguments.strip()))
    return result


def collectstatic_step() -> tuple[dict[str, str], list[str]]:
    """The ENV in force at the RUN that collects static files, and that command's words
    (its inline VAR=value assignments merged into the environment)."""
    environment: dict[str, str] = {}
    for keyword, arguments in instructions():
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, equals, value = pair.partition("=")
                assert equals, f"ENV {pair}: use the NAME=value form"
                environment[name] = value
        if keyword == "RUN" and "collectstatic" in arguments:
            command = next(part for part in arguments.split("&&") if "collectstatic" in part)
            words = shlex.split(command)
            while "=" in words[0]:
                name, _, value = words.pop(0).partition("=")
                environment[name] = value
            return environment, words
    raise AssertionError("the Dockerfile has no RUN step that runs collectstatic")


def test_the_dockerfile_collects_static_files_with_only_what_it_gives_the_build(tmp_path):
    environment, words = collectstatic_step()
    assert words[:3] == ["python", "manage.py", "collectstatic"], words
    # The image's own interpreter is ours here; its PATH is the only thing taken from the host.
    environment = {**environment, "STATIC_ROOT": str(tmp_path / "static")}
    result = subprocess.run(
        [sys.executable, *words[1:]],
        cwd=ROOT,
        env={**environment, "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
