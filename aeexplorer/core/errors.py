"""User-facing errors: the CLI and the UI show their message as one line, never a traceback."""


class AeError(Exception):
    """Base class for every error whose message is meant for the person using the tool."""


class DataNotFound(AeError):
    """The data set is not on disk (and could not be downloaded)."""


class CheckpointError(AeError):
    """A checkpoint file is missing, truncated, foreign or inconsistent."""


class ImageError(AeError):
    """An uploaded or given image cannot be read or holds no digit."""


class TrainingDiverged(AeError):
    """The training loss became NaN or infinite."""
