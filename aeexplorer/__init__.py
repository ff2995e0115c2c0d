"""aeexplorer: train, evaluate and explore 2-D autoencoders and VAEs.

Importing the package is cheap: torch and friends are imported by the submodules that need
them, so the CLI's ``--help`` and the Streamlit page start fast.
"""

__version__ = "0.1.0"
