import sys

from signing.cli import main

sys.exit(main())
