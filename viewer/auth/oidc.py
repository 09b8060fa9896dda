"""Signing in with an OpenID Connect provider: discovery, the authorization request with
state, nonce and PKCE (S256), the code exchange, and the checks on the ID token.

Flask-free: the routes keep the pending sign-in in the session and hand it back here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import jwt

from viewer.config import AuthSettings

log = logging.getLogger(__name__)

# Asymmetric algorithms only: "none" and the HMAC family (keyed with the client secret)
# would let whoever holds that secret, or nobody at all, mint a token.
ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
# Clocks on two machines disagree a little; a minute is the usual allowance.
LEEWAY_SECONDS = 60
DISCOVERY_LIFETIME = 3600.0
JWKS_LIFETIME = 300.0
HTTP_TIMEOUT = 5.0
MAX_RESPONSE_BYTES = 1_000_000


class SignInError(Exception):
    """Sign-in failed. `reason` is a short code for logs and metrics; the message is for
    the person, and says nothing an attacker could use."""

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered nonsense."""


@dataclass(frozen=True)
class Pending:
    """A sign-in under way, kept in the signed session cookie between /login and the
    callback. Signed, not encrypted: the person can read their own verifier and nonce,
    which is harmless; what PKCE protects against is someone *else* holding the code."""

    state: str
    nonce: str
    verifier: str
    next_path: str

    @classmethod
    def start(cls, next_path: str) -> Pending:
        # 64 random bytes give an 86-character verifier (RFC 7636 allows 43 to 128).
        return cls(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(64),
            next_path,
        )

    def to_session(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object) -> Pending | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                **{key: str(data[key]) for key in ("state", "nonce", "verifier", "next_path")}
            )
        except KeyError:
            return None

    def state_matches(self, state: str) -> bool:
        return hmac.compare_digest(self.state.encode(), state.encode())


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Provider:
    """One OpenID Connect provider, discovered lazily (so a provider outage does not stop
    the viewer starting, and /healthz still answers) and cached for an hour."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = HTTP_TIMEOUT,
    ) -> None:
        self.settings = settings
        self.issuer = settings.issuer or ""
        self.client_id = settings.client_id or ""
        self._clock = clock
        self._timeout = timeout
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._jwks: jwt.PyJWKClient | None = None

    # Discovery -------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or self._clock() - self._fetched_at > DISCOVERY_LIFETIME:
                document = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
                self._metadata = self._checked(document)
                self._fetched_at = self._clock()
                self._jwks = jwt.PyJWKClient(
                    self._metadata["jwks_uri"],
                    cache_jwk_set=True,
                    lifespan=JWKS_LIFETIME,
                    timeout=self._timeout,
                )
            return self._metadata

    def _checked(self, document: object) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise ProviderUnavailable("discovery document is not a JSON object")
        # OpenID Connect Discovery 1.0 §4.3: the document must name the issuer we asked,
        # or tokens from some other issuer could be passed off as this one's.
        if document.get("issuer", "").rstrip("/") != self.issuer:
            raise ProviderUnavailable(
                f"discovery names issuer {document.get('issuer')!r}, expected {self.issuer!r}"
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(key)
            if not isinstance(value, str) or urllib.parse.urlparse(value).scheme not in (
                "https",
                urllib.parse.urlparse(self.issuer).scheme,
            ):
                raise ProviderUnavailable(f"discovery has no usable {key}")
        return document

    def algorithms(self) -> list[str]:
        offered = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return sorted(ALLOWED_ALGORITHMS.intersection(offered))

    # The authorization request -------------------------------------------------------------

    def authorization_url(self, pending: Pending) -> str:
        endpoint = self.metadata()["authorization_endpoint"]
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.settings.redirect_uri,
                "scope": self.settings.scopes,
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": code_challenge(pending.verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    # The callback ----------------------------------------------------------------------

    def sign_in(self, code: str, pending: Pending) -> dict[str, Any]:
        """Exchange the code and return the ID token's claims, every check passed."""
        tokens = self.exchange(code, pending.verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInError("no_id_token", "The sign-in service sent no identity.")
        return self.verify(id_token, pending.nonce)

    def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        metadata = self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": verifier,
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        secret = self.settings.client_secret
        if secret:
            methods = metadata.get("token_endpoint_auth_methods_supported") or [
                "client_secret_basic"
            ]
            if "client_secret_basic" in methods:
                # RFC 6749 §2.3.1: both parts form-encoded before the Basic encoding.
                pair = (
                    f"{urllib.parse.quote(self.client_id, safe='')}:"
                    f"{urllib.parse.quote(secret, safe='')}"
                )
                headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            else:
                form["client_secret"] = secret
        request = urllib.request.Request(
            metadata["token_endpoint"],
            data=urllib.parse.urlencode(form).encode(),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                body = json.loads(response.read(MAX_RESPONSE_BYTES))
        except urllib.error.HTTPError as error:
            detail = error.read(2000).decode("utf-8", "replace")
            error.close()
            log.warning("token endpoint refused the code: %s %s", error.code, detail)
            raise SignInError(
                "token_refused", "The sign-in service refused this sign-in. Sign in again."
            ) from error
        except (OSError, ValueError) as error:
            raise ProviderUnavailable(f"token endpoint: {error}") from error
        if not isinstance(body, dict):
            raise ProviderUnavailable("token endpoint answered something other than an object")
        return body

    def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims after checking signature, issuer, audience, times, nonce."""
        self.metadata()
        assert self._jwks is not None
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims = jwt.decode(
                id_token,
                key,
                algorithms=self.algorithms(),
                audience=self.client_id,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as error:
            raise ProviderUnavailable(f"keys: {error}") from error
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as error:
            reason = type(error).__name__
            log.warning("ID token refused: %s: %s", reason, error)
            raise SignInError(
                f"id_token:{reason}",
                "The identity from the sign-in service could not be verified. Sign in again.",
            ) from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        # Core §3.1.3.7: with several audiences, the token must say it was issued to us.
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise SignInError("id_token:azp", "The identity was issued to another application.")
        if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            log.warning("ID token refused: nonce does not match this sign-in")
            raise SignInError(
                "id_token:nonce", "The identity does not belong to this sign-in. Sign in again."
            )
        return claims

    # HTTP ------------------------------------------------------------------------------

    def _get_json(self, url: str) -> object:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read(MAX_RESPONSE_BYTES))
        except (OSError, ValueError) as error:
            raise ProviderUnavailable(f"{url}: {error}") from error
