"""Shell completion: ``kfdoctor --install-completion`` for the user's shell ($SHELL).

typer detects the shell from the process tree (shellingham); kfdoctor prefers ``$SHELL`` (the
login shell, whose rc file the user keeps) when it names a shell typer supports, and falls back
to typer's detection otherwise.
"""
from __future__ import annotations

import os
from typing import Sequence

SUPPORTED = ("bash", "zsh", "fish", "powershell", "pwsh")
FLAGS = ("--install-completion", "--show-completion")


def login_shell() -> str | None:
    shell = os.path.basename(os.environ.get("SHELL", "")).lower()
    return shell if shell in SUPPORTED else None


def prefer_login_shell(argv: Sequence[str]) -> None:
    """Make typer's completion flags use $SHELL (only when one of them is on the command line)."""
    if not any(arg in FLAGS for arg in argv):
        return
    shell = login_shell()
    if shell is None:
        return
    try:
        from typer import _completion_shared as shared
        from typer import completion
    except ImportError:  # pragma: no cover - a typer without these modules: keep its detection
        return
    for module in (shared, completion):
        if hasattr(module, "_get_shell_name"):
            module._get_shell_name = lambda: shell
