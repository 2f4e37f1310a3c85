"""keep_mask: the same masks as comparing NumPy's float32 uniforms with p, drawn from the raw words."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import random as cr_random

PROBABILITIES = [0.0, 1e-9, 0.3, 0.5, 0.9, 1 - 2**-24, 1 - 2**-25, 1.0]  # 1 − 2⁻²⁵ is 1 in float32


def _draws(plan, masks):
    """Run a plan of (kind, size, p) draws from a fresh seed; return everything drawn and the final state."""
    cr.manual_seed(11)
    drawn = []
    for kind, size, p in plan:
        if kind == "mask":
            drawn.append(masks(size, p))
        else:  # other float32 draws, which use and refill the half-word buffer too
            drawn.append(cr_random.generator().random(size, dtype=np.float32))
    drawn.append(cr_random.generator().random(4))  # float64 draws after: the 64-bit stream lines up
    return drawn, cr.get_rng_state()


def _reference(size, p):
    return cr_random.generator().random(size, dtype=np.float32) >= np.float32(p)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["mask", "float32"]), st.integers(0, 9),
                          st.sampled_from(PROBABILITIES)), max_size=8))
def test_keep_mask_is_the_float32_comparison_and_leaves_the_generator_as_it_would(plan):
    ours, our_state = _draws(plan, cr_random.keep_mask)
    theirs, their_state = _draws(plan, _reference)
    assert our_state == their_state
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("p", [0.3, 0.7])
def test_keep_mask_on_a_large_odd_array_keeps_about_one_minus_p(p):
    ours, our_state = _draws([("float32", 1, p), ("mask", (3, 33335), p)], cr_random.keep_mask)
    theirs, their_state = _draws([("float32", 1, p), ("mask", (3, 33335), p)], _reference)
    assert our_state == their_state
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[1].shape == (3, 33335)
    assert abs(ours[1].mean() - (1 - p)) < 0.01  # 100 005 draws: the standard error is 0.0015


def test_generator_draws_on_its_own():
    """A chainrule.Generator, as torch.Generator: seeded, reproducible, and leaving the global
    generator where it was."""
    cr.manual_seed(3)
    expected_global = cr.rand(3).tolist()
    cr.manual_seed(3)
    g = cr.Generator().manual_seed(42)
    assert g.initial_seed() == 42 and cr.Generator().initial_seed() == 67280421310721
    first = (cr.randperm(10, generator=g).tolist(), cr.randn(2, generator=g).tolist(),
             cr.rand(2, generator=g).tolist(), cr.randint(0, 9, (3,), generator=g).tolist(),
             cr.zeros(3).normal_(generator=g).tolist(), cr.zeros(3).uniform_(generator=g).tolist())
    assert cr.rand(3).tolist() == expected_global  # untouched by g's draws
    g.manual_seed(42)
    again = (cr.randperm(10, generator=g).tolist(), cr.randn(2, generator=g).tolist(),
             cr.rand(2, generator=g).tolist(), cr.randint(0, 9, (3,), generator=g).tolist(),
             cr.zeros(3).normal_(generator=g).tolist(), cr.zeros(3).uniform_(generator=g).tolist())
    assert first == again
    state = g.get_state()
    a = cr.rand(4, generator=g).tolist()
    g.set_state(state)
    assert cr.rand(4, generator=g).tolist() == a
    assert sorted(first[0]) == list(range(10))
