"""Page script: the latent-space explorer (the default page)."""

from pathlib import Path

from aeexplorer.ui.page import main

main(Path(__file__).resolve().parents[3])
