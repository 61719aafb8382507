"""Cataloguer's macros: the shipped examples, loading by name or path, and running them."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from shelfnet.marc.macros.engine import (
    ACTIONS,
    Macro,
    MacroError,
    MacroInfo,
    MacroResult,
    macro_from_dict,
    run_batch,
    run_macro,
)

__all__ = [
    "ACTIONS",
    "Macro",
    "MacroError",
    "MacroInfo",
    "MacroResult",
    "list_macros",
    "load_macro",
    "run_batch",
    "run_macro",
]


def _examples() -> dict[str, str]:
    folder = resources.files("shelfnet.marc.macros") / "examples"
    return {
        entry.name.removesuffix(".toml"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }


def list_macros() -> list[MacroInfo]:
    """The shipped macros, by name."""
    macros = [load_macro(name) for name in sorted(_examples())]
    return [MacroInfo(m.name, m.title, m.description) for m in macros]


def load_macro(name: str) -> Macro:
    """A shipped macro by name, or a macro file by path (anything ending in ``.toml``)."""
    if name.endswith(".toml"):
        path = Path(name)
        text, name = path.read_text(encoding="utf-8"), path.stem
    else:
        examples = _examples()
        if name not in examples:
            raise MacroError(f"no macro named {name!r}; try one of {', '.join(sorted(examples))}")
        text = examples[name]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MacroError(f"macro {name}: {exc}") from exc
    return macro_from_dict(name, data)
