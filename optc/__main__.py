"""`python -m optc …`: the same command line as the `optc` script."""

from optc.cli import main

raise SystemExit(main())
