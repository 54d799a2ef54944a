"""Every ``xp.<name>`` that tinynet uses exists in cupy's namespace.

On numpy (and on the stand-in, which forwards to numpy) a name that cupy lacks would go
unnoticed until someone runs on a GPU. cupy imports without a GPU, so this is checked
on every CI run: ``tasks.py test`` installs the cupy wheel named in the ``gpu`` extra
into a folder of its own (it is large, and only this test needs it) and runs this file
with ``TINYNET_CUPY_API_DIR`` set to that folder; the test then *requires* cupy.
With ``TINYNET_BACKEND=cupy`` (``benchmarks/gpu_check.py``) cupy is required too;
otherwise the test uses an installed cupy, or is skipped.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def xp_names() -> dict[str, list[str]]:
    """``{"where": ["tinynet/ops/x.py:12", ...], "add.at": [...]}`` for every ``xp.<name>``."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tinynet").rglob("*.py")):
        if path.name == "_standin.py":
            continue  # the stand-in defines its namespace, it does not use cupy's
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            base = node.value if isinstance(node, ast.Attribute) else None
            if (isinstance(base, ast.Name) and base.id == "xp") or (
                isinstance(base, ast.Attribute) and base.attr == "xp"  # tinynet.backend.xp.name
            ):
                name = node.attr
                parent = parents.get(node)
                if isinstance(parent, ast.Attribute):  # xp.add.at
                    name += "." + parent.attr
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(name, []).append(where)
    return found


def _cupy():
    folder = os.environ.get("TINYNET_CUPY_API_DIR")
    if folder:
        if folder not in sys.path:
            sys.path.append(folder)  # after site-packages: the environment's numpy stays
        import cupy  # type: ignore[import-not-found]  # required: an ImportError fails

        return cupy
    if os.environ.get("TINYNET_BACKEND") == "cupy":  # a GPU run: cupy is required
        import cupy  # type: ignore[import-not-found]

        return cupy
    return pytest.importorskip(
        "cupy", reason="cupy not installed; tasks.py test runs this with TINYNET_CUPY_API_DIR"
    )


def test_the_scan_finds_the_names_tinynet_uses() -> None:
    names = xp_names()
    for expected in ("where", "exp", "concatenate", "zeros", "ndarray", "add.at"):
        assert expected in names, expected
    assert len(names) > 40


def test_every_xp_name_tinynet_uses_exists_in_cupy() -> None:
    cupy = _cupy()
    missing = []
    for name, places in sorted(xp_names().items()):
        obj = cupy
        for part in name.split("."):
            if not hasattr(obj, part):
                missing.append(f"xp.{name} (cupy {cupy.__version__} has no {part!r}; used at "
                               f"{', '.join(places[:3])})")
                break
            obj = getattr(obj, part)
    assert not missing, "names tinynet uses that cupy lacks:\n" + "\n".join(missing)
