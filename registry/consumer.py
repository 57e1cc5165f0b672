"""The job consumer's entry point: `python -m huey.bin.huey_consumer registry.consumer.huey`
(bin/serve and deploy/systemd/registry-consumer.service start it with two worker processes).

The app is built here, in the consumer's first process, before huey forks its worker
processes; it parses every print stylesheet (their fonts registered before the fork) and lays
out a made-up poster and a blank card sheet (fonts loaded before the first real document). The
workers inherit it and share its memory pages with the first process and each other: built in
each worker after the fork, the app and WeasyPrint cost some 90 MB a worker, which a
10,000-card job could not afford (issue 14: ≤ 300 MB for every process of the job).
Objects made so far are frozen out of the garbage collector's reach, so that its passes do not
write to (and so copy) the shared pages; pooled database connections are closed first, so
that no worker shares a connection with another.

huey's consumer logs only huey's own messages; the registry's (a job that failed, which
consumer ran a periodic task and which skipped it) go to the same stream in the same form."""
import gc
import logging

from registry import create_app, worker
from registry.extensions import db
from registry.pdf import load_stylesheets
from registry.pdf.cards import warm_up_card_printing
from registry.pdf.posters import warm_up_posters

_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter(
    "[%(asctime)s] %(levelname)s:%(name)s:%(process)d:%(message)s"))
_registry_log = logging.getLogger("registry")
_registry_log.addHandler(_handler)
_registry_log.setLevel(logging.INFO)


def _build_app():
    """The app every worker process uses, its printing warmed up, no connection open."""
    app = create_app()
    with app.app_context():
        load_stylesheets()
        warm_up_posters()
        warm_up_card_printing()
        db.engine.dispose()
    return app


_app = _build_app()
gc.collect()
gc.freeze()
worker.use_app_factory(lambda: _app)
huey = worker.huey
