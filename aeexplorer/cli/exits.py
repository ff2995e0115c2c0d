"""The command line's exit statuses, besides 0: a person's error (said in one ``error:`` line)
and an interruption (130, as a shell reports Ctrl-C)."""

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
