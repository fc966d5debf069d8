"""Every error reaches the user as one line on stderr and the documented exit code."""
from __future__ import annotations

import functools
import os
import sys
import traceback

import typer

from ..engine.cancel import cancel
from ..engine.registry import LoadError
from ..engine.results import ResultsError
from ..engine.selection import SelectionError
from ..sources.errors import ConfigError

USAGE, INTERNAL, INTERRUPTED = 2, 3, 130


def fail_line(message: str, code: int) -> typer.Exit:
    typer.echo(f"kfdoctor: {message}", err=True)
    return typer.Exit(code)


def handle_errors(command):
    """Turn kfdoctor's errors into exit 2 (bad input) or 3 (internal), never a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            raise   # the reader of stdout left: kfdoctor.cli.main.run ends quietly
        except KeyboardInterrupt:
            cancel()
            raise fail_line("interrupted", INTERRUPTED) from None
        except (ConfigError, SelectionError, ResultsError) as error:
            raise fail_line(str(error), USAGE) from None
        except LoadError as error:
            raise fail_line(f"a plugin cannot be loaded: {error}", INTERNAL) from None
        except Exception as error:  # noqa: BLE001 - the last line of defence
            if os.environ.get("KFDOCTOR_DEBUG"):
                traceback.print_exc(file=sys.stderr)
            raise fail_line(f"internal error: {type(error).__name__}: {error} (set KFDOCTOR_DEBUG=1 "
                            "for the traceback)", INTERNAL) from None
    return wrapper
