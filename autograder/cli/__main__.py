"""``python -m autograder.cli``: the same as the ``grade`` command."""

import sys

from autograder.cli.main import main

sys.exit(main())
