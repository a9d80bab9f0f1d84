"""Review of issue 14: a registered secret was masked only as written. Base64 keys (Kraken Futures') hold
``+``, ``/`` and ``=``; a server echoing the key URL-encoded (a query string) or JSON-escaped (``\\/``) got it
past the redaction. Those forms of a registered secret are masked too."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

from liqwatch.redact import redact, register_secret

KEY = "ab+cD/ef=gh+ij/KL=review14"


def test_the_encoded_forms_of_a_secret_are_masked() -> None:
    register_secret(KEY)
    for form in (KEY, quote(KEY, safe=""), quote_plus(KEY), KEY.replace("/", "\\/"), quote(KEY)):
        text = f"krakenfutures GET /derivatives/api/v3/openpositions?apiKey={form} 401"
        assert "ab+cD" not in redact(text) and "ab%2BcD" not in redact(text), form
