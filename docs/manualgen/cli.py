"""A typer application's commands as reference: for every command and
sub-command, its description, usage line and options, taken from the same
command objects that print ``--help``.

Typer builds click-style commands (its own vendored click since 0.26), so
they are used through their click interface only: ``context_class``,
``list_commands``, ``get_command``, ``get_params``, ``get_help_record``."""

from __future__ import annotations

import html
import inspect
import re
from collections.abc import Iterator
from typing import Any

import typer
from typer.main import get_command

Context = Any  # a click-style context of typer's commands


def _subcommands(ctx: Context) -> list[tuple[str, Any]]:
    """The visible sub-commands of a group, in the order of its ``--help``."""
    command = ctx.command
    if not hasattr(command, "list_commands"):
        return []
    found = [(name, command.get_command(ctx, name)) for name in command.list_commands(ctx)]
    return [(name, sub) for name, sub in found if sub is not None and not sub.hidden]


def _commands(ctx: Context) -> Iterator[Context]:
    """``ctx`` and the contexts of every visible command below it, depth first."""
    yield ctx
    for name, sub in _subcommands(ctx):
        yield from _commands(sub.context_class(sub, info_name=name, parent=ctx))


def _text(help_text: str) -> str:
    """Help text as Markdown: typer's escaped brackets as brackets, ``<x>`` kept as text."""
    return html.escape(help_text.replace("\\[", "["), quote=False).replace("|", "\\|")


def _paragraphs(help_text: str) -> str:
    return "\n\n".join(
        _text(" ".join(part.split()))
        for part in re.split(r"\n\s*\n", inspect.cleandoc(help_text))
        if part.strip() and part.strip() != "\b"
    )


def _options_table(ctx: Context) -> list[str]:
    rows = []
    for param in ctx.command.get_params(ctx):
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        rows.append(f"| `{names}` | {_text(' '.join(help_text.split()))} |")
    if not rows:
        return []
    return ["| argument or option | meaning |", "|---|---|", *rows, ""]


def reference(app: typer.Typer, program: str) -> str:
    """Every command of ``app`` (run as ``program``): what it does, ``Usage:``
    and its arguments and options, each command below the program under a heading."""
    command = get_command(app)
    root = command.context_class(command, info_name=program)
    out: list[str] = []
    for ctx in _commands(root):
        command = ctx.command
        if ctx is not root:  # the page's own heading introduces the program
            out.append(f"### `{ctx.command_path}` {{#{ctx.command_path.replace(' ', '-')}}}\n")
        if command.help:
            out.append(_paragraphs(command.help) + "\n")
        out.append(f"```\n{ctx.get_usage()}\n```\n")
        out.extend(_options_table(ctx))
        subcommands = _subcommands(ctx)
        if subcommands:
            links = ", ".join(
                f"[`{name}`](#{ctx.command_path.replace(' ', '-')}-{name})"
                for name, _ in subcommands
            )
            out.append(f"Commands: {links}.\n")
    return "\n".join(out)
