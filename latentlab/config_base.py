"""The building blocks of the settings (``latentlab.config``): the error that lists every
problem, the JSON round trip, the upper-bound check and the parser of width lists."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, Self


def too_large(label: str, value: float, limit: float, unit: str = "") -> list[str]:
    """A problem naming ``label`` when ``value`` exceeds ``limit`` (else none)."""
    return [f"{label}: at most {limit:,}{unit} (got {value:,})."] if value > limit else []


class ConfigError(ValueError):
    """One or more settings cannot work; ``problems`` holds one readable line per field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class JsonSettings:
    """to_dict/from_dict for the settings dataclasses: JSON-ready, unknown keys refused."""

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError([f"{cls.__name__}: unknown setting(s) {', '.join(sorted(unknown))}."])
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def parse_int_list(text: str, field_name: str) -> tuple[int, ...]:
    """Parse '256, 128' into (256, 128); raise ConfigError naming the field otherwise."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            [f"{field_name}: expected whole numbers separated by commas (got {text!r})."]
        ) from None


__all__ = ["ConfigError", "JsonSettings", "parse_int_list", "too_large"]
