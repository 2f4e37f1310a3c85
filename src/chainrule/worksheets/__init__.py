"""Worksheets for the pen-and-paper exercises A1–A7, every number computed by the engine.

* :mod:`.explain` -- forward / backward / update worksheets of small dense networks (A1, A2)
* :mod:`.convarith` -- convolution arithmetic, parameter counts, convolutions by hand (A6)
* :mod:`.threshold` -- hand-designed step-activation networks and their verification (A7)
* :mod:`.activations` -- activation tables, facts and dead-unit reports (A5)
* :mod:`.matrix_form` -- matrix-form gradients of sigmoid/softmax networks beside autograd (A4)
* :mod:`.graph_sheet` -- the skip-connection graph of A3 and its two paths to x

Example networks ship as TOML files in ``examples/``.
"""
