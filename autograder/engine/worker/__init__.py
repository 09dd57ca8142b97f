"""The untrusted side: a process that runs one student's code and answers calls.

Nothing in this package is trusted by the grader. It is started by
``autograder.engine.sandbox`` and spoken to only through ``autograder.engine.protocol``.
"""
