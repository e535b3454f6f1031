"""Entry point of ``python -m monitoring``."""

import sys

from monitoring.cli import main

sys.exit(main())
