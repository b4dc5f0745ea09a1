"""scripts/compare_original.py (sidebyside/compare.py): the table, compare.png, --json, the
exit codes. The side-by-side runs themselves are tested in tests/test_side_by_side_*.py."""
import json

import numpy as np
import pytest

from conftest import run_script
from gantools.run.cli import UsageError
from sidebyside import compare
from sidebyside import MissingExtra, SideBySide


def fake_result(agree=True):
    losses = np.array([[0.7, 0.69], [0.6, 0.8], [0.5, 0.9]])
    return SideBySide("S4", 3, ["d_loss", "g_loss"], losses,
                      losses + (0 if agree else 0.5), {"G/w": 0.0, "D/w": 1e-7}, 1.5, 2.5,
                      1e-5, 1e-5, "why")


def test_table_plot_and_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(compare.side_by_side, "run", lambda *a, **k: fake_result())
    out, path = tmp_path / "out", tmp_path / "s4.json"
    assert compare.main(["s4", "--steps", "3", "--out", str(out), "--json", str(path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == ["step", "port", "d_loss", "orig", "d_loss", "port",
                                  "g_loss", "orig", "g_loss"]
    assert len(printed) == 1 + 3 + 3
    assert "largest weight difference 1e-07" in printed[4] and printed[4].endswith("agree")
    assert printed[5] == "time per step: port 1.50 ms, original 2.50 ms"
    assert (out / "compare.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads(path.read_text())
    assert {"program", "steps", "max_abs_loss_delta", "max_abs_weight_delta", "port_step_ms",
            "original_step_ms"} <= set(summary)
    assert summary["program"] == "S4" and summary["max_abs_weight_delta"] == 1e-7


def test_disagreement_is_exit_3(tmp_path, monkeypatch):
    monkeypatch.setattr(compare.side_by_side, "run", lambda *a, **k: fake_result(False))
    assert compare.main(["S4", "--out", str(tmp_path)]) == 3


def test_missing_extra_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    def missing(*args, **kwargs):
        raise MissingExtra("the reference rendition needs torch; install the optional "
                           'extra: pip install -e ".[originals]"')
    monkeypatch.setattr(compare.side_by_side, "run", missing)
    assert compare.main(["S4", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        'compare_original.py: error: the reference rendition needs torch; install the '
        'optional extra: pip install -e ".[originals]"']


@pytest.mark.parametrize("flags, message", [
    (["S9", "--steps", "0"], "--steps"),
    (["S10"], "invalid choice"),
])
def test_bad_flags_are_one_line_and_exit_2(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        compare.main(flags)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err
    assert err.startswith("compare_original.py: error: ")


@pytest.mark.parametrize("flags, message", [
    (["S1", "--data-mnist", "x.npz"], "--data-mnist is for S5-S8, not S1"),
    (["S6", "--data-faces", "faces"], "--data-faces is for S2 and S3, not S6"),
])
def test_a_dataset_flag_for_another_program_is_refused(flags, message):
    with pytest.raises(UsageError, match=message):
        compare.main(flags)


@pytest.mark.slow  # 7 s (a fresh process); the comparison itself runs in test_side_by_side_tf1
def test_a_real_comparison_end_to_end(tmp_path):
    """S6 needs TensorFlow only: the whole command as a user runs it."""
    result = run_script("compare_original.py", "S6", "--steps", "20", "--json", "s6.json",
                        cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "s6.json").read_text())
    assert summary["steps"] == 20 and len(summary["port_losses"]) == 20
    assert summary["agrees"] and summary["max_abs_weight_delta"] <= 1e-5
    assert (tmp_path / "runs" / "compare_original" / "compare.png").is_file()


def test_as_posted_reaches_the_harness_and_is_named(tmp_path, monkeypatch, capsys):
    seen = {}

    def run(program, **kwargs):
        seen.update(kwargs, program=program)
        return fake_result()
    monkeypatch.setattr(compare.side_by_side, "run", run)
    assert compare.main(["S6", "--steps", "3", "--out", str(tmp_path), "--as-posted"]) == 0
    assert seen["as_posted"] is True and seen["program"] == "S6"
    assert "as posted: the post's log loss" in capsys.readouterr().out
    assert compare.main(["S4", "--steps", "3", "--out", str(tmp_path), "--as-posted"]) == 0
    assert "as posted: the default is the seed's computation" in capsys.readouterr().out
