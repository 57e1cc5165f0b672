"""The job consumer's entry point: `python -m huey.bin.huey_consumer registry.consumer.huey`
(bin/serve and deploy/systemd/registry-consumer.service start it with two worker processes).
Each worker process builds the app once, after the fork, on its first task.

huey's consumer logs only huey's own messages; the registry's (a job that failed, which
consumer ran a periodic task and which skipped it) go to the same stream in the same form."""
import logging

from registry import create_app, worker

_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter(
    "[%(asctime)s] %(levelname)s:%(name)s:%(process)d:%(message)s"))
_registry_log = logging.getLogger("registry")
_registry_log.addHandler(_handler)
_registry_log.setLevel(logging.INFO)

worker.use_app_factory(create_app)
huey = worker.huey
