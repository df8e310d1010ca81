"""The README's set-up commands are the ones CI runs, and they are runnable as written."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    """The shell commands of the README's first code block, without their trailing comments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```(?:sh|bash)\n(.*?)```", text, re.S)
    assert block is not None, "README.md must open with a sh code block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block_at = text.index("```")
    assert text[:first_block_at].count("\n") <= 3, "the commands must come first"
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert "pytest conformance/" in commands[0]
    assert "pytest tests/" in commands[1]


def test_ci_runs_every_readme_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in readme_commands():
        assert command in ci, f".ci/run does not run the README command {command!r}"


def test_setup_script_is_executable_and_valid_bash() -> None:
    for script in (ROOT / "scripts" / "setup", ROOT / ".ci" / "run"):
        assert os.access(script, os.X_OK), f"{script} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)
