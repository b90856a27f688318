"""Serve any WSGI app exactly as `scbot serve` serves the bot.

`bot.cli.serve` builds the gunicorn command line (worker class, workers,
threads, timeouts) and execs it. To give another app the very same settings,
we run `bot.cli` with the same arguments, catch that command line before it
is exec'd, swap the bot's app for ours, and exec it. If `scbot serve` changes
its settings, the apps served this way follow.

    python -m bench.serving bench.bare_app:create_wsgi_app() -- --port 3001 [--workers N --threads N]
"""
import os
import sys

BOT_TARGET = "bot.web:create_wsgi_app()"


def serve_like_scbot(target: str, serve_args: list[str]) -> None:
    """Exec gunicorn with `scbot serve <serve_args>`'s command line, serving `target` instead of the bot."""
    from bot import cli

    real_execvp = os.execvp

    def swap(file, argv):
        if BOT_TARGET not in argv:
            raise SystemExit(f"`scbot serve` no longer serves {BOT_TARGET!r}; update bench/serving.py. "
                             f"Its command line: {argv}")
        argv = [target if part == BOT_TARGET else part for part in argv]
        real_execvp(file, argv)

    os.execvp = swap
    try:
        cli.main(["serve", *serve_args])
    finally:
        os.execvp = real_execvp
    raise SystemExit("`scbot serve` returned without exec'ing gunicorn")


def gunicorn_command(serve_args: list[str]) -> list[str]:
    """The command line `scbot serve <serve_args>` would exec (for the record)."""
    from bot import cli

    seen: list[list[str]] = []
    real_execvp = os.execvp
    os.execvp = lambda file, argv: seen.append(list(argv))
    try:
        cli.main(["serve", *serve_args])
    finally:
        os.execvp = real_execvp
    return seen[0] if seen else []


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    target, rest = sys.argv[1], sys.argv[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    serve_like_scbot(target, rest)
