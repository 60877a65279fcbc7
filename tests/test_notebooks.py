"""Every notebook in notebooks/ runs top to bottom (so it never rots) and draws its figures."""

import nbformat
import pytest
from helpers import REPO
from nbclient import NotebookClient

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
#: Figures (PNG outputs) a notebook draws at least; a notebook that silently stops drawing fails.
MIN_FIGURES = {"coverage.ipynb": 4}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert [o for o in outputs if o.output_type == "error"] == []
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= MIN_FIGURES.get(path.name, 0)
