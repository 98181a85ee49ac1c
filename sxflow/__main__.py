"""``python -m sxflow``: the same as the ``sxflow`` command."""

import sys

from .cli import main

sys.exit(main())
