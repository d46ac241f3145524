"""The `retrospector` command: every Django management command plus our own (serve, demo, token, worker)."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retrospector.settings")
    if len(argv) > 1 and argv[1] == "lint":
        # The write-up checker needs no database and no settings: it works right after `pip install`.
        from retrospector.checks.cli import main as lint_main

        raise SystemExit(lint_main(argv[2:]))
    from django.core.management import execute_from_command_line

    argv[0] = "retrospector"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
