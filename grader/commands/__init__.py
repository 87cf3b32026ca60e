"""One module per ``grade`` subcommand; each offers ``add_arguments(parser)`` and ``run(args, console)``.

``grade PATH`` (no subcommand) is ``grade.py``. A user's mistake is raised as
``UsageError`` or ``SpecError`` and shown by ``grader.cli`` as one line.
"""


class UsageError(Exception):
    pass
