"""``python -m finder.cli``: the same as the ``finder`` command."""

import sys

from finder.cli import main

sys.exit(main())
