"""The standard procedures, one module per area; importing this package registers them all."""

from . import registry  # noqa: F401  (the tables come first)
from . import control, equivalence, lists, numbers, system  # noqa: F401
from . import environments, hashtables, plaindata, storefile, storetable  # noqa: F401
from . import characters, clock, output, ports, strings, vectors  # noqa: F401
from . import binary_ports, bytevectors, complex_numbers, files, libraries  # noqa: F401

from . import case_lambda, parameters, records, unsupported  # noqa: F401
