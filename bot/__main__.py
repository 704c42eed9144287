"""`python -m bot` is the same CLI as the `rapport` console script."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
