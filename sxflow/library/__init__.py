"""The standard procedures, one module per area; importing this package registers them all.

All but the modules listed in ``sxflow.deferred.BUILTIN_MODULES`` (strings, vectors,
ports, hash tables, files...): each is imported when one of its names is first used.
"""

from . import registry  # noqa: F401  (the tables come first)
from . import control, equivalence, lists, numbers, system  # noqa: F401
from . import clock, environments, libraries  # noqa: F401

from . import case_lambda, parameters, records, unsupported  # noqa: F401
