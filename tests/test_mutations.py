"""Every mutation of sidebyside/mutations.py (plausible one-line bugs in the ports, at least
three per program) makes its program's side-by-side comparison fail. Slow: the whole table
takes about 3 minutes (CI runs it); docs/side-by-side.md shows its output."""
import math

import pytest

from sidebyside._child import available
from sidebyside.mutations import MUTATIONS, Mutation, try_mutation

pytestmark = pytest.mark.usefixtures("one_pytorch_process")  # conftest.py


def test_every_program_has_at_least_three_mutations():
    for program in [f"S{i}" for i in range(1, 10)]:
        assert sum(m.program == program for m in MUTATIONS) >= 3, program


@pytest.mark.slow
@pytest.mark.parametrize("mutation", MUTATIONS,
                         ids=[f"{m.program}: {m.name}" for m in MUTATIONS])
def test_the_comparison_notices(mutation):
    if mutation.program in ("S2", "S4", "S5") and not available("torch"):
        pytest.skip("PyTorch is not installed (the optional extra .[originals])")
    if mutation.program in ("S3", "S9") and not available("tf_keras"):
        pytest.skip("tf-keras is not installed (the optional extra .[originals])")
    outcome = try_mutation(mutation)
    assert outcome.noticed, outcome.detected_by
    assert outcome.detected_by.startswith("error:") or outcome.ratio > 1


@pytest.mark.slow
def test_an_unchanged_port_is_not_reported_as_a_mutation():
    """The check itself can fail: the port as it is agrees (S4, the quickest)."""
    outcome = try_mutation(Mutation("S4", "nothing changed"))
    assert not outcome.noticed and outcome.detected_by == "nothing"
    assert outcome.ratio <= 1 and not math.isnan(outcome.ratio)
