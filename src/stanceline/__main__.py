"""`python -m stanceline` runs the CLI."""

from stanceline.cli import main

main()
