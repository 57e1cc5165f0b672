"""The job consumer's entry point: `python -m huey.bin.huey_consumer registry.consumer.huey`
(bin/serve and deploy/systemd/registry-consumer.service start it with two worker processes).
Each worker process builds the app once, after the fork, on its first task, and lays out one
made-up poster then, so that fonts and stylesheets are loaded before its first real document.

huey's consumer logs only huey's own messages; the registry's (a job that failed, which
consumer ran a periodic task and which skipped it) go to the same stream in the same form."""
import logging

from registry import create_app, worker
from registry.pdf.posters import warm_up_posters

_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter(
    "[%(asctime)s] %(levelname)s:%(name)s:%(process)d:%(message)s"))
_registry_log = logging.getLogger("registry")
_registry_log.addHandler(_handler)
_registry_log.setLevel(logging.INFO)


def _worker_app():
    """The app of one worker process, its printing warmed up."""
    app = create_app()
    with app.app_context():
        warm_up_posters()
    return app


worker.use_app_factory(_worker_app)
huey = worker.huey
