"""The manual's generated parts, made at build time from the code itself, so
they cannot drift from it: the scenario and monitor-config references from
their pydantic models, the event format from the Event model, the command
reference from the typer commands' own help, and the HTTP API from the
exporter's OpenAPI document.

A page asks for a part with a marker on a line of its own,
``<!-- generated: NAME [ARGUMENT] -->``; :mod:`manualgen.hooks` (an MkDocs hook)
replaces it while building. An unknown marker fails the build."""
