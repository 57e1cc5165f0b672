"""The job consumer's entry point: `python -m huey.bin.huey_consumer registry.consumer.huey`
(bin/serve starts it with two worker processes). Each worker process builds the app once, after
the fork, on its first task."""
from registry import create_app, worker

worker.use_app_factory(create_app)
huey = worker.huey
