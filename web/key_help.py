"""What a caller who sent no credentials is told: where this request's key or
session goes, in English and Chinese (``web.guard`` answers 401 with it)."""

from __future__ import annotations

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # requests that change nothing


def where_the_key_goes(method: str, path: str) -> tuple[str, str]:
    """What a caller without a key is told, in English and Chinese: where
    this request's key goes (as ``_caller`` reads it), or to sign in."""
    if path.startswith("/api/v1/field/") and path != "/api/v1/field/invites":
        return (
            "this phone is not signed in: open the one-time invite link the desk sent you",
            "本机尚未登录：请打开调度员发给您的一次性邀请链接",
        )
    if not path.startswith("/open311/"):
        return (
            "sign in, or send an API key in the X-API-Key header",
            "请先登录，或在 X-API-Key 请求头中提供 API 密钥",
        )
    if method in SAFE_METHODS:
        return (
            "send your key as the api_key query parameter (?api_key=…) or in the X-API-Key header",
            "请在查询参数 api_key 或 X-API-Key 请求头中提供 API 密钥",
        )
    return (
        "send your api_key as a field of the form-encoded body "
        "(application/x-www-form-urlencoded), or in the X-API-Key header",
        "请以表单格式（application/x-www-form-urlencoded）提交 api_key，"
        "或在 X-API-Key 请求头中提供",
    )
