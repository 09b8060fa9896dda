"""A small OpenID Connect provider on 127.0.0.1 for the sign-in tests.

Real HTTP, a real discovery document, a JWKS with an RSA key made once per test session, an
authorization endpoint that consents at once as `user` and redirects back with a code, and a
token endpoint that checks the client, the redirect URI and PKCE (S256) before it returns an
RS256-signed ID token. Tests spoil the next token through `token_changes` and friends.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "viewer-test-client"
CLIENT_SECRET = "s3cret-for-the-test-client-0123456789"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str | None
    nonce: str | None


@dataclass
class FakeProvider:
    key: rsa.RSAPrivateKey
    stranger_key: rsa.RSAPrivateKey  # a key the JWKS does not publish
    kid: str = "test-key-1"
    issuer: str = ""
    user: dict[str, Any] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    authorization_requests: list[dict[str, list[str]]] = field(default_factory=list)
    # What to do to the next ID token: claim changes, header changes, signing key, tamper.
    token_changes: dict[str, Any] = field(default_factory=dict)
    header_changes: dict[str, Any] = field(default_factory=dict)
    sign_with_stranger: bool = False
    tamper_signature: bool = False
    # HS256 keyed with the client secret: the algorithm-confusion forgery.
    sign_with_client_secret: bool = False
    require_secret: bool = True

    def reset(self) -> None:
        self.user = {
            "sub": "alice-sub",
            "email": "alice@example.com",
            "email_verified": True,
            "name": "Alice Example",
            "https://slack.com/user_id": "UALICE",
        }
        self.grants.clear()
        self.token_requests.clear()
        self.authorization_requests.clear()
        self.token_changes = {}
        self.header_changes = {}
        self.sign_with_stranger = self.tamper_signature = self.sign_with_client_secret = False
        self.require_secret = True

    # Documents ---------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    # Endpoints ---------------------------------------------------------------------------

    def authorize(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        self.authorization_requests.append(query)
        one = {name: values[0] for name, values in query.items()}
        if one.get("client_id") != CLIENT_ID or one.get("response_type") != "code":
            return 400, {}, b"bad client or response type"
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            one["client_id"],
            one["redirect_uri"],
            one.get("code_challenge"),
            one.get("code_challenge_method"),
            one.get("nonce"),
        )
        back = {"code": code, "state": one.get("state", "")}
        return 302, {"Location": f"{one['redirect_uri']}?{urlencode(back)}"}, b""

    def token(
        self, form: dict[str, list[str]], authorization: str | None
    ) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        one = {name: values[0] for name, values in form.items()}
        client_id, secret = one.get("client_id"), one.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != CLIENT_ID or (self.require_secret and secret != CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        grant = self.grants.pop(one.get("code", ""), None)  # a code works once
        if grant is None or one.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        if one.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = one.get("code_verifier")
        if grant.method != "S256" or not verifier or _s256(verifier) != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        return 200, {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant.nonce),
        }

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.user,
            **self.token_changes,
        }
        claims = {name: value for name, value in claims.items() if value is not None}
        headers = {"kid": self.kid, **self.header_changes}
        if self.sign_with_client_secret:
            token = jwt.encode(claims, CLIENT_SECRET, algorithm="HS256", headers=headers)
        else:
            key = self.stranger_key if self.sign_with_stranger else self.key
            token = jwt.encode(claims, key, algorithm="RS256", headers=headers)
        if self.tamper_signature:
            head, body, signature = token.split(".")
            flipped = "A" if signature[10] != "A" else "B"
            token = ".".join((head, body, signature[:10] + flipped + signature[11:]))
        return token


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet test output
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, document: object) -> None:
            self._send(status, json.dumps(document).encode(), {"Content-Type": "application/json"})

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            if parts.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif parts.path == "/jwks":
                self._json(200, provider.jwks())
            elif parts.path == "/authorize":
                status, headers, body = provider.authorize(parse_qs(parts.query))
                self._send(status, body, headers)
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802
            if urlsplit(self.path).path != "/token":
                self._json(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            status, document = provider.token(form, self.headers.get("Authorization"))
            self._json(status, document)

    return Handler


@contextmanager
def running_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider(
        key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        stranger_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    provider.reset()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    server.daemon_threads = True
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
