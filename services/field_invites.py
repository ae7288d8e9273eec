"""Invites for the field app: the link a cadre opens on their phone, and its QR code.

The desk, the administrator's page and ``python app.py field invite PHONE``
all make them here.
"""

from __future__ import annotations

import io

import segno


def invite(store, phone: str, *, actor: str, base_url: str) -> dict:
    """A one-time sign-in link for the cadre with mobile ``phone``.

    Returns {url, cadre (id, name, phone), expires_at, qr_svg}. Raises
    NotFound for a phone that is not on the roster.
    """
    token, cadre = store.create_field_invite(phone, actor=actor)
    url = f"{base_url.rstrip('/')}/field/join/{token}"
    return {
        "url": url,
        "cadre": {k: cadre[k] for k in ("id", "name", "phone")},
        "expires_at": cadre["invite_expires_at"],
        "qr_svg": qr_svg(url),
    }


def qr_svg(text: str) -> str:
    """``text`` as a QR code in SVG (error correction M, dark on white)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
    return out.getvalue().decode("utf-8")


def qr_terminal(text: str) -> str:
    """``text`` as a QR code drawn with block characters, for a terminal."""
    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()
