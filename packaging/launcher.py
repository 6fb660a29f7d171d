"""Entry script of the frozen app: the same front door as the ``latentlab`` command."""

import sys

from latentlab.cli import main

if __name__ == "__main__":
    sys.exit(main())
