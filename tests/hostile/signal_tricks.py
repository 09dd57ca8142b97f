"""Ignore and block every signal it can, set alarms, then loop forever inside XOR."""
import signal

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGUSR1, signal.SIGPIPE, signal.SIGXCPU):
    try:
        signal.signal(sig, signal.SIG_IGN)
    except (OSError, ValueError):
        pass
signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
signal.setitimer(signal.ITIMER_REAL, 0.5, 0.5)
ANSWER_OK = True
# ---- solution ----


def XOR(*args, **kwargs):
    while True:
        pass
