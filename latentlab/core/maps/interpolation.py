"""Paths between two codes: the straight line (lerp) and the great circle (slerp).

A VAE's codes are drawn from N(0, I), whose mass lies on a shell of radius about √d: the midpoint
of a straight line between two codes falls inside that shell, where the decoder saw few codes.
Spherical interpolation walks along the shell instead (T. White, "Sampling generative networks",
2016): the direction turns at a constant rate from one code's to the other's while the length goes
linearly from one code's norm to the other's.
"""

from __future__ import annotations

import numpy as np

METHODS = ("lerp", "slerp")


def steps(n: int) -> np.ndarray:
    """``n`` ≥ 2 evenly spaced fractions from 0 to 1, both ends included."""
    if n < 2:
        raise ValueError(f"A path needs at least 2 steps, not {n}.")
    return np.linspace(0.0, 1.0, n)


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points (1 − t)·a + t·b, one row per fraction in ``t``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)[:, None]
    return ((1.0 - t) * a + t * b).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation: the direction turns along the great circle from a's to b's, the
    norm goes linearly from |a| to |b| (for equal norms, the classic slerp). The ends are a and b
    exactly; a zero code or (anti)parallel directions fall back to the straight line."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-12 or nb < 1e-12:
        return lerp(a, b, t)
    ua, ub = a / na, b / nb
    omega = float(np.arccos(np.clip(ua @ ub, -1.0, 1.0)))
    if omega < 1e-6 or np.pi - omega < 1e-6:  # no unique great circle: the straight line
        return lerp(a, b, t)
    tt = t[:, None]
    direction = (np.sin((1.0 - tt) * omega) * ua + np.sin(tt * omega) * ub) / np.sin(omega)
    out = direction * ((1.0 - tt) * na + tt * nb)
    out[t == 0.0] = a
    out[t == 1.0] = b
    return out.astype(np.float32)


def path_codes(a: np.ndarray, b: np.ndarray, n: int, method: str = "lerp") -> np.ndarray:
    """``n`` codes (n×d) from ``a`` to ``b`` along ``method`` ("lerp" or "slerp")."""
    if method not in METHODS:
        raise ValueError(f"Unknown interpolation {method!r}; known: {', '.join(METHODS)}.")
    return (lerp if method == "lerp" else slerp)(a, b, steps(n))


def forth_and_back(n: int) -> list[int]:
    """Frame order of a looping animation along a path of ``n`` frames: 0…n−1, then back to 1
    (the ends are not repeated, so the loop never pauses on them)."""
    return list(range(n)) + list(range(n - 2, 0, -1))


__all__ = ["METHODS", "forth_and_back", "lerp", "path_codes", "slerp", "steps"]
