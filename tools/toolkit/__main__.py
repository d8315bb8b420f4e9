"""``python -m`` this package: the same as the ``sfcdk`` console script."""

import sys

from tools.toolkit.cli import main

sys.exit(main())
