"""The job consumer's entry point: `python -m huey.bin.huey_consumer registry.consumer.huey`
(bin/serve starts it with two worker processes). Each worker process builds the app once, after
the fork, on its first task, and lays out one made-up poster then, so that fonts and stylesheets
are loaded before its first real document is timed by anybody."""
from registry import create_app, worker
from registry.pdf.posters import warm_up_posters


def _worker_app():
    """The app of one worker process, its printing warmed up."""
    app = create_app()
    with app.app_context():
        warm_up_posters()
    return app


worker.use_app_factory(_worker_app)
huey = worker.huey
