"""``python -m posescore.cli``: the ``posescore`` program."""

from posescore.cli import run

if __name__ == "__main__":
    run()
