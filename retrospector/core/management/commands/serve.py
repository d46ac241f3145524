import multiprocessing
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Retrospector with gunicorn (static files through whitenoise)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", 0)) or None,
            help="Worker processes (default: 2 x cores + 1, at most 8).",
        )
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 2)))

    def handle(self, *args, host, port, workers, threads, **options):
        from gunicorn.app.base import BaseApplication

        if not settings.WHITENOISE_USE_FINDERS:
            # Before the app loads: whitenoise lists the collected files once, when its middleware starts, and would
            # answer 404 for every static file until a restart if the folder were still empty then.
            call_command("collectstatic", interactive=False, verbosity=0)
        from retrospector.wsgi import application

        workers = workers or min(8, multiprocessing.cpu_count() * 2 + 1)

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("threads", threads)
                self.cfg.set("accesslog", os.environ.get("ACCESS_LOG") or None)
                self.cfg.set("timeout", 60)

            def load(self):
                return application

        self.stdout.write(f"Retrospector serving on http://{host}:{port}/ ({workers} workers)")
        Server().run()
