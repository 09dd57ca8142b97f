"""Grade one submission: rubric, checks, the ``submission`` proxy plugin, scoring, datasets, hints.

May import ``autograder.engine``, ``autograder.errors``, ``autograder.files`` and itself.
"""
