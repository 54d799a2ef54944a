"""``python -m tinynet`` is the ``tinynet`` command."""

from tinynet.cli import main

raise SystemExit(main())
