"""Exit codes and the error type every headless command reports without a traceback."""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 2  # bad input: a scenario, a config or a command line that cannot be used


class UserError(Exception):
    """Bad input from the user; the message names what is wrong (never echoes a secret)."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
