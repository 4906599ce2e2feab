"""``python -m sohoa``: how ``sohoa run`` starts its children with the same interpreter."""

from sohoa.cli import main

main(prog_name="sohoa")
