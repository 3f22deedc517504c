"""``python -m querylang``: the command line."""

from .cli import main

raise SystemExit(main())
