"""The ``grade`` command: click commands only, one module per command group.

Each command parses its options, makes one call into ``batch``, ``authoring``,
``exports`` or ``grading``, prints the result, and turns ``GradingError`` into
an exit code. May import every other folder; nothing imports it.
"""
