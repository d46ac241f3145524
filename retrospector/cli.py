"""The `retrospector` command: every Django management command plus our own (serve, demo, token, worker, devenv)."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retrospector.settings")
    if len(argv) > 1 and argv[1] == "lint":
        # The write-up checker needs no database and no settings: it works right after `pip install`.
        from retrospector.checks.cli import main as lint_main

        raise SystemExit(lint_main(argv[2:]))
    if len(argv) > 1 and argv[1] == "devenv":
        # Writes the settings a development checkout runs with, so it must work before there are any.
        from retrospector.core.envfile import devenv_main

        raise SystemExit(devenv_main(argv[2:]))
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        _ = settings.INSTALLED_APPS  # loads the settings, which check themselves
    except ImproperlyConfigured as exc:
        # A configuration mistake is the user's to fix: say what it is, in one line, without a traceback.
        print(f"retrospector: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    argv[0] = "retrospector"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
