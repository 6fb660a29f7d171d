"""How long each step of the built-in lecture takes to be ready, in the real window, as JSON.

    python benchmarks/lessons.py [--only 01,08]

The window (offscreen unless a display is set, 1280×720) opens each built-in lesson and goes
through its steps in order, as a teacher would; a step counts as ready when the lesson model
says so — its dataset loaded, its model trained live for the step's epochs or opened from the
lesson's checkpoint, and no map still projecting. The target (the lessons issue): every step
ready within 30 s on 2 CPU cores, and all checkpoints shipped with the lessons together at most
20 MB. Also reports the machine's cores: run it on the machine the target is for.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from devices import machine
from PySide6.QtWidgets import QApplication

from latentlab.core.files.lessonfile import load_lesson
from latentlab.lab.lessons import FAILED, READY, builtin_lessons
from latentlab.qt.app import create_application
from latentlab.qt.main_window import MainWindow

TARGET_S = 30.0
MAX_SHIPPED_MB = 20.0


def wait_ready(app: QApplication, lessons, limit_s: float = 300.0) -> str:
    start = time.perf_counter()
    while lessons.status not in (READY, FAILED) and time.perf_counter() - start < limit_s:
        app.processEvents()
        time.sleep(0.005)
    return lessons.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="lesson numbers, comma-separated (all)")
    args = parser.parse_args()
    wanted = {n.zfill(2) for n in args.only.split(",") if n}
    app = create_application()
    window = MainWindow()
    window.resize(1280, 720)
    window.show()
    lessons = window.lesson_actions.lessons
    steps = []
    for path in builtin_lessons():
        if wanted and path.name[:2] not in wanted:
            continue
        lesson = load_lesson(path)
        for index, step in enumerate(lesson.steps):
            start = time.perf_counter()
            if index:
                lessons.go(index)
            else:
                lessons.open(path)  # shows its first step
            status = wait_ready(app, lessons)
            seconds = time.perf_counter() - start
            steps.append({"lesson": path.name.removesuffix(".lesson.json"), "step": index + 1,
                          "title": step.title, "start": step.start.action,
                          "status": status, "seconds": round(seconds, 2)})
            print(json.dumps(steps[-1]), flush=True)
    window.close()
    models = builtin_lessons()[0].parent / "models"
    shipped = sum(p.stat().st_size for p in models.glob("*.safetensors")) if models.is_dir() \
        else 0
    slowest = max((s["seconds"] for s in steps), default=0.0)
    report = {
        "machine": machine(),
        "steps": len(steps),
        "all_ready": all(s["status"] == READY for s in steps),
        "slowest_s": slowest,
        "target_s": TARGET_S,
        "within_target": slowest <= TARGET_S,
        "shipped_checkpoints_mb": round(shipped / 1e6, 2),
        "shipped_target_mb": MAX_SHIPPED_MB,
        "by_step": steps,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
