"""``python -m`` this package: the same as the ``sfcdk`` console script."""

import sys

from serverless_fastapi_cdk.toolkit.cli import main

sys.exit(main())
