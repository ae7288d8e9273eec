"""Security headers on every answer, and the Content-Security-Policy the dashboard runs under."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask


def content_security_policy(script_hashes, tile_url: str = "") -> str:
    """A policy that allows this site's own files and nothing else.

    ``script_hashes`` are the hashes of Dash's inline scripts (its renderer
    start-up and the clientside callbacks, from ``Dash.csp_hashes()``).
    MapLibre draws in web workers made from blob: URLs; React and plotly set
    inline styles, which a style-src without 'unsafe-inline' would break.
    A tile server of the centre's own (GC_TILE_URL) is the one other origin.
    """
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        tiles = f" {parts.scheme}://{parts.netloc}"
    scripts = " ".join(script_hashes)  # Dash gives them quoted: 'sha256-…'
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {scripts}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob:{tiles}",
            "font-src 'self' data:",
            f"connect-src 'self'{tiles}",
            "worker-src 'self' blob:",
            "child-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def install_headers(server: Flask, policy: str) -> None:
    """Add the security headers to every response of ``server``."""

    @server.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
