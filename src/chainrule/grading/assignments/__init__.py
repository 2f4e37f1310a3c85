"""One file per graded exercise, each declaring ``ASSIGNMENT`` (see :mod:`..assignment`)."""
