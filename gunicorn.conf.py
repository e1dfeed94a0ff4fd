"""gunicorn settings read from the repository root (Procfile, scripts/start.sh, bench/).

Command-line flags still win; this file only adds what flags cannot say.
"""
import gc


def post_worker_init(worker):
    """Once the app is loaded, move everything alive into the permanent generation: the
    app's long-lived objects (models, compiled statements, schemas) are then no longer
    walked by every garbage collection a request triggers. A 1,000-record push allocates
    enough to run several; this took a fifth off its validation time
    (docs/benchmarks.md, "Push")."""
    gc.freeze()
