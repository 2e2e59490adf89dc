"""The one base class of every error a person can fix by changing what they
gave: a scenario, a rules file, an event log, an option. Its text says what
and why (the YAML path and the bad value, the file and line); the command
lines print it as ``hallsim: <what>: <why>`` and exit 2, with no traceback."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input, described for the person who gave it."""
