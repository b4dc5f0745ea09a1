"""bench/original_digits.py: S5's original (PyTorch, in processes of its own) trained on an
mnist.npz and scored by the project's classifier, per seed and epoch; `--as-written` runs the
post's F.dropout active. Skipped without the optional extra (.[originals])."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sidebyside._child import available

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # two trainings of the original and a classifier: about 1 min


@pytest.mark.skipif(not available("torch"), reason="PyTorch is not installed (.[originals])")
def test_the_original_is_trained_and_scored_per_seed_and_epoch(tmp_path, synthetic,
                                                              classifier):
    def bench(*flags):
        out = tmp_path / f"bench{len(flags)}.json"
        done = subprocess.run([sys.executable, "bench/original_digits.py", "--data",
                               str(synthetic[1]), "--seeds", "2", "--epochs", "1", "--json",
                               str(out), *flags], cwd=ROOT, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "seed 1 epoch   1:" in done.stdout
        return json.loads(out.read_text())
    as_ran, as_written = bench(), bench("--as-written")
    assert not as_ran["as_written"] and as_written["as_written"]
    for result in (as_ran, as_written):
        rows = result["rows"]
        assert [(r["seed"], r["epoch"]) for r in rows] == [(0, 1), (1, 1)]
        for row in rows:
            assert 0 <= row["digits_covered"] <= 10 and 1 <= row["inception_score"] <= 10
            assert np.isclose(sum(row["digit_shares"]), 1, atol=0.01)
    # the same seed, another program: the dropout changes what G draws (after one epoch
    # both may draw one digit only: the images' mean pixel tells them apart)
    assert as_ran["rows"][0]["mean_pixel"] != as_written["rows"][0]["mean_pixel"]
    # seeded: a second run of the same command gives the same numbers
    assert bench()["rows"] == as_ran["rows"]
