"""`python app.py field invite|revoke|sessions`: a link that signs one phone in
once, a QR code of it, a clear line for a phone not on the roster, and a
revocation that ends the phone's session."""

from __future__ import annotations

import re

from data.store import Store
from tests.test_cli import assert_one_clear_line, run_app


def test_invite_prints_a_link_that_signs_a_phone_in_and_revoke_ends_it(tiny_url):
    env = {"DATABASE_URL": tiny_url, "GC_PUBLIC_URL": "https://grid.example.gov.cn/"}
    made = run_app("field", "invite", "13800000001", env=env)
    assert made.returncode == 0, made.stderr
    url = made.stdout.strip()
    assert re.fullmatch(r"https://grid\.example\.gov\.cn/field/join/[\w-]{20,}", url), url
    assert "张伟" in made.stderr and "▀" in made.stderr + "█"  # the QR code, drawn in blocks
    store = Store.open(tiny_url)
    try:
        token = url.rsplit("/", 1)[1]
        session, cadre = store.redeem_field_invite(token, device="test phone")
        assert cadre["id"] == 1 and store.field_principal(session).id == 1
        listed = run_app("field", "sessions", env=env)
        assert listed.returncode == 0 and "张伟" in listed.stdout and "active" in listed.stdout
        assert "nan" not in listed.stdout.lower() and "NaT" not in listed.stdout
        revoked = run_app("field", "revoke", "13800000001", env=env)
        assert revoked.returncode == 0 and "signed out 1 phone" in revoked.stdout
        store._field_cache().clear()
        assert store.field_principal(session) is None
        listed = run_app("field", "sessions", env=env)
        assert "signed out" in listed.stdout
    finally:
        store.close()


def test_an_invite_for_a_phone_not_on_the_roster_is_one_clear_line(tiny_url):
    result = run_app("field", "invite", "13999999999", env={"DATABASE_URL": tiny_url})
    assert_one_clear_line(result, "no cadre of the roster", "13999999999")
    revoked = run_app("field", "revoke", "13999999999", env={"DATABASE_URL": tiny_url})
    assert_one_clear_line(revoked, "no phone session or open invite")


def test_a_bad_public_url_is_one_clear_line(tiny_url):
    result = run_app(
        "field", "invite", "13800000001", env={"DATABASE_URL": tiny_url, "GC_PUBLIC_URL": "grid"}
    )
    assert_one_clear_line(result, "GC_PUBLIC_URL")
