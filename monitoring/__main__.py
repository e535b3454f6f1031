"""Entry point of ``python -m monitoring``."""

import sys

from monitoring.cli.main import main

sys.exit(main())
