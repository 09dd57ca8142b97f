"""The trust boundary: start a sandboxed worker, talk to it over the wire, bound it.

Knows nothing of rubrics, courses or grades. May import the standard library,
numpy, psutil, ``autograder.errors`` and itself, nothing else of ``autograder``.
``worker/`` is the untrusted side; everything else here is the grader's side.
"""
