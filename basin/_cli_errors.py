"""How the ``basin`` command line ends: exit codes, one-line errors, crash logs and SIGTERM.

Exit codes (documented in ``basin --help`` and ``docs/reliability.md``):

===  ============================================================================================
 0   ok
 1   the check or audit found problems (violations, failing layers) - never a crash
 2   bad input or usage: a :class:`~basin.BasinError` or a click usage error, in one line
 3   internal error (a bug): one line "internal error, please report" and the path of a log file
     holding the traceback
130  interrupted (Ctrl-C); 143 terminated (SIGTERM), with the partial files removed
===  ============================================================================================

Crash logs go to ``$XDG_STATE_HOME/basin/`` (default ``~/.local/state/basin/``; the system temporary folder
when that cannot be written), one file per crash named ``crash-<UTC time>-<pid>.log``. ``-v`` prints the
traceback on stderr as well.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from basin._errors import BasinError

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "crash_dir",
    "install_signal_handlers",
    "one_line",
    "run_cli",
]


def one_line(text: str, limit: int = 2000) -> str:
    """Return ``text`` on one line (white space, newlines included, becomes one space), cut to ``limit``.

    Parameters
    ----------
    text
        A message, possibly with parser context on several lines.
    limit
        Maximum length.

    Returns
    -------
    str
    """
    out = " ".join(str(text).split())
    return out if len(out) <= limit else out[: limit - 3] + "..."


def crash_dir() -> Path:
    """Return the folder of crash logs: ``$XDG_STATE_HOME/basin`` (default ``~/.local/state/basin``).

    Returns
    -------
    pathlib.Path
        The folder (not created).
    """
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "basin"


def _write_crash_log(exc: BaseException, argv: list[str]) -> Path | None:
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"crash-{stamp}-{os.getpid()}.log"
    from basin import __version__

    body = (
        f"basin {__version__} internal error\n"
        f"command: basin {' '.join(argv)}\n"
        f"python {platform.python_version()} on {platform.platform()}\n\n"
        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    )
    for folder in (crash_dir(), Path(tempfile.gettempdir()) / "basin"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(body, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _echo_error(text: str) -> None:
    click.secho(text, fg="red", err=True)


def _internal(exc: BaseException, argv: list[str], verbose: int) -> NoReturn:
    log = _write_crash_log(exc, argv)
    if verbose:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    where = f"; the traceback is in {log}" if log else ""
    _echo_error(
        one_line(
            f"internal error, please report: {type(exc).__name__}: {one_line(str(exc), 200)}{where}"
        )
    )
    sys.exit(EXIT_INTERNAL)


def run_cli(invoke: Callable[[], Any], *, argv: list[str], verbose: Callable[[], int]) -> NoReturn:
    """Run a click command in non-standalone mode and end the process with basin's exit codes.

    Parameters
    ----------
    invoke
        Calls the command's ``main`` with ``standalone_mode=False`` and returns its result.
    argv
        The command-line arguments (for the crash log).
    verbose
        Returns the ``-v`` count once the options are parsed (tracebacks on stderr when > 0).

    Raises
    ------
    SystemExit
        Always, with the exit code (see the module docs).
    """
    try:
        rv = invoke()
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            sys.exit(code or 0)
        _echo_error(one_line(f"error: {code}"))  # sys.exit("text") in a command
        sys.exit(EXIT_BAD_INPUT)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:  # a group called without a subcommand
        click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
        sys.exit(EXIT_OK)
    except click.UsageError as exc:
        cmd = exc.ctx.command_path if exc.ctx is not None else "basin"
        _echo_error(one_line(f"error: {exc.format_message()} (see '{cmd} --help')"))
        sys.exit(EXIT_BAD_INPUT)
    except click.ClickException as exc:  # e.g. click.FileError
        _echo_error(one_line(f"error: {exc.format_message()}"))
        sys.exit(EXIT_BAD_INPUT)
    except Terminated:
        _echo_error("terminated (SIGTERM); partial files removed")
        sys.exit(EXIT_TERMINATED)
    except click.Abort:
        _echo_error("aborted")
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        _echo_error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except BasinError as exc:
        if verbose():
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        _echo_error(one_line(f"error: {exc}"))
        sys.exit(EXIT_BAD_INPUT)
    except MemoryError as exc:
        _internal(exc, argv, verbose())
    except Exception as exc:  # noqa: BLE001 - every other exception is a bug of basin: exit 3 with a log
        _internal(exc, argv, verbose())
    sys.exit(rv if isinstance(rv, int) and not isinstance(rv, bool) else EXIT_OK)


class Terminated(BaseException):  # noqa: N818 - named after the signal, like KeyboardInterrupt
    """Raised in the main thread on SIGTERM, so that ``finally`` blocks remove partial files."""


def _on_sigterm(signum: int, frame: Any) -> None:
    from basin.io.atomic import remove_active_partials

    remove_active_partials()
    raise Terminated


def install_signal_handlers() -> None:
    """On SIGTERM remove the partial (``.part``) files being written and end with exit code 143.

    Only installs in the main thread (Python delivers signals there); a no-op elsewhere.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGTERM, _on_sigterm)
