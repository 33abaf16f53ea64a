"""The onion rules in the app alone (the test client): which requests count as onion
visitors, the circuit id Tor encodes, each listener's own host, and what the
Secure cookie and HSTS settings do there. tests/test_onion.py runs them through nginx."""

from __future__ import annotations

import pytest

from blogapp.onion import _circuit_of

ONION = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"
SECRET = "onion-listener-secret-0123456789abcdef"
VIA_ONION = {"Host": ONION, "X-Onion-Secret": SECRET, "X-Onion-Circuit": "fc00:dead:beef:4dad::1:2"}


@pytest.fixture
def app_config():
    return {
        "SITE_URL": "https://blog.example.org",
        "ONION_ADDRESS": ONION,
        "ONION_PROXY_SECRET": SECRET,
        "TRUSTED_HOSTS": ["blog.example.org"],
    }


def test_the_circuit_is_the_low_32_bits_of_the_proxy_source_address():
    assert _circuit_of("fc00:dead:beef:4dad::1:2") == "00010002"
    assert _circuit_of("fc00:dead:beef:4dad::ffff:ffff") == "ffffffff"
    assert _circuit_of("not an address") == "not an address"


def test_the_onion_host_is_trusted_on_the_onion_listener_only(client):
    assert client.get("/", headers=VIA_ONION).status_code == 200
    assert client.get("/", headers={"Host": ONION}).status_code == 400
    wrong_secret = {**VIA_ONION, "X-Onion-Secret": "a guess"}
    assert client.get("/", headers=wrong_secret).status_code == 400
    assert client.get("/", headers={**VIA_ONION, "Host": "blog.example.org"}).status_code == 400
    assert client.get("/", headers={"Host": "elsewhere.example"}).status_code == 400


def test_onion_pages_carry_no_onion_location_and_no_hsts(client):
    clearnet = client.get(
        "/mirrors/", headers={"Host": "blog.example.org"}, base_url="https://blog.example.org"
    )
    assert clearnet.headers["Onion-Location"] == f"http://{ONION}/mirrors/"
    assert "Strict-Transport-Security" in clearnet.headers
    onion = client.get("/mirrors/", headers=VIA_ONION)
    assert "Onion-Location" not in onion.headers
    assert "Strict-Transport-Security" not in onion.headers


def test_forms_on_the_onion_pass_the_same_origin_check_and_cookies_stay_secure(client):
    page = client.get("/login", headers=VIA_ONION)
    assert page.status_code == 200
    # Secure, as on the https site: Tor Browser keeps Secure cookies on .onion.
    assert "Secure" in page.headers["Set-Cookie"]
    answer = client.post(
        "/login",
        headers={**VIA_ONION, "Origin": f"http://{ONION}"},
        data={"username": "nobody", "password": "x"},
    )
    assert answer.status_code != 403
    foreign = client.post(
        "/login",
        headers={**VIA_ONION, "Origin": "http://evil.example"},
        data={"username": "nobody", "password": "x"},
    )
    assert foreign.status_code in (400, 403)
