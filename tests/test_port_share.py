"""bench/port_share.py, the share of each port module that is its original's code (issue
23): what counts as a code line, as the original's verbatim, or close to one of its lines.
Pure Python: it reads source files, imports no framework."""
import importlib.util
from pathlib import Path

from gantools.run.programs import PROGRAMS

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("port_share", ROOT / "bench" / "port_share.py")
port_share = importlib.util.module_from_spec(spec)
spec.loader.exec_module(port_share)

ORIGINAL = '''"""The original."""
import torch


def train(G, D, d_optimizer):
    d_real_decision = D(preprocess(d_real_data))
    d_real_error = criterion(d_real_decision, torch.ones(1, 1) * 0.95)
    d_real_error.backward()
    d_optimizer.step()
'''

PORT = '''"""The port: a docstring
over two lines."""
import tensorflow as tf  # not the original's


def train(G, D, d_optimizer):
    # a comment is not code
    d_real_decision = D(preprocess(d_real_data))
    d_real_error = criterion(self.real, d_real_decision)
    run.log(step=epoch, loss=float(d_real_error))
    return (
    )
'''


def test_code_lines_leave_out_docstrings_comments_and_blank_lines():
    lines = port_share.code_lines(PORT)
    assert list(lines.values()) == [
        "import tensorflow as tf", "def train(G, D, d_optimizer):",
        "d_real_decision = D(preprocess(d_real_data))",
        "d_real_error = criterion(self.real, d_real_decision)",
        "run.log(step=epoch, loss=float(d_real_error))", "return (", ")"]


def test_a_line_counts_verbatim_close_or_not_at_all():
    count, verbatim, close, misses = port_share.share(PORT, [ORIGINAL])
    assert count == 7
    assert verbatim == 2  # def train(...) and the D(preprocess(...)) line, as written
    assert close == 3     # and the criterion line, translated with its names kept
    assert [line for _, line in misses] == ["import tensorflow as tf",
                                            "run.log(step=epoch, loss=float(d_real_error))",
                                            "return (", ")"]  # ')' counts for neither


def test_every_program_names_its_rendition_and_every_module_is_measured():
    for p in PROGRAMS.values():
        assert (ROOT / (p.rendition.replace(".", "/") + ".py")).is_file(), p.id
    rows = port_share.measure()
    assert list(rows) == list(PROGRAMS) + ["S6-S8 shared"]
    for name, row in rows.items():
        assert 0 < row["verbatim"] <= row["close"] <= row["code_lines"] < row["lines"], name
