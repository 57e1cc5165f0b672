"""The WSGI entry point: `gunicorn wsgi:app`.

Each web worker lays out one made-up poster when it starts (registry.pdf.posters.warm_up_posters),
so the first poster a clerk downloads from it costs what every later one does.
"""
from registry import create_app
from registry.pdf.posters import warm_up_posters

app = create_app()
with app.app_context():
    warm_up_posters()
