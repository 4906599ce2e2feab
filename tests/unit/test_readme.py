"""The README is the set-up guide: it must open with the two commands and stay in sync with
the settings, the dependencies and the CLI it documents."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from sohoa.cli import main
from sohoa.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_exactly_the_two_setup_commands() -> None:
    first_block = re.search(r"```\w*\n(.*?)```", README, re.S)
    assert first_block is not None
    assert README.index("```") < README.index("\n## ")
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert [c for c in commands if c] == ["make run", "make test"]


def test_every_setting_is_documented() -> None:
    missing = [f"SOHOA_{name.upper()}" for name in Settings.model_fields
               if f"`SOHOA_{name.upper()}`" not in README]
    assert not missing, f"add these to the README configuration table: {missing}"


def test_every_python_dependency_is_explained() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra

    def name_of(spec: str) -> str:
        found = re.match(r"[A-Za-z0-9_.\-\[\]]+?(?=[<>=!~ ;]|$)", spec)
        assert found is not None, spec
        return found.group(0)

    names = [name_of(s) for s in specs]
    missing = [n for n in names if f"`{n}`" not in README and f"`{n.split('[')[0]}" not in README]
    assert not missing, f"explain these in 'Dependencies and why each is there': {missing}"


def test_every_debian_package_is_explained() -> None:
    script = (ROOT / "scripts/install-system.sh").read_text(encoding="utf-8")
    packages = []
    for group in re.findall(r"_PACKAGES=\((.*?)\)", script, re.S):
        packages += group.split()
    assert "tesseract-ocr-vie" in packages
    missing = [p for p in packages if f"`{p}`" not in README]
    assert not missing, f"explain these Debian packages in the README: {missing}"


def test_every_cli_command_is_documented() -> None:
    missing = [name for name in main.commands if f"`sohoa {name}" not in README]
    assert not missing, f"document these commands in the README: {missing}"
