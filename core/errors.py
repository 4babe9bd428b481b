"""The PlanningError family: errors a planner can read, in Vietnamese and English.

Plain exceptions, known to every package; `api.errors` says which HTTP status each one is.
"""

from __future__ import annotations


class PlanningError(Exception):
    """Base error; `message` is shown to the user, `detail` only logged."""

    code = "error"

    def __init__(self, message: str, message_en: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message
        self.detail = detail


class InvalidParameterError(PlanningError):
    """A query parameter is malformed or out of range."""

    code = "InvalidParameterValue"


class NotFoundError(PlanningError):
    """The collection, feature or resource does not exist."""

    code = "NotFound"


class InvalidDataError(PlanningError):
    """Uploaded data is malformed, invalid or in the wrong CRS."""

    code = "InvalidData"


class PayloadTooLargeError(PlanningError):
    """An upload exceeds the configured size."""

    code = "PayloadTooLarge"


class ServiceBusyError(PlanningError):
    """A bounded resource (the browser pool) is busy."""

    code = "ServiceUnavailable"
    retry_after = 5  # seconds, sent as Retry-After


class DatabaseUnavailableError(ServiceBusyError):
    """The database cannot be reached (stopped, restarting, failing over) or has no free connection."""

    code = "DatabaseUnavailable"
    retry_after = 5

    def __init__(self, detail: str | None = None):
        super().__init__(
            "Cơ sở dữ liệu tạm thời không truy cập được; vui lòng thử lại sau ít giây.",
            "The database cannot be reached for the moment; please try again in a few seconds.",
            detail=detail)


class QueryTimeoutError(ServiceBusyError):
    """A statement ran past the statement timeout and the server cancelled it."""

    code = "QueryTimeout"
    retry_after = 30

    def __init__(self, detail: str | None = None):
        super().__init__(
            "Yêu cầu mất quá nhiều thời gian; hãy thu hẹp khu vực hoặc khoảng thời gian.",
            "The request took too long; narrow the area or the period.", detail=detail)


class AnsweredError(PlanningError):
    """An error whose answer carries headers (WWW-Authenticate, ETag, Retry-After)."""

    def __init__(self, message: str, message_en: str | None = None, detail: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message, message_en, detail)
        self.headers = dict(headers or {})


class UnauthorizedError(AnsweredError):
    """No valid credentials: anonymous where sign-in is needed, or an expired or revoked token."""

    code = "Unauthorized"


class ForbiddenError(AnsweredError):
    """Signed in, but the role or scope does not allow it (or the CSRF token is missing)."""

    code = "Forbidden"


class ConflictError(AnsweredError):
    """The request contradicts the data's state (a plan moving backwards, an id taken)."""

    code = "Conflict"


class PreconditionFailedError(AnsweredError):
    """An `If-Match` names a version that is no longer the current one."""

    code = "PreconditionFailed"


class PreconditionRequiredError(AnsweredError):
    """A write that must name the version it changes (`If-Match`) did not."""

    code = "PreconditionRequired"


class TooManyRequestsError(AnsweredError):
    """Too many failed sign-ins from an account or an address: wait before trying again."""

    code = "TooManyRequests"
