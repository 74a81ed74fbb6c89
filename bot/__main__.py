"""`python -m bot` runs the same CLI as the `report-bot` console script."""

import sys

from bot.cli import main

sys.exit(main())
