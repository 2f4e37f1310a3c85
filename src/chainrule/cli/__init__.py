"""The ``chainrule`` command line: a thin layer over the library.

``main`` is the click group the console script runs (``chainrule = chainrule.cli:main``);
each command lives in its own module and registers itself on it when imported here:

* :mod:`.info` -- ``models``, ``summary``
* :mod:`.train` -- ``train``
* :mod:`.evaluate` -- ``evaluate``, ``predict``
* :mod:`.data` -- ``data list``, ``data fetch``
* :mod:`.grade` -- ``grade ID PATH``, ``grade list|skeleton|solution|bundle``
* :mod:`.dropin` -- ``run-torch SCRIPT``

User mistakes (a bad option, a missing file, an impossible shape, a bad spec field) end with a
one-line ``Error: ...`` and a non-zero exit, never a traceback; click's own usage errors keep
exit code 2. Set ``CHAINRULE_DEBUG=1`` to see the traceback instead.
The library never imports this package.
"""

from ._app import main
from . import data, evaluate, info, train  # noqa: E402,F401  (each registers its commands on main)
from . import parity  # noqa: E402,F401
from . import worksheets  # noqa: E402,F401  (explain, conv, verify: exercises A1–A7)
from . import lab  # noqa: E402,F401  (lab list, lab run: exercises C2–C6)
from . import grade  # noqa: E402,F401  (grade: the autograder of section E)
from . import dropin  # noqa: E402,F401  (run-torch: a PyTorch script on this engine)

__all__ = ["main"]
