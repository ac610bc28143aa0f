"""The `exchange` command: serve, migrate, create staff users, seed the demo, export, purge."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from pydantic import ValidationError

from exchange.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic settings pointing at migrations/ and the given (or configured) database."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", (database_url or get_settings().database_url).replace("%", "%%"))
    return config


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    command.upgrade(alembic_config(), args.revision)
    print(f"Database is at {args.revision}: {_redact(get_settings().database_url)}")
    return 0


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_serve(args: argparse.Namespace) -> int:
    from exchange.server import serve

    settings = get_settings()
    if args.workers > 1 and not settings.redis_url:
        print(
            "Several workers need EXCHANGE_REDIS_URL so they hear each other's events "
            "(and PostgreSQL as EXCHANGE_DATABASE_URL). See README: Running at scale.",
            file=sys.stderr,
        )
        return 2
    return serve(settings, host=args.host or settings.host, port=args.port or settings.port, workers=args.workers)


def cmd_create_user(args: argparse.Namespace) -> int:
    from exchange.accounts.models import StaffRole
    from exchange.accounts.passwords import password_problem
    from exchange.accounts.service import EmailTaken, create_user
    from exchange.db import make_engine, session_scope

    password = _read_password(args.password_stdin)
    if (problem := password_problem(password, email=args.email, name=args.name)) is not None:
        print(f"That password can't be used. {problem}", file=sys.stderr)
        return 2
    engine = make_engine(get_settings().database_url)
    try:
        with session_scope(engine) as db:
            user = create_user(db, email=args.email, name=args.name, role=StaffRole(args.role), password=password)
            print(f"Created {user.role} {user.name} <{user.email}>.")
    except EmailTaken:
        print(f"A staff account already uses {args.email}.", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat the password: "):
        print("The passwords differ.", file=sys.stderr)
        raise SystemExit(2)
    return first


def cmd_demo(args: argparse.Namespace) -> int:
    from exchange.demo import seed_demo

    settings = get_settings()
    report = seed_demo(settings)
    print(report)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from exchange.transcripts.cli import export_exchange, export_programme

    if args.programme is not None:
        if args.exchange_id is not None or not args.out or not args.out.endswith(".zip"):
            print("Give --programme ID with --out FILE.zip (and no exchange id).", file=sys.stderr)
            return 2
        return export_programme(args.programme, Path(args.out))
    if args.exchange_id is None:
        print("Give an exchange id, or --programme ID --out FILE.zip.", file=sys.stderr)
        return 2
    return export_exchange(args.exchange_id, args.format, Path(args.out) if args.out else None)


def cmd_purge(args: argparse.Namespace) -> int:
    from exchange.programmes.retention_cli import purge

    return purge(dry_run=args.dry_run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exchange",
        description="Story Exchange: run facilitated, realtime story exchanges. "
        "Settings come from EXCHANGE_* environment variables (see README.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web server", description="Run the web server with uvicorn.")
    serve.add_argument("--host", help="address to listen on (default: EXCHANGE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: EXCHANGE_PORT or 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the port (needs Redis; default 1)"
    )
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database tasks", description="Database tasks.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="TASK")
    upgrade = db_sub.add_parser(
        "upgrade",
        help="apply the migrations",
        description="Apply the Alembic migrations to EXCHANGE_DATABASE_URL (SQLite under var/ by default).",
    )
    upgrade.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    upgrade.set_defaults(func=cmd_db_upgrade)

    user = sub.add_parser(
        "create-user",
        help="create a facilitator or programme lead",
        description="Create a staff account. The password is asked for twice, or read from standard input "
        "when it is not a terminal (or with --password-stdin). It must have at least 12 characters, not be "
        "among the 10,000 most common passwords (nor one with a few digits or symbols added), not be one "
        "repeated character, pattern or run of keys, and not be made from the person's name or email.",
    )
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=["lead", "facilitator"])
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.set_defaults(func=cmd_create_user)

    demo = sub.add_parser(
        "demo",
        help="seed a demo programme and print its logins and links",
        description="Create (once) a demo lead, facilitator, programme and a story exchange with three "
        "practitioners, then print the logins and the practitioners' personal links. Safe to run again.",
    )
    demo.set_defaults(func=cmd_demo)

    export = sub.add_parser(
        "export",
        help="export a transcript, or a whole programme as a ZIP",
        description="Export one exchange's transcript (consent, off-the-record and redactions respected) "
        "to standard output or --out, or with --programme every exchange of a programme as a ZIP holding "
        "each exchange in every format plus one CSV across all of them (progress on standard error).",
    )
    export.add_argument("exchange_id", nargs="?", type=int, help="the exchange to export")
    export.add_argument("--format", choices=["md", "html", "json", "csv"], default="md", help="default: md")
    export.add_argument("--programme", type=int, metavar="ID", help="export every exchange of this programme")
    export.add_argument("--out", metavar="FILE", help="write here instead of standard output (a .zip for --programme)")
    export.set_defaults(func=cmd_export)

    purge = sub.add_parser(
        "purge",
        help="delete the stories of exchanges past their programme's retention period",
        description="Retention: for every ended exchange whose programme keeps stories for a limited number of "
        "days, and whose time is up, delete its event log (stories, reflections, cards, votes, drafts) and its "
        "practitioners (names, emails, personal links), keeping only the counts. Live, scheduled and draft "
        "exchanges are never touched; transcripts downloaded earlier are not affected. The server does the same "
        "every EXCHANGE_PURGE_INTERVAL_SECONDS (default: daily). Prints what was deleted per exchange and a total.",
    )
    purge.add_argument("--dry-run", action="store_true", help="only print what would be deleted")
    purge.set_defaults(func=cmd_purge)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationError as exc:
        print(f"Invalid settings or input:\n{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
