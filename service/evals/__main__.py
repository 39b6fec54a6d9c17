"""``python -m service.evals`` is ``bulletguard eval``."""

import sys

from service.evals.cli import main

if __name__ == "__main__":
    sys.exit(main())
