"""The standard procedures, one module per area; importing this package registers them all.

All but the modules listed in ``sxflow.deferred.BUILTIN_MODULES`` (strings, vectors,
ports, hash tables, files...), each imported when one of its names is first used, and
those of ``sxflow.deferred.FORM_MODULES`` (define-record-type, import), imported when
their form is first compiled.
"""

from .. import deferred
from ..compiler import SPECIAL_FORMS
from . import registry  # noqa: F401  (the tables come first)
from . import control, equivalence, lists, numbers, system  # noqa: F401
from . import clock, environments  # noqa: F401

from . import case_lambda, parameters, unsupported  # noqa: F401

# define-record-type and import: placeholders until first compiled (sxflow.deferred.FORM_MODULES).
deferred.install_form_placeholders(SPECIAL_FORMS)
