"""`scbot`: every entry point of the bot, as subcommands."""
import argparse
import logging
import os
import re
import shutil
import sys

from bot.logs import configure_logging
from bot.settings import get_settings, id_set


def needs(mode: str, **settings: str) -> None:
    """Refuse to start, saying which settings are missing, rather than serve every request with an error."""
    missing = [name for name, value in settings.items() if not value]
    if missing:
        sys.exit(f"scbot {mode}: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set "
                 "(in the environment or .env); not starting.")


def serve(args) -> None:
    """HTTP mode under gunicorn: threaded workers, since Bolt holds each request until its ack."""
    settings = get_settings()
    needs("serve", SLACK_SIGNING_SECRET=settings.slack_signing_secret, SLACK_BOT_TOKEN=settings.slack_bot_token)
    port = args.port or int(os.environ.get("PORT", 3000))
    # Each worker sizes its listener pool to the threads it serves requests with.
    os.environ["SC_THREADS"] = str(args.threads)
    os.execvp(sys.executable, [
        sys.executable, "-m", "gunicorn", "--bind", f"{args.host}:{port}",
        "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
        "--access-logfile", "-" if args.access_log else "/dev/null",
        "--graceful-timeout", "10", "bot.web:create_wsgi_app()",
    ])


def socket(args) -> None:
    settings = get_settings()
    needs("socket", SLACK_APP_TOKEN=settings.slack_app_token, SLACK_BOT_TOKEN=settings.slack_bot_token)
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app, warm_up
    from models import clock as app_clock

    app_clock.configure(settings.sc_timezone, settings.sc_now)
    app = create_app(settings)
    warm_up()
    # As many Slack requests at once as the listener pool is sized for.
    SocketModeHandler(app, settings.slack_app_token, concurrency=settings.sc_threads).start()


def worker(args) -> None:
    from bot.worker import run

    sys.exit(run(args.queue, args.burst))


def clock(args) -> None:
    from bot.clock import run_clock, tick
    from jobs import worker_services
    from models import clock as app_clock

    services = worker_services()
    if args.run_at:
        instant = app_clock.parse_instant(args.run_at)
        keys = tick(services, instant)
        print(f"As of {instant:%a %-d %b %Y %H:%M %Z}: queued {len(keys)}." + "".join(f"\n  {k}" for k in keys))
        return
    run_clock(services)


def console(args) -> None:
    from bot.offline.console import run_console

    run_console(get_settings(), user_name=args.user)


def db(args) -> None:
    from models.migrate import upgrade

    seeded = upgrade(get_settings().effective_database_url)
    print("Database is up to date." + (f" Loaded {seeded} areas." if seeded else ""))


def areas(args) -> None:
    from models.areas import import_areas
    from models.db import get_engine, session_scope
    from models.errors import InputError

    try:
        with session_scope(get_engine(get_settings().effective_database_url)) as session:
            count = import_areas(session, args.file)
    except (InputError, OSError) as error:
        sys.exit(f"Nothing imported: {error}")
    print(f"Imported {count} areas from {args.file}.")


def regions(args) -> None:
    from models.db import get_engine, session_scope
    from models.migrate import upgrade
    from models.national_areas import import_national_areas
    from models.regions import REGIONS

    url = get_settings().effective_database_url
    upgrade(url)
    with session_scope(get_engine(url)) as session:
        report = import_national_areas(session)
    print(f"Every English authority of 2010: {report.added} added, {report.changed} changed, "
          f"{sum(report.per_region.values())} areas loaded in all.")
    for region in (*REGIONS, *sorted(set(report.per_region) - set(REGIONS))):
        print(f"  {region or '(no region)'}: {report.per_region.get(region, 0)}")


def region(args) -> None:
    from datetime import UTC, date, datetime

    from sqlalchemy import func
    from sqlmodel import select

    from bot.services import Services
    from models.errors import InputError
    from models.regions import REGIONS, set_team
    from models.tables import Area, RegionTeam

    services = Services(get_settings())
    if args.action == "set":
        try:
            target = date.fromisoformat(args.target) if args.target else None
        except ValueError:
            sys.exit(f"“{args.target}” is not a date: give it as YYYY-MM-DD, e.g. --target 2011-04-01.")
        try:
            with services.session() as session:
                name = set_team(session, args.region, args.channel, id_set(args.staff), id_set(args.managers), target,
                                by="scbot region set", at=datetime.now(UTC), environment=services.environment_team())
        except InputError as error:
            sys.exit("Nothing changed: " + re.sub(r"<#(\w+)>", r"\1", str(error)))  # a channel as typed here
        print(f"Set the {name} team; running bots use it within a minute.")
    with services.session() as session:
        areas = dict(session.exec(select(Area.region, func.count()).group_by(Area.region)).all())
        stored = set(session.exec(select(RegionTeam.region)))
    teams = services.teams()
    for name in REGIONS if args.action == "list" else [name]:
        team = teams.named(name)
        where = f"{name}: {areas.get(name, 0)} areas"
        if team is None:
            print(f"{where}; no team yet (scbot region set \"{name}\" --channel <channel id>)")
            continue
        source = " (from the environment: SC_REGION, SC_TEAM_CHANNEL ...)" if name not in stored else ""
        print(f"{where}; channel {team.channel or 'none'}; staff {', '.join(sorted(team.staff)) or 'none'}; "
              f"managers {', '.join(sorted(team.managers)) or 'none'}; target {team.target_date:%-d %b %Y}{source}")


