"""Execute every notebook in notebooks/ so that they cannot rot (nbclient, a fresh kernel each)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_path = os.environ.get("PYTHONPATH", "")
    # the kernel imports this checkout of basin
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + env_path if env_path else "")
    try:
        res = {"metadata": {"path": str(tmp_path)}}
        client = NotebookClient(nb, timeout=180, kernel_name="python3", resources=res)
        client.execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.output_type == "error"]
    assert errors == []
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "missing from font" not in streams  # Chinese rendered with the CJK font, no boxes
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images  # the charts and maps were drawn
