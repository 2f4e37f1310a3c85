"""Tests of chainrule.optim: optimisers, schedulers and their state."""
