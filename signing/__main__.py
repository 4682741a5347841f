"""``python -m signing``: see ``signing.cli``."""

import sys

from signing.cli import main

sys.exit(main())
