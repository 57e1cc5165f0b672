"""Command-line tools: `flask user …`, `flask commune …`, `flask seed-demo`, `flask translate …`."""
from __future__ import annotations

import getpass
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Commune, Role

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
def user_create(username, full_name, role, commune_id, venue_id, password):
    """Create an account."""
    from registry.services.users import UsernameTaken, create_user

    if commune_id is None:
        ids = db.session.scalars(select(Commune.id)).all()
        if len(ids) != 1:
            raise click.UsageError("Give --commune: there are %d communes." % len(ids))
        commune_id = ids[0]
    if role == "venue" and not venue_id:
        raise click.UsageError("A venue user needs --venue.")
    if not password:
        password = getpass.getpass("Password: ")
    if len(password) < 8:
        raise click.UsageError("The password must have at least 8 characters.")
    try:
        user = create_user(commune_id, username=username, full_name=full_name, role=role,
                           password=password, venue_id=venue_id)
    except UsernameTaken:
        raise click.UsageError(f"The username {username!r} is taken.") from None
    db.session.commit()
    click.echo(f"Created {user.username} ({user.role.value}) in commune {commune_id}.")


@commune_cli.command("create")
@click.argument("unit_code", type=int)
@click.option("--hotline", help="The commune's hotline.")
def commune_create(unit_code, hotline):
    """Create a commune from its official unit code (vietnam-provinces, 2025 scheme)."""
    from registry.phones import parse_phone
    from registry.services.communes import UnknownUnit, create_commune

    try:
        commune = create_commune(unit_code, hotline=parse_phone(hotline).e164 if hotline else None)
    except UnknownUnit:
        raise click.UsageError(f"No commune or ward has the code {unit_code}.") from None
    db.session.commit()
    click.echo(f"Created commune {commune.id}: {commune.name}, {commune.province_name}.")


@commune_cli.command("find")
@click.argument("name")
def commune_find(name):
    """Look up official unit codes by name (diacritics optional)."""
    from registry.services.communes import find_units

    for ward, province in find_units(name):
        click.echo(f"{int(ward.code):>6}  {ward.name}, {province.name}")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when a commune exists already.")
def seed_demo_command(if_empty):
    """Load the demo commune with an account of every role and ~40 venues."""
    from registry.services.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo

    if db.session.scalar(select(func.count()).select_from(Commune)):
        if if_empty:
            click.echo("Database already has data; demo not loaded.")
            return
        raise click.UsageError("The database already has a commune.")
    commune = seed_demo()
    db.session.commit()
    click.echo(f"Demo commune loaded: {commune.name}, {commune.province_name}.")
    for username, _name, role in DEMO_USERS:
        click.echo(f"  {role.value:<11} {username:<10} password: {DEMO_PASSWORD}")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@translate_cli.command("extract")
def translate_extract():
    """Extract messages, update both catalogs, fill Vietnamese from translations/fill/*.json.

    Each feature keeps its Vietnamese strings in its own fill file, so that features developed
    side by side never conflict in the .po files; the catalogs are regenerated from them.
    """
    import json

    from registry.i18n_check import fill_catalog

    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
             "-o", "translations/messages.pot", "registry")
    _pybabel("update", "-i", "translations/messages.pot", "-d", "translations",
             "--no-fuzzy-matching", "--ignore-obsolete")
    mapping: dict = {}
    for path in sorted((ROOT / "translations" / "fill").glob("*.json")):
        mapping.update(json.loads(path.read_text(encoding="utf-8")))
    for line in fill_catalog("vi", mapping):
        click.echo(f"untranslated: {line}")


@translate_cli.command("compile")
def translate_compile():
    """Compile the catalogs (.po → .mo)."""
    _pybabel("compile", "-d", "translations")


@translate_cli.command("check")
def translate_check():
    """Fail when a Vietnamese message is missing or fuzzy."""
    from registry.i18n_check import missing_translations

    problems = missing_translations("vi")
    for problem in problems:
        click.echo(problem)
    if problems:
        raise SystemExit(1)
    click.echo("vi catalog complete.")


def init_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(user_cli)
    app.cli.add_command(commune_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(seed_demo_command)
