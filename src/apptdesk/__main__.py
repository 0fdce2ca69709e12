"""``python -m apptdesk`` and the ``apptdesk`` command: the desktop application."""

from __future__ import annotations

import sys


def main() -> int:
    from apptdesk.app import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
