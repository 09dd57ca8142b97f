"""Sandboxed autograder for a Keras course taught in Korean."""

__version__ = "0.1.0"
