"""sys.exit() while the module is being run."""
import sys

print("leaving now")
sys.exit(0)
