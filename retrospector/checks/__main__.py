"""`python -m retrospector.checks PATH...` runs `retrospector lint` without Django."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
