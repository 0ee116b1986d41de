"""One module per `trainer` subcommand; each exposes `register(subparsers)` (see trainer/cli.py)."""
