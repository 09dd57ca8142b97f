"""A correct module whose XOR never returns."""
ANSWER_OK = True
# ---- solution ----


def XOR(*args, **kwargs):
    while True:
        pass
