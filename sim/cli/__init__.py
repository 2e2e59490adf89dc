"""The ``hallsim`` command line: one module per command family, thin wrappers
that parse options, call into the packages below and hand results to
:mod:`sim.reports` for tables, JSON and HTML."""

from sim.cli.main import app, main

__all__ = ["app", "main"]
