"""How often the GAN dynamics workspace redraws while it trains, printed as JSON.

    python benchmarks/gan2d_window.py [--seconds 8] [--only one,two_plain,plain_vs_unrolled]

The real window (offscreen unless a display is set) plays each scenario for ``--seconds``: one
run with the defaults, two runs side by side with the defaults, and the side-by-side lesson
"non-saturating vs unrolled (k = 5)". It counts the frames each plane drew and the paint events
its plot received, and the training steps each run made, per second of wall time. The target
(the GAN dynamics issue): every view redraws at 30 frames per second or more while training.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication

from latentlab.core.gan2d import Gan2dConfig

SCENARIOS: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "one": ({}, None),
    "two_plain": ({}, {}),
    "plain_vs_unrolled": ({}, {"unrolled": 5}),
}
TARGET_FPS = 30.0


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def measure(app: QApplication, window, workspace, a: dict[str, Any], b: dict[str, Any] | None,
            seconds: float) -> dict[str, Any]:
    lab = workspace.lab
    lab.set_side_by_side(False)
    lab.set_config("A", Gan2dConfig(**a))
    if b is not None:
        lab.set_side_by_side(True, Gan2dConfig(**b))
    lab.set_speed(100)  # as fast as the frame budget allows
    names = list(lab.runs)
    counters = {}
    for name in names:
        counter = PaintCounter()
        workspace.planes[name].plot.viewport().installEventFilter(counter)
        counters[name] = counter
    drawn = {n: workspace.planes[n].frames_drawn for n in names}
    steps = {n: lab.runs[n].step for n in names}
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    lab.play()
    started = time.perf_counter()
    loop.exec()  # the window's own event loop: it sleeps between events, as the app's does
    lab.pause()
    wall = time.perf_counter() - started
    app.processEvents()
    out: dict[str, Any] = {"seconds": round(wall, 2), "runs": {}}
    for name in names:
        plane = workspace.planes[name]
        plane.plot.viewport().removeEventFilter(counters[name])
        out["runs"][name] = {
            "settings": a if name == "A" else b,
            "frames_per_s": round((plane.frames_drawn - drawn[name]) / wall, 1),
            "paints_per_s": round(counters[name].paints / wall, 1),
            "steps_per_s": round((lab.runs[name].step - steps[name]) / wall, 1)}
    out["met"] = all(r["frames_per_s"] >= TARGET_FPS and r["paints_per_s"] >= TARGET_FPS
                     for r in out["runs"].values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--only", help=f"scenarios, comma-separated: {', '.join(SCENARIOS)}")
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(SCENARIOS)

    from latentlab.qt.main_window import MainWindow
    from latentlab.qt.workspaces.gan_dynamics import GanDynamicsWorkspace

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.resize(1400, 860)
    window.show()
    workspace = next(w for w in window.workspaces if isinstance(w, GanDynamicsWorkspace))
    window.show_workspace(workspace)
    app.processEvents()
    report: dict[str, Any] = {"target_fps": TARGET_FPS, "cores": os.cpu_count(),
                              "platform": app.platformName(), "scenarios": {}}
    try:
        for name in chosen:
            a, b = SCENARIOS[name]
            report["scenarios"][name] = measure(app, window, workspace, a, b, args.seconds)
    finally:
        window.close()
        app.processEvents()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
