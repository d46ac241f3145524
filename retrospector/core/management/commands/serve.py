import argparse
import errno
import multiprocessing
import os
import socket

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port number from 1 to 65535 (--port or PORT), not {text!r}")
    return port


def positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"a whole number from 1 up, not {text!r}")
    return number


def listen_error(host: str, port: int) -> OSError | None:
    """Why the server could not listen on host:port, or None if it can: found by listening there the way gunicorn
    will (an IPv6 socket for an IPv6 address, given without brackets; SO_REUSEADDR), then letting go."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            probe.listen(1)
    except OSError as exc:  # socket.gaierror too: a host name that does not resolve
        return exc
    return None


def listen_problem(host: str, port: int) -> str | None:
    """One line saying why host:port cannot be served on and how to pick another, or None when it can."""
    error = listen_error(host, port)
    if error is None:
        return None
    free = next((p for p in range(port + 1, min(port + 100, 65535) + 1) if listen_error(host, p) is None), None)
    pick = (
        f"Pick another port: `retrospector serve --port {free}` or `make run PORT={free}` ({free} is free)."
        if free
        else "Pick another port with `retrospector serve --port N` or `make run PORT=N`."
    )
    if error.errno == errno.EADDRINUSE:
        return f"Port {port} on {host} is already in use (another server is listening there). {pick}"
    if error.errno == errno.EACCES:
        return f"Not allowed to listen on port {port} on {host} (ports below 1024 need privileges). {pick}"
    if isinstance(error, socket.gaierror):
        return f"Cannot listen on {host}: no such host ({error.strerror or error}). Pick another with `--host H`."
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"Cannot listen on {host}: not an address of this machine ({error.strerror or error}). "
            "Use 127.0.0.1, or 0.0.0.0 for every interface: `retrospector serve --host H` or `make run HOST=H`."
        )
    return f"Cannot listen on {host}:{port}: {error.strerror or error}."


class Command(BaseCommand):
    help = "Serve Retrospector with gunicorn (static files through whitenoise)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        # String defaults go through `type` like typed values, so a wrong PORT is refused as clearly as --port.
        parser.add_argument("--port", type=port_number, default=os.environ.get("PORT", "8000"))
        parser.add_argument(
            "--workers",
            type=positive,
            default=os.environ.get("WEB_CONCURRENCY") or None,
            help="Worker processes (default: 2 x cores + 1, at most 8).",
        )
        parser.add_argument("--threads", type=positive, default=os.environ.get("WEB_THREADS", "2"))
        parser.add_argument(
            "--check-port",
            action="store_true",
            help="Only check that HOST:PORT is free to listen on, then exit (0 if it is); `make run` does it first.",
        )

    def handle(self, *args, host, port, workers, threads, check_port, **options):
        host = host.strip("[]")
        # Before anything else: gunicorn would only find out after printing where it serves, and give up 5 s later.
        if problem := listen_problem(host, port):
            raise CommandError(problem)
        if check_port:
            return
        from gunicorn.app.base import BaseApplication

        if not settings.WHITENOISE_USE_FINDERS:
            # Before the app loads: whitenoise lists the collected files once, when its middleware starts, and would
            # answer 404 for every static file until a restart if the folder were still empty then.
            call_command("collectstatic", interactive=False, verbosity=0)
        from retrospector.wsgi import application

        workers = workers or min(8, multiprocessing.cpu_count() * 2 + 1)
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 address in brackets

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", address)
                self.cfg.set("workers", workers)
                self.cfg.set("threads", threads)
                self.cfg.set("accesslog", os.environ.get("ACCESS_LOG") or None)
                self.cfg.set("timeout", 60)
                # gunicorn's largest request line (8 KB, not its default 4 KB): a query parameter over its documented
                # length gets the API's 422 naming it, not gunicorn's bare 414.
                self.cfg.set("limit_request_line", 8190)

            def load(self):
                return application

        self.stdout.write(f"Retrospector serving on http://{address}/ ({workers} workers)")
        Server().run()
