"""Command-line tools: `flask user …`, `flask commune …`, `flask seed-demo`, `flask purge`,
`flask close-visits`, `flask close-days`, `flask backup` / `flask restore`, `flask translate …`.
Each command is one unit of work: it commits once when it succeeds."""
from __future__ import annotations

import getpass
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from registry.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from registry.extensions import db
from registry.i18n_check import missing_translations
from registry.models import Commune, Role
from registry.passwords import password_problem
from registry.phones import parse_phone
from registry.services import backups, jobs, retention, tallies
from registry.services.audit import record_event
from registry.services.checkout import close_open_visits
from registry.services.imports import delete_old_uploads
from registry.services.communes import UnknownUnit, create_commune, find_units
from registry.services.users import UsernameTaken, create_user
from registry.transactions import unit_of_work

ROOT = Path(__file__).resolve().parent.parent

user_cli = AppGroup("user", help="Manage accounts.")
commune_cli = AppGroup("commune", help="Manage communes.")
translate_cli = AppGroup("translate", help="Translation catalogs (vi default, en).")


@user_cli.command("create")
@click.argument("username")
@click.option("--full-name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--commune", "commune_id", type=int, help="Commune id (default: the only one).")
@click.option("--venue", "venue_id", type=int, help="Venue id, for the venue role.")
@click.option("--password", help="Password (asked for when left out).")
@unit_of_work
def user_create(username, full_name, role, commune_id, venue_id, password):
    """Create an account."""
    if commune_id is None:
        ids = db.session.scalars(select(Commune.id)).all()
        if len(ids) != 1:
            raise click.UsageError("Give --commune: there are %d communes." % len(ids))
        commune_id = ids[0]
    if role == "venue" and not venue_id:
        raise click.UsageError("A venue user needs --venue.")
    if not password:
        password = getpass.getpass("Password: ")
    problem = password_problem(password, [username, full_name])
    if problem:
        raise click.UsageError(str(problem))
    try:
        user = create_user(commune_id, username=username, full_name=full_name, role=role,
                           password=password, venue_id=venue_id)
    except UsernameTaken:
        raise click.UsageError(f"The username {username!r} is taken.") from None
    click.echo(f"Created {user.username} ({user.role.value}) in commune {commune_id}.")


@commune_cli.command("create")
@click.argument("unit_code", type=int)
@click.option("--hotline", help="The commune's hotline.")
@unit_of_work
def commune_create(unit_code, hotline):
    """Create a commune from its official unit code (vietnam-provinces, 2025 scheme)."""
    try:
        commune = create_commune(unit_code, hotline=parse_phone(hotline).e164 if hotline else None)
    except UnknownUnit:
        raise click.UsageError(f"No commune or ward has the code {unit_code}.") from None
    click.echo(f"Created commune {commune.id}: {commune.name}, {commune.province_name}.")


@commune_cli.command("find")
@click.argument("name")
def commune_find(name):
    """Look up official unit codes by name (diacritics optional)."""
    for ward, province in find_units(name):
        click.echo(f"{int(ward.code):>6}  {ward.name}, {province.name}")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when a commune exists already.")
@unit_of_work
def seed_demo_command(if_empty):
    """Load the demo commune with an account of every role and ~40 venues."""
    if db.session.scalar(select(func.count()).select_from(Commune)):
        if if_empty:
            click.echo("Database already has data; demo not loaded.")
            return
        raise click.UsageError("The database already has a commune.")
    commune = seed_demo()
    click.echo(f"Demo commune loaded: {commune.name}, {commune.province_name}.")
    for username, _name, role in DEMO_USERS:
        click.echo(f"  {role.value:<11} {username:<10} password: {DEMO_PASSWORD}")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@translate_cli.command("extract")
def translate_extract():
    """Extract the messages into messages.pot and update both catalogs from it.

    The .po catalogs are the translators' source of truth: new messages arrive untranslated,
    changed ones are marked fuzzy, and `flask translate check` fails until they are done.
    """
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_pgettext:1c,2",
             "--no-location", "--sort-output", "-o", "translations/messages.pot", "registry")
    _pybabel("update", "-i", "translations/messages.pot", "-d", "translations",
             "--ignore-obsolete", "-w", "100")
    for problem in missing_translations("vi"):
        click.echo(problem)


@translate_cli.command("compile")
def translate_compile():
    """Compile the catalogs (.po → .mo)."""
    _pybabel("compile", "-d", "translations")


@translate_cli.command("check")
def translate_check():
    """Fail when a Vietnamese message is missing or fuzzy."""
    problems = missing_translations("vi")
    for problem in problems:
        click.echo(problem)
    if problems:
        raise SystemExit(1)
    click.echo("vi catalog complete.")


@click.command("purge")
@with_appcontext
@unit_of_work
def purge_command():
    """Delete personal data past each commune's retention period (open cases excepted)."""
    for result in retention.purge_all():
        click.echo(f"commune {result.commune_id}: cutoff {result.cutoff:%Y-%m-%d %H:%M} UTC, "
                   f"{result.checkins_deleted} check-ins deleted, {result.held_kept} held, "
                   f"{result.contacts_deleted} F1 records of closed cases deleted")
    click.echo(f"{jobs.delete_old_job_files()} job folders and {delete_old_uploads()} previewed "
               "uploads past their keep period deleted")


@click.command("close-visits")
@with_appcontext
@unit_of_work
def close_visits_command():
    """Close visits still open after their venue's closing time (as the worker does)."""
    click.echo(f"{close_open_visits()} visits closed at their venue's closing time.")


@unit_of_work
def _close_tally_step(commune_id: int):
    """One step of closing days (services/tallies.close_step), committed on its own."""
    return tallies.close_step(commune_id)


@click.command("close-days")
@with_appcontext
def close_days_command():
    """Roll up every day before today into the dashboard's daily tallies (as the worker does
    every hour); a step of at most a month is committed at a time."""
    for commune_id in db.session.scalars(select(Commune.id)).all():
        while (mark := _close_tally_step(commune_id)) is not None:
            click.echo(f"commune {commune_id}: closed through {mark.isoformat()}")
    click.echo("Days closed.")


@click.command("backup")
@with_appcontext
@click.argument("target", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target):
    """Write a consistent copy of the database (safe while the site runs)."""
    if target is None:
        target = backups.default_backup_path(Path(current_app.instance_path) / "backups")
    try:
        path = backups.backup(target)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    # A backup holds every personal record: it is logged like any export.
    record_event("export", object_type="database", user=None,
                 details={"file": path.name, "bytes": path.stat().st_size})
    db.session.commit()
    click.echo(f"Backup written to {path} ({path.stat().st_size} bytes).")


@click.command("restore")
@with_appcontext
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source, yes):
    """Replace the database with a backup (stop the site first)."""
    if not yes:
        click.confirm(f"Replace every record of the database with {source}?", abort=True)
    try:
        backups.restore(source)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Database restored from {source}.")


def init_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(user_cli)
    app.cli.add_command(commune_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(close_visits_command)
    app.cli.add_command(close_days_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
