#!/usr/bin/env python
"""Django's command-line utility for traceobject."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "traceobject.settings")
    from django.core.management import execute_from_command_line

    from traceobject.env import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        # A misconfigured deployment gets one line that names the variable, not a traceback.
        sys.exit(f"traceobject: {exc}")


if __name__ == "__main__":
    main()
