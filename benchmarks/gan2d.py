"""2-D GAN figures, printed as JSON: VEEGAN's mode metrics on the ring of 8 and the grid of 25
Gaussians for the plain GAN, the unrolled GAN and the lab's best setting, mean ± std over seeds;
and the speed of a step and of D's heatmap.

    python benchmarks/gan2d.py [--steps 25000] [--seeds 0,1,2,3,4] [--only ring_plain,...]
                               [--samples 2500] [--threads 1] [--speed-steps 200]

Each run trains through ``Gan2dTrainer.train_step``, the code the lab's worker runs, and scores
``--samples`` generated points with ``latentlab.core.gan2d.metrics.mode_metrics``. The targets
are VEEGAN's table (Srivastava et al. 2017: unrolled GAN 7.6 modes / 35.6 % high quality on the
ring, VEEGAN 24.6 modes on the grid) and the lab's own speed budget.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

import torch

from latentlab.core.gan2d import Gan2dConfig, Gan2dTrainer
from latentlab.core.gan2d.metrics import mode_metrics

#: The runs: a name → the settings that differ from Gan2dConfig's defaults.
RUNS: dict[str, dict[str, Any]] = {
    "ring_plain": {"data": "ring", "loss": "non_saturating"},
    "ring_unrolled5": {"data": "ring", "loss": "non_saturating", "unrolled": 5},
    "ring_best": {"data": "ring", "loss": "non_saturating", "r1": 0.1, "g_average": 0.999},
    "grid_best": {"data": "grid", "loss": "non_saturating", "r1": 0.1, "g_average": 0.999},
}
TARGETS = {
    "ring_unrolled5": {"modes_captured": 7.6, "high_quality": 0.356},
    "ring_best": {"modes_captured": 8.0, "high_quality": 0.90},
    "grid_best": {"modes_captured": 24.6, "high_quality": 0.90},
    "speed": {"plain_step_ms": 5.0, "unrolled_ratio": 6.0, "d_field_100_ms": 5.0},
}


def train_and_score(settings: dict[str, Any], seed: int, steps: int,
                    samples: int) -> dict[str, Any]:
    cfg = Gan2dConfig(**settings, seed=seed)
    trainer = Gan2dTrainer(cfg)
    started = time.perf_counter()
    for _ in range(steps):
        trainer.train_step("both")
    seconds = time.perf_counter() - started
    metrics = mode_metrics(trainer.sample(samples, seed), trainer.data)
    print(f"{settings} seed {seed}: {metrics.modes_captured} modes, "
          f"{metrics.high_quality:.3f} high quality, {seconds:.0f} s", file=sys.stderr)
    return {"seed": seed, "seconds": round(seconds, 1), **metrics.to_json()}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("modes_captured", "high_quality", "reverse_kl", "kl", "js", "seconds"):
        values = [r[key] for r in runs if r[key] is not None]
        if values:
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            out[key] = {"mean": round(statistics.fmean(values), 4), "std": round(std, 4)}
    return out


def met(name: str, summary: dict[str, Any]) -> bool | None:
    target = TARGETS.get(name)
    if target is None:
        return None
    return all(summary[k]["mean"] >= v for k, v in target.items())


def time_steps(settings: dict[str, Any], steps: int) -> float:
    """Milliseconds per training step, after a warm-up."""
    trainer = Gan2dTrainer(Gan2dConfig(**settings))
    for _ in range(max(5, steps // 10)):
        trainer.train_step("both")
    started = time.perf_counter()
    for _ in range(steps):
        trainer.train_step("both")
    return (time.perf_counter() - started) / steps * 1000


def time_field(repeats: int = 50) -> float:
    """Milliseconds for D's 100×100 heatmap over the ring's extent."""
    trainer = Gan2dTrainer(Gan2dConfig())
    trainer.train_step("both")
    xlim, ylim = trainer.data.bounds
    trainer.d_field(xlim, ylim, 100)
    started = time.perf_counter()
    for _ in range(repeats):
        trainer.d_field(xlim, ylim, 100)
    return (time.perf_counter() - started) / repeats * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=25_000)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--only", help=f"runs, comma-separated: {', '.join(RUNS)}, speed")
    parser.add_argument("--samples", type=int, default=2500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--speed-steps", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    chosen = args.only.split(",") if args.only else [*RUNS, "speed"]
    report: dict[str, Any] = {"steps": args.steps, "seeds": seeds, "samples": args.samples,
                              "threads": args.threads, "runs": {}}
    for name in (n for n in chosen if n in RUNS):
        runs = [train_and_score(RUNS[name], seed, args.steps, args.samples) for seed in seeds]
        summary = summarise(runs)
        report["runs"][name] = {"settings": RUNS[name], **summary, "target": TARGETS.get(name),
                                "met": met(name, summary), "per_seed": runs}
    if "speed" in chosen:
        plain = time_steps({}, args.speed_steps)
        unrolled = time_steps({"unrolled": 5}, max(20, args.speed_steps // 5))
        speed = {"plain_step_ms": round(plain, 3), "unrolled_ratio": round(unrolled / plain, 2),
                 "unrolled5_step_ms": round(unrolled, 3), "d_field_100_ms": round(time_field(), 3)}
        target = TARGETS["speed"]
        speed["met"] = {"plain_step_ms": speed["plain_step_ms"] <= target["plain_step_ms"],
                        "unrolled_ratio": speed["unrolled_ratio"] <= target["unrolled_ratio"],
                        "d_field_100_ms": speed["d_field_100_ms"] <= target["d_field_100_ms"]}
        report["speed"] = speed
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
