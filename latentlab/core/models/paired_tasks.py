"""Paired tasks for pix2pix, made on the fly from any batch of images: each image x becomes the
pair (a version of x with something taken away, x). No pairs need collecting, any dataset of
images will do, and every pair is deterministic, so held-out pairs are the same every time.

- ``edges``: the edge map of x (Sobel gradient magnitude of the grey image, normalised per image
  and thresholded) → x: drawing in the strokes from outlines.
- ``inpaint``: x with its centre box hidden (the centre half of each side, set to mid-grey 0.5:
  one fixed hole, not the random masks of Pathak et al.) → x.
- ``superres``: x averaged down by 4 (area averaging) and blown up again (nearest) → x.
- ``colour``: the grey image, in each of the 3 channels → x (RGB data only).
- ``pairs``: nothing is made: the data brings its own pairs (x, its B image ``targets``).

Images are N×C×H×W in [0, 1]; so are the inputs made from them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from latentlab.config import PAIRED_TASKS, paired_task_problem

#: The task whose pairs come with the data (``Dataset.targets``) instead of being made here.
USER_PAIRS = "pairs"
#: The grey of a colour image: ITU-R BT.601 luma weights.
LUMA = (0.299, 0.587, 0.114)
#: An edge is where the gradient magnitude reaches this share of the image's largest: low enough
#: that both sides of a 1-pixel stroke light up, high enough that antialiasing does not.
EDGE_THRESHOLD = 0.25
#: The hidden box of ``inpaint`` is filled with mid-grey: neither ink nor background.
HIDDEN_VALUE = 0.5
#: ``superres`` works at 1/SUPERRES_FACTOR of each side (28 → 7).
SUPERRES_FACTOR = 4

_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def grey(x: torch.Tensor) -> torch.Tensor:
    """N×1×H×W: the luma of RGB images, the mean of the channels otherwise."""
    if x.shape[1] == 3:
        weights = torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        return (x * weights).sum(1, keepdim=True)
    return x.mean(1, keepdim=True)


def edge_map(x: torch.Tensor) -> torch.Tensor:
    """N×1×H×W of 0 and 1: outlines, as a pen would draw them — where the grey image's Sobel
    gradient magnitude, divided by the image's largest, reaches EDGE_THRESHOLD and is a local
    maximum across the edge (Canny's non-maximum suppression: a blurred edge, as in an
    upscaled image, becomes one line rather than a band). A blank image has no edges."""
    g = grey(x)
    kernels = torch.stack([_SOBEL_X, _SOBEL_X.T]).unsqueeze(1).to(x.dtype).to(x.device)
    # Replicated borders: an image is not taken to end in a cliff at its frame.
    gradients = F.conv2d(F.pad(g, (1, 1, 1, 1), mode="replicate"), kernels)
    magnitude = gradients.pow(2).sum(1, keepdim=True).sqrt()
    peak = magnitude.flatten(1).amax(1).view(-1, 1, 1, 1)
    strong = (magnitude >= EDGE_THRESHOLD * peak) & (peak > 0)
    return (strong & _ridge(magnitude, gradients)).to(x.dtype)


#: Neighbour offsets (row, column) across an edge whose gradient points at 0°, 45°, 90°, 135°.
_ACROSS = ((0, 1), (1, 1), (1, 0), (1, -1))


def _ridge(magnitude: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
    """Where the magnitude is at least both neighbours' along the gradient's direction (rounded
    to 45°): the crest of each edge."""
    h, w = magnitude.shape[-2:]
    padded = F.pad(magnitude, (1, 1, 1, 1))
    angle = torch.atan2(gradients[:, 1:2], gradients[:, :1])  # rows grow downwards
    sector = torch.round(angle / (torch.pi / 4)).remainder(4).long()
    crest = torch.zeros_like(magnitude, dtype=torch.bool)
    for index, (dy, dx) in enumerate(_ACROSS):
        ahead = padded[..., 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        behind = padded[..., 1 - dy : 1 - dy + h, 1 - dx : 1 - dx + w]
        crest |= (sector == index) & (magnitude >= ahead) & (magnitude >= behind)
    return crest


def hidden_box(height: int, width: int) -> tuple[slice, slice]:
    """Rows and columns of ``inpaint``'s hidden box: the centre half of each side."""
    top, left = height // 4, width // 4
    return slice(top, top + height // 2), slice(left, left + width // 2)


def hide_centre(x: torch.Tensor) -> torch.Tensor:
    rows, cols = hidden_box(x.shape[2], x.shape[3])
    hidden = x.clone()
    hidden[:, :, rows, cols] = HIDDEN_VALUE
    return hidden


def low_resolution(x: torch.Tensor) -> torch.Tensor:
    """x averaged over blocks of SUPERRES_FACTOR² pixels, shown at its own size (blocky)."""
    h, w = x.shape[2:]
    small = F.interpolate(x, size=(max(1, h // SUPERRES_FACTOR), max(1, w // SUPERRES_FACTOR)),
                          mode="area")
    return F.interpolate(small, size=(h, w), mode="nearest")


def make_input(task: str, x: torch.Tensor) -> torch.Tensor:
    """The task's input for images ``x`` (as many channels as ``x``); ValueError for an unknown
    task or one these images cannot give."""
    if task not in PAIRED_TASKS:
        raise ValueError(f"Task: unknown value {task!r}; choose one of {', '.join(PAIRED_TASKS)}.")
    problem = paired_task_problem(task, x.shape[1])
    if problem is not None:
        raise ValueError(f"Task: {problem}.")
    if task == USER_PAIRS:
        raise ValueError("Task: the pairs task's inputs are the dataset's A images, not made "
                         "from its images; load the data with pairs.")
    if task == "edges":
        return edge_map(x).expand_as(x).contiguous()
    if task == "inpaint":
        return hide_centre(x)
    if task == "superres":
        return low_resolution(x)
    return grey(x).expand_as(x).contiguous()  # colour


@torch.no_grad()
def make_pair(task: str, x: torch.Tensor,
              targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(input, target) for images ``x`` in [0, 1]: the target is ``x`` itself, except for the
    user's own pairs, (x, ``targets``); the other tasks ignore ``targets``."""
    if task == USER_PAIRS and targets is not None:
        return x, targets
    return make_input(task, x), x


__all__ = ["PAIRED_TASKS", "USER_PAIRS", "edge_map", "grey", "hidden_box", "make_input",
           "make_pair"]
