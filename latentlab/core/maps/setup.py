"""What a map shows, as the user chooses it: a *source* — the items' inputs or the model's
codes — through a *method* with its parameters. :meth:`MapSetup.spec` turns it into the
:class:`~latentlab.core.maps.projection.ProjectionSpec` that fits it (PCA of text is LSA)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from latentlab.core.maps.methods import MENU_METHODS, METHOD_NAMES, SOURCES
from latentlab.core.maps.projection import ProjectionSpec


@dataclass(frozen=True)
class MapSetup:
    source: str = "inputs"  # "inputs" or "codes"
    method: str = "tsne"  # one of MENU_METHODS
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """e.g. "UMAP of inputs"."""
        return f"{METHOD_NAMES[self.method]} of {self.source}"

    def spec(self, text: bool) -> ProjectionSpec:
        """The projection that draws this setup; ``text``: the inputs are word vectors."""
        method = "lsa" if self.method == "pca" and self.source == "inputs" and text else (
            self.method)
        source = "codes" if self.source == "codes" else ("words" if text else "pixels")
        return ProjectionSpec(method, dict(self.params), source)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "method": self.method, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: object) -> MapSetup:
        """A setup read from a lab file; ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a map's setup must be an object")
        source, method = data.get("source"), data.get("method")
        params = data.get("params", {})
        if source not in SOURCES:
            raise ValueError(f"source {source!r} is not one of {', '.join(SOURCES)}")
        if method not in MENU_METHODS:
            raise ValueError(f"method {method!r} is not one of {', '.join(MENU_METHODS)}")
        if not isinstance(params, dict):
            raise ValueError("a map's params must be an object")
        return cls(source, method, params)
