"""The one exception type for user-facing errors."""


class SynthrankError(Exception):
    """A user error (bad config, malformed input, missing key...).

    Its message is one line that names the file, key or line at fault; workflow steps print
    it without a traceback and exit non-zero.
    """
