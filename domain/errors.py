"""Domain errors, each mapped to one HTTP status in ``api.errors``."""


class GridCommandError(Exception):
    """Base of every error the product raises on purpose.

    The message is English (APIs, logs); ``zh`` is the same message for the
    Chinese screens, where an operator meets it.
    """

    def __init__(self, message: str = "", *, zh: str | None = None):
        super().__init__(message)
        self.zh = zh

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("zh" or "en"), English when no Chinese was given."""
        return self.zh if lang == "zh" and self.zh else str(self)


class InvalidInput(GridCommandError):
    """The request is malformed or breaks a rule (HTTP 400/422)."""


class Unprocessable(InvalidInput):
    """Well-formed but contradicts an earlier request, e.g. a reused idempotency key (422)."""


class NotFound(GridCommandError):
    """The thing asked for does not exist (HTTP 404)."""


class Unauthenticated(GridCommandError):
    """Nobody is signed in and no key was given (HTTP 401)."""


class TooManyAttempts(GridCommandError):
    """Locked out for a while after repeated failures (HTTP 429)."""


class Forbidden(GridCommandError):
    """The caller may not do this: no or a wrong key, or not their data (HTTP 403)."""


class Gone(GridCommandError):
    """It existed but is used up or expired, e.g. a one-time invite link (HTTP 410)."""


class Conflict(GridCommandError):
    """The request clashes with the current state (HTTP 409)."""


class Unavailable(GridCommandError):
    """A dependency such as the database cannot be reached (HTTP 503)."""


class SchemaMismatch(GridCommandError):
    """The database was made by another version of the schema."""
