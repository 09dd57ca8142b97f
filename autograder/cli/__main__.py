"""``python -m autograder.cli``: the same as the ``grade`` command."""

import sys

from autograder.cli.entry import main

sys.exit(main())
