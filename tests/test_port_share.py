"""bench/port_share.py, the share of each port module that is its original's code (issue
23): what counts as a code line, as the original's verbatim, close to one of its lines, or
translated from one.
Pure Python: it reads source files, imports no framework."""
import importlib.util
from pathlib import Path

import pytest

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
    self.map1 = nn.Linear(input_size, hidden_size)
'''

PORT = '''"""The port: a docstring
over two lines."""
import tensorflow as tf  # not the original's


def train(G, D, d_optimizer):
    # a comment is not code
    d_real_decision = D(preprocess(d_real_data))
    d_real_error = criterion(self.real, d_real_decision)
    run.log(step=epoch, loss=float(d_real_error))
    h = layers.Dense(hidden_size, activation="elu", name="map1")(x)
    h = layers.Dense(2, name="fc1")(h)
    return (
    )
'''


def test_code_lines_leave_out_docstrings_comments_and_blank_lines():
    lines = port_share.code_lines(PORT)
    assert list(lines.values()) == [
        "import tensorflow as tf", "def train(G, D, d_optimizer):",
        "d_real_decision = D(preprocess(d_real_data))",
        "d_real_error = criterion(self.real, d_real_decision)",
        "run.log(step=epoch, loss=float(d_real_error))",
        'h = layers.Dense(hidden_size, activation="elu", name="map1")(x)',
        'h = layers.Dense(2, name="fc1")(h)', "return (", ")"]


def test_a_line_counts_verbatim_close_translated_or_not_at_all():
    count, verbatim, close, translated, misses = port_share.share(PORT, [ORIGINAL])
    assert count == 9
    assert verbatim == 2    # def train(...) and the D(preprocess(...)) line, as written
    assert close == 3       # and the criterion line, translated with its names kept
    assert translated == 4  # and the Keras layer for the PyTorch module
    assert [line for _, line in misses] == [
        "import tensorflow as tf", "run.log(step=epoch, loss=float(d_real_error))",
        'h = layers.Dense(2, name="fc1")(h)',  # a Linear layer, but no word of the original
        "return (", ")"]  # ')' counts for none


def test_translated_words_ignore_case_underscores_keywords_and_framework_names():
    assert port_share.words('x = nn.ConvTranspose2d(in_channel, 0.2, "tanh", bias=False)') \
        == {"conv2dtranspose", "inchannel", "0.2", "tanh", "bias"}
    assert port_share.translates({"conv2dtranspose", "outchannel", "kernelsize", "same"},
                                 {"conv2dtranspose", "outchannel", "kernelsize", "padding"})
    assert not port_share.translates({"conv2dtranspose", "outchannel", "kernelsize", "same",
                                      "usebias"}, {"conv2dtranspose", "outchannel"})  # < half
    assert not port_share.translates({"0", "1"}, {"0", "1", "channel"})  # numbers alone
    assert not port_share.translates({"channel"}, {"channel"})  # one word is not a line


@pytest.mark.slow  # 25 s of difflib; CI runs the slow suite too
def test_modules_that_port_nothing_are_credited_far_less_than_the_ports():
    """The control: the runner and the _extras modules, measured as if they ported each
    program, are credited well under the port modules' translated shares."""
    rows, controls = port_share.measure(), port_share.control()
    for name, row in rows.items():
        port = row["translated"] / row["code_lines"]
        for other, fraction in controls[name].items():
            assert fraction < port / 1.5, (name, other, fraction, port)


def test_every_program_names_its_rendition_and_every_module_is_measured():
    for p in PROGRAMS.values():
        assert (ROOT / (p.rendition.replace(".", "/") + ".py")).is_file(), p.id
    rows = port_share.measure()
    assert list(rows) == list(PROGRAMS) + ["S6-S8 shared"]
    for name, row in rows.items():
        assert 0 < row["verbatim"] <= row["close"] <= row["translated"] <= row["code_lines"] \
            < row["lines"], name
