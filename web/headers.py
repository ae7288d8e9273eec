"""Security headers on every answer, and the Content-Security-Policy the dashboard runs under."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

SECURITY_HEADERS = "gridcommand.security_headers"  # server.extensions: the list every answer gets


def content_security_policy(script_hashes, tile_url: str = "") -> str:
    """A policy that allows this site's own files and nothing else.

    ``script_hashes`` are the hashes of Dash's inline scripts (its renderer
    start-up and the clientside callbacks, from ``Dash.csp_hashes()``).
    React, Leaflet and plotly set inline styles, which a style-src without
    'unsafe-inline' would break. Nothing runs in a worker (the maps are
    Leaflet on a canvas; MapLibre's blob: workers are gone with it).
    A tile server of the centre's own (GC_TILE_URL) is the one other origin.
    """
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        tiles = f" {parts.scheme}://{parts.netloc}"
    # Dash gives them quoted ('sha256-…'), one per inline script: the same
    # script twice gives the same hash twice, which the header need not repeat.
    scripts = " ".join(dict.fromkeys(script_hashes))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {scripts}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob:{tiles}",
            "font-src 'self' data:",
            f"connect-src 'self'{tiles}",
            "worker-src 'self'",
            "child-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(policy: str) -> list[tuple[str, str]]:
    """The headers every answer carries, ``policy`` being the Content-Security-Policy."""
    return [
        ("Content-Security-Policy", policy),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]


def install_headers(server: Flask, policy: str) -> None:
    """Add the security headers to every response of ``server`` (a view's own win)."""
    wanted = security_headers(policy)
    server.extensions[SECURITY_HEADERS] = wanted

    @server.after_request
    def _headers(response):
        headers = response.headers
        for name, value in wanted:
            headers.setdefault(name, value)
        return response
