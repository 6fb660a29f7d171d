"""The core and the lab models run without a display: importing them may not load any Qt
module."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import importlib, pkgutil, sys
import latentlab.core, latentlab.config, latentlab.lab
for package in (latentlab.core, latentlab.lab):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
qt = {"PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "qtpy"}
bad = sorted(m for m in sys.modules if m.split(".")[0] in qt)
print(",".join(bad))
"""


def test_importing_the_core_and_the_lab_loads_no_qt() -> None:
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "", f"Qt modules imported: {result.stdout}"


def test_cli_version_needs_no_qt() -> None:
    code = "import sys; from latentlab.cli import main\n" \
           "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n" \
           "print(any(m.startswith('PySide6') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().endswith("False")
    assert "latentlab 0." in result.stdout


def test_sub_packages_import_nothing_heavy_eagerly() -> None:
    """A package's __init__ holds only a docstring: importing the events or the map vocabulary
    does not load torch; nor do the data loaders and the data session (a million images load
    and map without torch's memory)."""
    code = ("import sys, latentlab.core.training.events, latentlab.core.maps.methods, "
            "latentlab.core.files, latentlab.core.evaluation, latentlab.core.data, "
            "latentlab.lab.data_session\n"
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
