"""Tests of chainrule.nn: layers, modules, losses, init and whole networks."""
