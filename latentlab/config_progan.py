"""Progressive growing's stages (Karras et al. 2018): the default ladder of resolutions for an
image side, and the checks of a stage list, used by ``ModelConfig.validate``."""

from __future__ import annotations

import itertools

#: The lowest stage the default ladder starts from: halving stops before going below it.
MIN_DEFAULT_STAGE = 4
#: The lowest stage a stage list may start from: a 1×1 image has no layout to grow.
MIN_STAGE = 2
#: Upper bound on the number of stages (2 → 4 → … → 1,024 is ten).
MAX_STAGES = 10


def default_stages(side: int) -> tuple[int, ...]:
    """The sides the default ladder grows through to ``side``: halve while the side is even
    and its half at least 4 (28: 7, 14, 28; 32: 4, 8, 16, 32; 8: 4, 8; 7: just 7)."""
    sides = [side]
    while sides[0] % 2 == 0 and sides[0] // 2 >= MIN_DEFAULT_STAGE:
        sides.insert(0, sides[0] // 2)
    return tuple(sides)


def stages_text(stages: tuple[int, ...]) -> str:
    return ", ".join(map(str, stages))


def progan_problems(stages: tuple[int, ...], architecture: str,
                    input_shape: tuple[int, ...] | None) -> list[str]:
    """Why progressive growing cannot grow ``stages`` (empty: the default ladder) with this
    ``architecture`` to images of ``input_shape`` (unknown: the list's own checks only)."""
    problems: list[str] = []
    if architecture != "conv":
        problems.append("Architecture: progressive growing builds convolutional networks "
                        "(DCGAN-style); choose DCGAN.")
    if len(stages) > MAX_STAGES:
        return [*problems, f"Stages: at most {MAX_STAGES} (got {len(stages)})."]
    if stages and stages[0] < MIN_STAGE:
        problems.append(f"Stages: {stages_text(stages)} starts at {stages[0]}×{stages[0]}; the "
                        f"first stage must be at least {MIN_STAGE}×{MIN_STAGE}.")
    elif any(b != 2 * a for a, b in itertools.pairwise(stages)):
        doubling = tuple(stages[0] << k for k in range(len(stages)))
        problems.append(f"Stages: {stages_text(stages)} must double from each stage to the "
                        f"next (e.g. {stages_text(doubling)}).")
    if input_shape is None:
        return problems
    h, w = input_shape[1:] if len(input_shape) == 3 else (0, 0)
    if h != w or h < MIN_STAGE:
        problems.append(f"Architecture: progressive growing builds square images of at least "
                        f"{MIN_STAGE}×{MIN_STAGE}; this dataset's are {h}×{w}.")
    elif stages and stages[-1] != h:
        problems.append(f"Stages: {stages_text(stages)} ends at {stages[-1]}×{stages[-1]}; the "
                        f"data's images are {h}×{w}.")
    return problems


def effective_stages(stages: tuple[int, ...], side: int) -> tuple[int, ...]:
    """The stage list a model of images of ``side`` grows through: the given one, or the
    default ladder when it is empty."""
    return stages or default_stages(side)


__all__ = ["MAX_STAGES", "default_stages", "effective_stages", "progan_problems",
           "stages_text"]
