"""The list of tinynet's public modules, shared by the tests of the docs and the docstrings."""

from __future__ import annotations

import pkgutil

import tinynet


def public_modules() -> list[str]:
    """tinynet and every module below it whose dotted name has no part starting with ``_``."""
    names = ["tinynet"]
    for info in pkgutil.walk_packages(tinynet.__path__, "tinynet."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)
