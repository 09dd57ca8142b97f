"""Grade many submissions: the local pool or a Dask cluster, the journal that makes a batch resumable, late policy.

May import ``autograder.grading``, ``autograder.engine``, ``autograder.errors``, ``autograder.files`` and itself.
"""
