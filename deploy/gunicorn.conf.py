"""gunicorn's settings for a web server of the registry (deploy/systemd/registry-web.service).

The address comes from REGISTRY_BIND (nginx proxies to it: a private address of this machine,
or 127.0.0.1 when nginx runs here too); workers and threads from WEB_WORKERS and WEB_THREADS.
The access log goes to the journal with each request's X-Request-ID, the id nginx puts in its
own log and in the answer.
"""
import os

bind = os.environ.get("REGISTRY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "3"))
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread"
# A worker silent this long is restarted; under nginx's longest timeout (300 s, documents).
timeout = 300
graceful_timeout = 30
keepalive = 15
accesslog = "-"
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms id=%({x-request-id}i)s'
# A restarted worker replaces one that leaks, a little at a time.
max_requests = 2000
max_requests_jitter = 200
