"""``python -m analysis`` is the same as the ``takedowns`` command."""

from analysis.cli import main

raise SystemExit(main())
