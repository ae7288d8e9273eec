"""How a notification leaves the building: a work-chat robot, or an SMS gateway.

The desk's notices go to the group robot of the centre's work chat, in the
robot's own message format:

- WeCom (企业微信 group robot): POST ``{"msgtype": "markdown", "markdown":
  {"content": …}}`` (content at most 4,096 bytes);
- DingTalk (钉钉 custom robot): POST ``{"msgtype": "markdown", "markdown":
  {"title": …, "text": …}}``; with a signing secret, the URL also carries
  ``timestamp`` (ms) and ``sign``: base64 of HMAC-SHA256 over
  ``"{timestamp}\\n{secret}"`` keyed by the secret, URL-encoded.

Both answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}`` on success; any
other errcode (a wrong key, a rate limit) is a failure. Reporters (and
cadres, when configured) get an SMS through the gateway's own HTTP API,
described by a template: a URL and a body with ``{phone}`` and ``{text}``;
any 2xx answer is success. The standard library's HTTP client sends, with a
timeout; nothing here touches the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from domain.notices import robot_markdown

TIMEOUT_S = 10.0
ROBOT_MAX_BYTES = 4000  # WeCom's limit is 4,096 bytes of markdown
SMS_MAX_CHARS = 300  # a long SMS is split by the network; keep it to a few parts
USER_AGENT = "GridCommand-notify/1"


class DeliveryError(Exception):
    """A try that did not deliver; the message says why (never the URL: it holds keys)."""


@dataclass(frozen=True)
class Transports:
    """The configured ways out (from ``settings``; empty URL: not configured)."""

    webhook_url: str = field(default="", repr=False)
    webhook_kind: str = "wecom"
    webhook_secret: str = field(default="", repr=False)
    sms_url: str = field(default="", repr=False)
    sms_method: str = "POST"
    sms_body: str = '{"phone": "{phone}", "text": "{text}"}'
    sms_cadres: bool = False
    timeout_s: float = TIMEOUT_S

    @classmethod
    def from_settings(cls, settings) -> Transports:
        return cls(
            webhook_url=settings.notify_webhook,
            webhook_kind=settings.notify_webhook_kind,
            webhook_secret=settings.notify_webhook_secret,
            sms_url=settings.sms_url,
            sms_method=settings.sms_method,
            sms_body=settings.sms_body,
            sms_cadres=settings.sms_cadres,
        )

    def transport_for(self, notification: dict) -> str | None:
        """ "webhook", "sms", or None when nothing configured can reach its recipient."""
        kind = notification["recipient_kind"]
        if kind == "desk":
            return "webhook" if self.webhook_url else None
        if kind == "reporter":
            return "sms" if self.sms_url else None
        has_phone = bool(notification["payload"].get("phone"))
        return "sms" if self.sms_url and self.sms_cadres and has_phone else None

    def send(self, transport: str, notification: dict) -> None:
        """Send by ``transport``; raises ``DeliveryError`` when it did not arrive."""
        payload = notification["payload"]
        if transport == "webhook":
            self.send_robot(payload)
        elif transport == "sms":
            phone = (
                notification["recipient"]
                if notification["recipient_kind"] == "reporter"
                else payload["phone"]
            )
            self.send_sms(phone, payload["text_zh"])
        else:
            raise DeliveryError(f"no transport {transport!r}")

    # ----------------------------------------------------------- the robots

    def send_robot(self, payload: dict, *, timestamp_ms: int | None = None) -> None:
        title, text = robot_markdown(payload)
        text = _clip_bytes(text, ROBOT_MAX_BYTES)
        if self.webhook_kind == "dingtalk":
            body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
            url = self.webhook_url
            if self.webhook_secret:
                stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
                url = dingtalk_signed_url(url, self.webhook_secret, stamp)
        else:
            body = {"msgtype": "markdown", "markdown": {"content": text}}
            url = self.webhook_url
        status, answer = _request(
            url,
            "POST",
            json.dumps(body, ensure_ascii=False).encode("utf-8"),
            "application/json; charset=utf-8",
            self.timeout_s,
        )
        try:
            reply = json.loads(answer.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise DeliveryError(f"the robot answered HTTP {status} without JSON") from None
        code = reply.get("errcode") if isinstance(reply, dict) else None
        if code != 0:
            message = str(reply.get("errmsg", "")) if isinstance(reply, dict) else ""
            raise DeliveryError(f"the robot answered errcode {code}: {message[:200]}")

    # -------------------------------------------------------------- the SMS

    def send_sms(self, phone: str, text: str) -> None:
        text = text[:SMS_MAX_CHARS]
        url = _fill(self.sms_url, phone, text, urllib.parse.quote)
        body = None
        content_type = None
        if self.sms_method != "GET":
            template = self.sms_body
            if template.lstrip().startswith(("{", "[")):
                body = _fill(template, phone, text, _json_inside)
                content_type = "application/json; charset=utf-8"
            else:
                body = _fill(template, phone, text, urllib.parse.quote_plus)
                content_type = "application/x-www-form-urlencoded; charset=utf-8"
        _request(
            url,
            self.sms_method,
            body.encode("utf-8") if body is not None else None,
            content_type,
            self.timeout_s,
        )


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """``url`` with DingTalk's ``timestamp`` and ``sign`` query parameters."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def _json_inside(value: str) -> str:
    """``value`` escaped to sit between the quotes of a JSON string."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _fill(template: str, phone: str, text: str, escape) -> str:
    # Plain replacement, not str.format: a JSON template is full of braces.
    return template.replace("{phone}", escape(phone)).replace("{text}", escape(text))


def _clip_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def _request(
    url: str, method: str, body: bytes | None, content_type: str | None, timeout: float
) -> tuple[int, bytes]:
    """Send one request; the status and up to 64 kB of the answer, or
    ``DeliveryError`` for anything but a 2xx answer."""
    headers = {"User-Agent": USER_AGENT}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(65536)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise DeliveryError(f"cannot reach the server: {error.reason}") from None
    except (TimeoutError, OSError) as error:
        raise DeliveryError(f"network error: {error.__class__.__name__} {error}") from None
