"""One error type for everything the engine refuses, rendered later in the shape of the protocol the
client spoke. Keeping the status, the OpenAI code and the DashScope code together means a rule is
written once and both protocols report it the way their SDKs expect."""

from __future__ import annotations

from dataclasses import dataclass, field

# (DashScope native code, OpenAI-style error type, OpenAI-style error code) per HTTP status.
_CODES: dict[int, tuple[str, str, str]] = {
    400: ("InvalidParameter", "invalid_request_error", "invalid_parameter_error"),
    404: ("ModelNotFound", "invalid_request_error", "model_not_found"),
    405: ("MethodNotAllowed", "invalid_request_error", "method_not_allowed"),
    413: ("RequestTooLarge", "invalid_request_error", "request_too_large"),
    415: ("InvalidParameter", "invalid_request_error", "unsupported_media_type"),
    422: ("InvalidParameter", "invalid_request_error", "invalid_parameter_error"),
    429: ("Throttling", "limit_requests", "limit_requests"),
    500: ("InternalError", "internal_error", "internal_error"),
    503: ("ServiceUnavailable", "service_unavailable", "service_unavailable"),
}


@dataclass
class EngineError(Exception):
    """A refusal with an HTTP status and a message a person can act on.

    ``param`` names the offending field when there is one (OpenAI's ``error.param``).
    ``headers`` carries extras such as ``Retry-After`` for 429.
    """

    status: int
    message: str
    param: str | None = None
    native_code: str | None = None
    openai_code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)
        native, _type, code = _CODES.get(self.status, _CODES[400 if self.status < 500 else 500])
        self.native_code = self.native_code or native
        self.openai_code = self.openai_code or code

    @property
    def openai_type(self) -> str:
        return _CODES.get(self.status, _CODES[400 if self.status < 500 else 500])[1]

    def openai_body(self, request_id: str) -> dict[str, object]:
        """``{"error": {...}}`` as DashScope's compatible mode (and OpenAI) send it."""
        return {
            "error": {
                "message": self.message,
                "type": self.openai_type,
                "param": self.param,
                "code": self.openai_code,
            },
            "request_id": request_id,
        }

    def native_body(self, request_id: str) -> dict[str, object]:
        """``{"code","message","request_id"}`` as the native DashScope API sends it."""
        return {"code": self.native_code, "message": self.message, "request_id": request_id}


def bad_request(message: str, param: str | None = None) -> EngineError:
    return EngineError(400, message, param)


class UnfinishedJson(EngineError):
    """A generation in a JSON mode that ended as if complete but is not a JSON document: an engine fault,
    said as one (500) rather than sent as an empty or broken success."""

    def __init__(self, mode: str, text: str) -> None:
        shown = repr(text[:80]) + ("..." if len(text) > 80 else "")
        super().__init__(500, f"The local engine ended its answer in {mode} mode without a complete JSON document "
                         f"(it wrote {shown}). This is a fault of the local engine, not of the request; "
                         "please report it with the request.")
