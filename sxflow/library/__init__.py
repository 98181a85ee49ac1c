"""The standard procedures, one module per area; importing this package registers them all.

All but a few: the modules listed in ``sxflow.deferred.BUILTIN_MODULES`` (hash tables,
files, the store's primitives...) are imported when one of their names is first used.
"""

from . import registry  # noqa: F401  (the tables come first)
from . import control, equivalence, lists, numbers, system  # noqa: F401
from . import environments  # noqa: F401
from . import characters, clock, output, ports, strings, vectors  # noqa: F401
from . import binary_ports, bytevectors, libraries  # noqa: F401

from . import case_lambda, parameters, records, unsupported  # noqa: F401
