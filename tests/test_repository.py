"""Rules of the repository that the test suite keeps true."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = subprocess.run([ruff, "check", "latentlab", "tests", "benchmarks", "resources",
                             "packaging"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^python3 -m venv .*$", readme, flags=re.MULTILINE)
    assert len(commands) == 2, "the README holds exactly two set-up commands"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_every_package_is_listed_for_installation() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for init in (ROOT / "latentlab").rglob("__init__.py"):
        package = ".".join(init.parent.relative_to(ROOT).parts)
        assert f'"{package}"' in pyproject, f"{package} is missing from [tool.setuptools]"


def _written_attributes(path: Path) -> list[tuple[int, str]]:
    """Every ``<something>.attr = …`` (also augmented, annotated, subscripted) in a module:
    (line, the dotted target)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        else:
            continue
        stack = list(targets)
        while stack:
            target = stack.pop()
            if isinstance(target, (ast.Tuple, ast.List)):
                stack.extend(target.elts)
                continue
            while isinstance(target, ast.Subscript):
                target = target.value
            if isinstance(target, ast.Attribute):
                found.append((node.lineno, ast.unparse(target)))
    return found


def test_each_lab_model_is_the_only_writer_of_its_fields() -> None:
    """A lab model assigns attributes of ``self`` only: no module writes another object's field
    (it calls that object's methods), so each field has one writer, in one module."""
    foreign = [f"{path.name}:{line}: {target}"
               for path in sorted((ROOT / "latentlab" / "lab").glob("*.py"))
               for line, target in _written_attributes(path)
               if not re.fullmatch(r"self\.\w+", target)]
    assert not foreign, "fields written from outside their model:\n" + "\n".join(foreign)


def test_views_write_only_their_own_widgets() -> None:
    """The Qt layer changes the lab through its methods, never by assigning its fields."""
    foreign = [f"{path.relative_to(ROOT)}:{line}: {target}"
               for path in sorted((ROOT / "latentlab" / "qt").rglob("*.py"))
               for line, target in _written_attributes(path)
               if not target.startswith("self.") and target != "sys.excepthook"]
    assert not foreign, "the Qt layer assigns fields it does not own:\n" + "\n".join(foreign)


def test_no_module_is_over_400_lines() -> None:
    """Modules are split by concern before they grow past what a reader takes in at once."""
    long = [f"{path.relative_to(ROOT)} ({n} lines)"
            for path in sorted((ROOT / "latentlab").rglob("*.py"))
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400]
    assert not long, "split these modules: " + ", ".join(long)
