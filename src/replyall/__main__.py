"""`python -m replyall` runs the command-line interface."""

from replyall.cli import main

main()