def stats(args) -> None:
    from models.db import get_engine, session_scope
    from models.errors import InputError
    from models.statistics import import_national, import_statistics

    if not args.files:
        with session_scope(get_engine(get_settings().effective_database_url)) as session:
            for report in import_national(session):
                print(report.summary())
        return
    failed = False
    for path in args.files:
        try:
            with session_scope(get_engine(get_settings().effective_database_url)) as session:
                report = import_statistics(session, path)
        except (InputError, OSError) as error:
            print(f"Nothing imported from {path}: {error}", file=sys.stderr)
            failed = True
            continue
        print(report.summary())
        failed = failed or bool(report.problems)
    if failed:
        sys.exit(1)


def demo_data(args) -> None:
    from datetime import UTC, datetime

    from models.db import get_engine, session_scope
    from models.demo_data import build_national, set_demo_teams
    from models.errors import InputError
    from models.migrate import upgrade

    settings = get_settings()
    url = settings.effective_database_url
    upgrade(url)
    try:
        summary = build_national(get_engine(url), log_entries=args.log_entries, replace=args.replace)
    except InputError as error:
        sys.exit(str(error))
    print(f"National data set: {summary.areas} areas, {summary.conversations} conversations, "
          f"{summary.log_entries:,} log entries, {summary.actions} actions.")
    with session_scope(get_engine(url)) as session:
        given = set_demo_teams(session, keep=settings.sc_region, at=datetime.now(UTC))
    print(f"Demo teams for {len(given)} regions: {', '.join(given)} (`scbot region list` shows them); "
          f"{settings.sc_region} keeps the environment's team." if given else
          "Every region has a team already (`scbot region list` shows them).")


def run(args) -> None:
    """The main job: the console without Slack tokens; otherwise web, worker and clock under honcho."""
    settings = get_settings()
    db(args)
    if not settings.has_slack_tokens:
        print("No SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET: starting the offline console.")
        console(argparse.Namespace(user=args.user))
        return
    honcho = shutil.which("honcho") or "honcho"
    os.execvp(honcho, [honcho, "start", "-f", "Procfile", "web", "worker", "clock"])


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="scbot", description="The Single Conversation bot.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="serve Slack's HTTP requests (POST /slack/events, GET /healthz)")
    p.add_argument("--port", type=int, default=0, help="default: $PORT or 3000")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--access-log", action="store_true")
    p.set_defaults(func=serve)

    commands.add_parser("socket", help="connect to Slack in Socket Mode (needs SLACK_APP_TOKEN)").set_defaults(func=socket)

    p = commands.add_parser("worker", help="run RQ workers on the bot's queues (each in a process of its own)")
    p.add_argument("--burst", action="store_true", help="drain the queues, then exit")
    p.add_argument("--queue", choices=["slack", "documents"],
                   help="work this queue only: slack (posts, one process) or documents (a process per job)")
    p.set_defaults(func=worker)

    p = commands.add_parser("clock", help="queue reminders, digests and nudges as they fall due")
    p.add_argument("--run-at", metavar="INSTANT",
                   help="queue once what is due at INSTANT (ISO 8601, e.g. 2011-01-10T09:00) and exit")
    p.set_defaults(func=clock)

    p = commands.add_parser("console", help="try the bot offline: type /sc lines as a chosen user")
    p.add_argument("--user", default="alice", help="who you are in the console (default: alice)")
    p.set_defaults(func=console)

    p = commands.add_parser("db", help="database schema")
    p.add_argument("action", choices=["upgrade"])
    p.set_defaults(func=db)

    p = commands.add_parser("areas", help="load areas")
    area_commands = p.add_subparsers(dest="action", required=True)
    p = area_commands.add_parser("import", help="add or update areas from a CSV laid out like the shipped one")
    p.add_argument("file")
    p.set_defaults(func=areas)

    p = commands.add_parser("regions", help="the regions' areas")
    region_commands = p.add_subparsers(dest="action", required=True)
    p = region_commands.add_parser("import", help="load every English local authority of 2010 with its region")
    p.set_defaults(func=regions)

    p = commands.add_parser("region", help="a region's team: its channel, staff, managers and target date")
    team_commands = p.add_subparsers(dest="action", required=True)
    p = team_commands.add_parser("set", help="configure a region's team (replacing what was set for it)")
    p.add_argument("region", help='as ONS names it, e.g. "West Midlands"')
    p.add_argument("--channel", required=True, help="the team channel's id, e.g. C0123ABCD")
    p.add_argument("--staff", default="", help="user ids who may write without being in the channel, comma-separated")
    p.add_argument("--managers", default="", help="user ids of its managers, comma-separated")
    p.add_argument("--target", default="", metavar="YYYY-MM-DD", help="its target date (default: SC_TARGET_DATE)")
    p.set_defaults(func=region)
    team_commands.add_parser("list", help="every region's team and how many areas it has").set_defaults(func=region)

    p = commands.add_parser("stats", help="the statistics store")
    stats_commands = p.add_subparsers(dest="action", required=True)
    p = stats_commands.add_parser("import", help="load figures: the tidy long CSV or national files as published; "
                                  "with no FILE, the shipped national files (every English area, region and England, "
                                  "2008 to 2011)")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.set_defaults(func=stats)

    p = commands.add_parser("run", help="set up the database, then the console (no tokens) or web and worker")
    p.add_argument("--user", default="alice")
    p.set_defaults(func=run)

    p = commands.add_parser("demo-data", help="build a demo data set (for benchmarks)")
    p.add_argument("--national", action="store_true", required=True,
                   help="every English authority of 2010, with a made-up national history")
    p.add_argument("--log-entries", type=int, default=200_000, help="default: 200,000")
    p.add_argument("--replace", action="store_true", help="delete the conversations already there")
    p.set_defaults(func=demo_data)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
