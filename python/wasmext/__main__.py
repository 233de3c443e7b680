"""``python -m wasmext``: the command line (see :mod:`wasmext._cli`)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
