"""The `retrospector` command: every Django management command plus our own (serve, demo, token, worker)."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retrospector.settings")
    if len(argv) > 1 and argv[1] == "lint":
        # Reserved for the database-free write-up checker.
        pass
    from django.core.management import execute_from_command_line

    argv[0] = "retrospector"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
