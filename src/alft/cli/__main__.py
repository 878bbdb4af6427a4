"""``python -m alft.cli``: what ``accelerate launch -m alft.cli train …`` runs on every process."""

from alft.cli import main

main()
