# Entry point of "python3 tests/integration/sipcall ARGS" (or python3 -m sipcall): the
# harness's command line. Not a library module.

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sipcall.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
