"""The one exception type of the dataset layer."""


class DatasetError(ValueError):
    """A dataset file is missing, corrupt or of the wrong kind, or no source could provide it.

    The message always names the file or folder concerned and what is wrong with it, and, where
    the data could not be found at all, every place that was tried and how to get the data.
    It subclasses :class:`ValueError` because a bad file is bad input, not a bug.
    """
