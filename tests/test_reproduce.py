"""scripts/reproduce.py: runs, skips what has no data, resumes, writes RESULTS.md with
verdicts, portable commands and the commit."""
import dataclasses
import json

import pytest

from gantools import reproduce
from gantools.run.cli import UsageError

TINY_S1 = ["--steps", "60", "--pretrain-steps", "10", "--plot-every", "30"]


@pytest.fixture
def short_s1(monkeypatch):
    """S1 shortened (the real budgets run it at full length)."""
    s1 = reproduce.PROGRAMS["S1"]
    runs = [dataclasses.replace(r, flags=reproduce.same(TINY_S1),
                                sweep={"quick": 2} if r.sweep else {}) for r in s1.runs]
    monkeypatch.setitem(reproduce.PROGRAMS, "S1", dataclasses.replace(s1, runs=runs))


@pytest.mark.slow  # CI runs it (about 100 s); the default suite stays within 5 minutes on 2 cores
def test_results_page_and_rerun(tmp_path, short_s1, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no_keras_home"))  # no MNIST there
    out = tmp_path / "results"
    assert reproduce.main(["--only", "S1,S2,S6", "--out", str(out)]) == 0
    page = (out / "RESULTS.md").read_text()
    assert "## S1: the book's 1-D Gaussian GAN" in page
    assert "| generated mean | moves onto the data's 3 (Figure 3-14) | 3.00 (seed 4) |" in page
    assert " of 2 | " in page and "(2 to 2 of 2)" not in page  # k of n, its range
    assert "![S1/run/fig3-14.png](S1/run/fig3-14.png)" in page
    assert "gaussian-gan-tf1 --out S1/sweep --steps 60" in page and "--sweep 2" in page
    assert "--variant stable" in page and "--deterministic" in page
    assert str(tmp_path) not in page and "/work/" not in page  # portable commands
    assert "tensorflow " in page and "Device: CPU" in page and "at commit " in page
    assert "Skipped: no face images: pass --data-faces FOLDER." in page
    assert "pass --data-mnist PATH" in page
    assert json.loads((out / "S1" / "run" / "config.json").read_text())["commit"]
    assert (out / "S1" / "sweep" / "sweep.json").exists()
    assert (out / "S1" / "stable-sweep" / "sweep.json").exists()
    capsys.readouterr()
    assert reproduce.main(["--only", "S1", "--out", str(out)]) == 0  # nothing left to do
    assert "| S1 | done before |" in (out / "RESULTS.md").read_text()
    assert "gaussian-gan-tf1" not in capsys.readouterr().out


def write(path, data):
    path.mkdir(parents=True)
    name = "sweep.json" if "per_seed" in data else "metrics.json"
    (path / name).write_text(json.dumps(data))


def test_verdicts_read_the_stated_ranges(tmp_path):
    """A value inside the range is "as expected", one outside "not reached"; a sweep's
    booleans are counted (k of n) against the reference's binomial range, and a median
    may be taken over the converged seeds only."""
    rows = {r.key + (r.among or "") + r.run: r for r in reproduce.PROGRAMS["S1"].rows}
    write(tmp_path / "run", {"gen_mean": 3.1, "gen_std": 0.9})
    assert reproduce.measured(rows["gen_meanrun"], tmp_path) == \
        ("3.1", "as expected (2.5 to 3.5)")
    assert reproduce.measured(rows["gen_stdrun"], tmp_path)[1] == \
        "**not reached** (0.25 to 0.75)"
    seeds = [{"seed": s, "converged": s < 6, "gen_mean": 3.0 if s < 6 else -12.0}
             for s in range(20)]
    write(tmp_path / "sweep", {"runs": 20, "per_seed": seeds})
    assert reproduce.measured(rows["convergedsweep"], tmp_path) == \
        ("6 of 20", "as expected (2 to 10 of 20)")
    assert reproduce.measured(rows["gen_meanconvergedsweep"], tmp_path)[1].startswith(
        "as expected")  # the diverged seeds' -12 are left out of the converged median
    write(tmp_path / "stable-sweep", {"runs": 20, "per_seed": seeds})
    assert reproduce.measured(rows["convergedstable-sweep"], tmp_path) == \
        ("6 of 20", "**not reached** (18 to 20 of 20)")
    assert reproduce.rate_range((20, 20), 20) == (18, 20)


def test_unknown_program_is_one_line():
    with pytest.raises(UsageError, match="--only: unknown program S10"):
        reproduce.main(["--only", "S1,S10"])
