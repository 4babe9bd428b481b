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
