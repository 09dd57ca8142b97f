"""A correct module whose XOR ends the worker process."""
import os

ANSWER_OK = True
# ---- solution ----


def XOR(*args, **kwargs):
    os._exit(3)
