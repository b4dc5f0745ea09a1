"""scripts/reproduce.py: runs, skips what has no data, resumes, writes RESULTS.md."""
import dataclasses

import pytest

from gantools import reproduce
from gantools.cli import UsageError


@pytest.fixture
def short_s1(monkeypatch):
    """S1 shortened (the real quick budget runs it at full length)."""
    s1 = dataclasses.replace(reproduce.PROGRAMS["S1"], sweep={"quick": 2},
                             quick=["--steps", "60", "--pretrain-steps", "10",
                                    "--plot-every", "30"])
    monkeypatch.setitem(reproduce.PROGRAMS, "S1", s1)


@pytest.mark.slow  # CI runs it (20 s); the default suite stays within 5 minutes on 2 cores
def test_results_page_and_rerun(tmp_path, short_s1, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no_keras_home"))  # no MNIST there
    out = tmp_path / "results"
    assert reproduce.main(["--only", "S1,S2,S6", "--out", str(out)]) == 0
    page = (out / "RESULTS.md").read_text()
    assert "## S1: the book's 1-D Gaussian GAN" in page
    assert "| generated mean | moves onto the data's 3 (Figure 3-14) |" in page
    assert "mean ± sd over 2 seeds" in page and "![fig3-14.png](S1/run/fig3-14.png)" in page
    assert "--sweep 2" in page and "tensorflow " in page and "Device: CPU" in page
    assert "Skipped: no face images: pass --data-faces FOLDER." in page
    assert "pass --data-mnist PATH" in page
    assert (out / "S1" / "sweep" / "sweep.json").exists()
    capsys.readouterr()
    assert reproduce.main(["--only", "S1", "--out", str(out)]) == 0  # nothing left to do
    assert "done before, done before" in (out / "RESULTS.md").read_text()
    assert "S1: " not in capsys.readouterr().out.replace("Wrote", "")


def test_unknown_program_is_one_line():
    with pytest.raises(UsageError, match="--only: unknown program S10"):
        reproduce.main(["--only", "S1,S10"])
