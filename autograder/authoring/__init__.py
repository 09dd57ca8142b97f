"""What instructors use to build a course: templates, scaffold, validate (mutants), release, similarity.

May import ``autograder.grading``, ``autograder.engine``, ``autograder.errors``, ``autograder.files`` and itself.
"""
