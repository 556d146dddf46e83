//! OpenID Connect login with one configured provider (authorization code flow with PKCE).
//!
//! The provider is discovered lazily on first use via
//! `{issuer}/.well-known/openid-configuration`; the discovered metadata and signing keys are
//! cached and refreshed once if an ID token is signed with a key we have not seen (key rotation).
//! `state` is compared in constant time, the ID token's signature, issuer, audience, expiry and
//! nonce are verified, and the access token hash (`at_hash`) is checked when present.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreIdTokenClaims, CoreJsonWebKey,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKey,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, SubjectIdentifier, TokenResponse, reqwest,
};
use tokio::sync::RwLock;

/// Timeout for a whole request to the provider (discovery, JWKS, token, userinfo).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Timeout for establishing a connection to the provider.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of the single OpenID Connect provider.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Issuer URL; discovery happens at `{issuer}/.well-known/openid-configuration`.
    /// Must match the provider's `issuer` exactly (including any trailing slash).
    pub issuer: String,
    /// Client ID registered at the provider.
    pub client_id: String,
    /// Client secret; `None` for a public client (PKCE only, no client authentication).
    pub client_secret: Option<String>,
    /// Provider name shown on the login button.
    pub display_name: String,
    /// Redirect (callback) URL registered at the provider, e.g.
    /// `http://127.0.0.1:3000/auth/oidc/callback`.
    pub redirect_url: String,
}

/// What must survive between the redirect to the provider and the callback
/// (stored in the server-side session).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PendingLogin {
    /// CSRF `state` sent to the provider; must come back unchanged.
    pub state: String,
    /// Nonce sent to the provider; must appear in the ID token.
    pub nonce: String,
    /// PKCE code verifier matching the challenge sent to the provider.
    pub pkce_verifier: String,
    /// Where to send the user after login. Not validated here: the caller must make sure it is
    /// a local path before redirecting to it.
    pub next: Option<String>,
}

/// The verified identity from the ID token.
///
/// `preferred_username`, `email` and `name` are taken from the ID token; those the ID token
/// lacks are filled from the userinfo endpoint (best effort, subject checked) when the provider
/// has one.
#[derive(Debug, Clone)]
pub struct OidcIdentity {
    /// Issuer (`iss`) of the ID token.
    pub issuer: String,
    /// Subject (`sub`): the stable user ID at the issuer.
    pub subject: String,
    /// `preferred_username` claim, if any.
    pub preferred_username: Option<String>,
    /// `email` claim, if any (not necessarily verified by the provider).
    pub email: Option<String>,
    /// `name` claim (the variant without a language tag, else the first one), if any.
    pub name: Option<String>,
}

/// Errors of the OpenID Connect login.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The configuration is invalid (bad URL, HTTP client could not be built).
    #[error("invalid OIDC configuration: {0}")]
    Config(String),
    /// Provider discovery (metadata or JWKS) failed.
    #[error("OIDC discovery failed: {0}")]
    Discovery(String),
    /// The `state` returned by the provider does not match the pending login.
    #[error("OIDC state mismatch")]
    StateMismatch,
    /// Exchanging the authorization code at the token endpoint failed.
    #[error("OIDC code exchange failed: {0}")]
    Exchange(String),
    /// The token response contained no ID token.
    #[error("OIDC token response contained no ID token")]
    MissingIdToken,
    /// The ID token (or the access token hash) failed verification.
    #[error("OIDC ID token rejected: {0}")]
    IdToken(String),
}

/// The client type produced by discovery: auth URL set, token and userinfo URLs maybe set.
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// OpenID Connect login against the configured provider.
pub struct Oidc {
    /// The configuration (an empty client secret already turned into `None`).
    config: OidcConfig,
    /// Parsed issuer URL.
    issuer: IssuerUrl,
    /// Parsed redirect URL.
    redirect_url: RedirectUrl,
    /// HTTP client for talking to the provider (never follows redirects).
    http: reqwest::Client,
    /// Discovered client; `None` until the first successful discovery.
    client: RwLock<Option<Arc<DiscoveredClient>>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .field("display_name", &self.config.display_name)
            .field("redirect_url", &self.config.redirect_url)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// Validates the configuration and builds the HTTP client; does no network I/O.
    /// An empty `client_secret` counts as none (public client).
    pub fn new(mut config: OidcConfig) -> Result<Oidc, OidcError> {
        config.client_secret = config.client_secret.filter(|s| !s.is_empty());
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| OidcError::Config(format!("issuer URL {:?}: {e}", config.issuer)))?;
        let redirect_url = RedirectUrl::new(config.redirect_url.clone()).map_err(|e| {
            OidcError::Config(format!("redirect URL {:?}: {e}", config.redirect_url))
        })?;
        if config.client_id.is_empty() {
            return Err(OidcError::Config("client ID is empty".to_owned()));
        }
        let http = reqwest::Client::builder()
            // Following redirects opens the client up to SSRF vulnerabilities.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| OidcError::Config(format!("HTTP client: {}", error_chain(&e))))?;
        Ok(Oidc {
            config,
            issuer,
            redirect_url,
            http,
            client: RwLock::new(None),
        })
    }

    /// Provider name to show on the login button.
    pub fn display_name(&self) -> &str {
        &self.config.display_name
    }

    /// Discovers the provider on first use (cached afterwards; a failed discovery is retried next time).
    /// Returns the URL to redirect the browser to and what to keep in the session. Scopes: openid, profile, email.
    pub async fn begin(&self, next: Option<String>) -> Result<(String, PendingLogin), OidcError> {
        let client = self.client().await?;
        let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
        // The `openid` scope is added by the library itself.
        let (url, csrf_state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".to_owned()))
            .add_scope(Scope::new("email".to_owned()))
            .set_pkce_challenge(pkce_challenge)
            .url();
        let pending = PendingLogin {
            state: csrf_state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: pkce_verifier.secret().clone(),
            next,
        };
        Ok((url.to_string(), pending))
    }

    /// Checks `state` against pending.state (constant-time compare is nice), exchanges `code` with the PKCE verifier,
    /// verifies the ID token (signature, issuer, audience, expiry, nonce) and, if present, the access token hash.
    pub async fn finish(
        &self,
        pending: PendingLogin,
        code: &str,
        state: &str,
    ) -> Result<OidcIdentity, OidcError> {
        if pending.state.is_empty()
            || pending.nonce.is_empty()
            || !constant_time_eq(pending.state.as_bytes(), state.as_bytes())
        {
            return Err(OidcError::StateMismatch);
        }

        let mut client = self.client().await?;
        let token_response: CoreTokenResponse = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;

        let nonce = Nonce::new(pending.nonce);
        let secret = self.config.client_secret.as_deref();
        let claims = match verify_id_token(&client, secret, &token_response, &nonce) {
            // The provider may have rotated its signing keys since discovery: rediscover once.
            Err(VerifyError::UnknownKey) => {
                client = self.rediscover().await?;
                verify_id_token(&client, secret, &token_response, &nonce)
            }
            other => other,
        }
        .map_err(VerifyError::into_oidc_error)?;

        let mut identity = OidcIdentity {
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().as_str().to_owned(),
            preferred_username: claims.preferred_username().map(|u| u.as_str().to_owned()),
            email: claims.email().map(|e| e.as_str().to_owned()),
            name: claims
                .name()
                .and_then(|n| n.get(None).or_else(|| n.iter().next().map(|(_, v)| v)))
                .map(|n| n.as_str().to_owned()),
        };

        if identity.preferred_username.is_none()
            || identity.email.is_none()
            || identity.name.is_none()
        {
            self.fill_from_userinfo(
                &client,
                token_response.access_token(),
                claims.subject(),
                &mut identity,
            )
            .await;
        }
        Ok(identity)
    }

    /// Returns the cached discovered client, discovering the provider if needed.
    async fn client(&self) -> Result<Arc<DiscoveredClient>, OidcError> {
        if let Some(client) = self.client.read().await.as_ref() {
            return Ok(Arc::clone(client));
        }
        let mut slot = self.client.write().await;
        // Another task may have finished discovery while we waited for the lock.
        if let Some(client) = slot.as_ref() {
            return Ok(Arc::clone(client));
        }
        let client = Arc::new(self.discover().await?);
        *slot = Some(Arc::clone(&client));
        Ok(client)
    }

    /// Discovers the provider again and replaces the cached client (e.g. after key rotation).
    async fn rediscover(&self) -> Result<Arc<DiscoveredClient>, OidcError> {
        let client = Arc::new(self.discover().await?);
        *self.client.write().await = Some(Arc::clone(&client));
        Ok(client)
    }

    /// Fetches the provider metadata and JWKS and builds a client from them.
    async fn discover(&self) -> Result<DiscoveredClient, OidcError> {
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| OidcError::Discovery(error_chain(&e)))?;

        let auth_type = auth_type_for(&metadata, self.config.client_secret.is_some());
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(self.redirect_url.clone())
        .set_auth_type(auth_type);
        if client.token_uri().is_none() {
            return Err(OidcError::Discovery(
                "provider metadata has no token_endpoint".to_owned(),
            ));
        }
        Ok(client)
    }

    /// Fills claims missing from the ID token from the userinfo endpoint, if the provider has
    /// one. Best effort: failures are logged and ignored. The userinfo `sub` must match.
    async fn fill_from_userinfo(
        &self,
        client: &DiscoveredClient,
        access_token: &AccessToken,
        subject: &SubjectIdentifier,
        identity: &mut OidcIdentity,
    ) {
        let Ok(request) = client.user_info(access_token.clone(), Some(subject.clone())) else {
            // The provider has no userinfo endpoint.
            return;
        };
        let userinfo: CoreUserInfoClaims = match request.request_async(&self.http).await {
            Ok(userinfo) => userinfo,
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "OIDC userinfo request failed");
                return;
            }
        };
        if identity.preferred_username.is_none() {
            identity.preferred_username =
                userinfo.preferred_username().map(|u| u.as_str().to_owned());
        }
        if identity.email.is_none() {
            identity.email = userinfo.email().map(|e| e.as_str().to_owned());
        }
        if identity.name.is_none() {
            identity.name = userinfo
                .name()
                .and_then(|n| n.get(None).or_else(|| n.iter().next().map(|(_, v)| v)))
                .map(|n| n.as_str().to_owned());
        }
    }
}

/// Why an ID token was rejected.
enum VerifyError {
    /// The token response contained no ID token.
    Missing,
    /// The ID token is signed with a key that is not in the cached JWKS.
    UnknownKey,
    /// Any other verification failure.
    Invalid(String),
}

impl VerifyError {
    /// Maps the verification failure to the public error type.
    fn into_oidc_error(self) -> OidcError {
        match self {
            VerifyError::Missing => OidcError::MissingIdToken,
            VerifyError::UnknownKey => {
                OidcError::IdToken("no matching key found in the provider's JWKS".to_owned())
            }
            VerifyError::Invalid(msg) => OidcError::IdToken(msg),
        }
    }
}

/// Verifies the ID token in `response` (signature, issuer, audience, expiry, nonce) and the
/// access token hash if the token carries one; returns the verified claims.
fn verify_id_token(
    client: &DiscoveredClient,
    client_secret: Option<&str>,
    response: &CoreTokenResponse,
    nonce: &Nonce,
) -> Result<CoreIdTokenClaims, VerifyError> {
    let id_token = response.id_token().ok_or(VerifyError::Missing)?;
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, nonce).map_err(|e| match e {
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        ) => VerifyError::UnknownKey,
        other => VerifyError::Invalid(error_chain(&other)),
    })?;

    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token
            .signing_alg()
            .map_err(|e| VerifyError::Invalid(error_chain(&e)))?;
        let actual = if is_hmac(alg) {
            // HMAC-signed tokens use the client secret, which is not in the JWKS.
            let secret = client_secret.ok_or_else(|| {
                VerifyError::Invalid("HMAC-signed ID token for a public client".to_owned())
            })?;
            let key = CoreJsonWebKey::new_symmetric(secret.as_bytes().to_vec());
            AccessTokenHash::from_token(response.access_token(), alg, &key)
        } else {
            let key = id_token
                .signing_key(&verifier)
                .map_err(|e| VerifyError::Invalid(error_chain(&e)))?;
            AccessTokenHash::from_token(response.access_token(), alg, key)
        }
        .map_err(|e| VerifyError::Invalid(format!("access token hash: {}", error_chain(&e))))?;
        if !constant_time_eq(actual.as_bytes(), expected.as_bytes()) {
            return Err(VerifyError::Invalid(
                "access token hash (at_hash) mismatch".to_owned(),
            ));
        }
    }
    Ok(claims.clone())
}

/// Whether `alg` is an HMAC (symmetric, client-secret based) signature algorithm.
fn is_hmac(alg: &CoreJwsSigningAlgorithm) -> bool {
    matches!(
        alg,
        CoreJwsSigningAlgorithm::HmacSha256
            | CoreJwsSigningAlgorithm::HmacSha384
            | CoreJwsSigningAlgorithm::HmacSha512
    )
}

/// Chooses how to authenticate at the token endpoint.
///
/// Without a secret the client ID goes in the request body (auth method `none`). With a secret,
/// HTTP Basic (`client_secret_basic`) is used unless the provider only advertises
/// `client_secret_post`.
fn auth_type_for(metadata: &CoreProviderMetadata, has_secret: bool) -> AuthType {
    if !has_secret {
        return AuthType::RequestBody;
    }
    let Some(methods) = metadata.token_endpoint_auth_methods_supported() else {
        return AuthType::BasicAuth;
    };
    let basic = methods.contains(&CoreClientAuthMethod::ClientSecretBasic);
    let post = methods.contains(&CoreClientAuthMethod::ClientSecretPost);
    if !basic && post {
        AuthType::RequestBody
    } else {
        AuthType::BasicAuth
    }
}

/// Compares two byte strings without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Formats an error with all its sources (the library's own messages are terse, e.g.
/// "Request failed", with the detail in the source chain).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        msg.push_str(": ");
        msg.push_str(&cause.to_string());
        source = cause.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> OidcConfig {
        OidcConfig {
            issuer: "http://127.0.0.1:1".to_owned(),
            client_id: "appcat".to_owned(),
            client_secret: None,
            display_name: "Test IdP".to_owned(),
            redirect_url: "http://127.0.0.1:3000/auth/oidc/callback".to_owned(),
        }
    }

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn futures_are_send() -> Result<(), OidcError> {
        let oidc = Oidc::new(config())?;
        let begin = oidc.begin(None);
        assert_send(&begin);
        let pending = PendingLogin {
            state: "s".to_owned(),
            nonce: "n".to_owned(),
            pkce_verifier: "v".to_owned(),
            next: None,
        };
        let finish = oidc.finish(pending, "code", "s");
        assert_send(&finish);
        Ok(())
    }

    #[test]
    fn rejects_bad_urls() {
        let mut bad = config();
        bad.issuer = "not a url".to_owned();
        assert!(matches!(Oidc::new(bad), Err(OidcError::Config(_))));
        let mut bad = config();
        bad.redirect_url = "::".to_owned();
        assert!(matches!(Oidc::new(bad), Err(OidcError::Config(_))));
    }

    #[tokio::test]
    async fn state_mismatch_is_checked_before_any_io() -> Result<(), OidcError> {
        let oidc = Oidc::new(config())?;
        let pending = PendingLogin {
            state: "expected".to_owned(),
            nonce: "n".to_owned(),
            pkce_verifier: "v".to_owned(),
            next: None,
        };
        let res = oidc.finish(pending, "code", "other").await;
        assert!(matches!(res, Err(OidcError::StateMismatch)));
        Ok(())
    }

    #[tokio::test]
    async fn discovery_failure_is_reported() -> Result<(), OidcError> {
        let oidc = Oidc::new(config())?;
        assert!(matches!(
            oidc.begin(None).await,
            Err(OidcError::Discovery(_))
        ));
        // Not cached: a second attempt tries again (and fails again).
        assert!(matches!(
            oidc.begin(None).await,
            Err(OidcError::Discovery(_))
        ));
        Ok(())
    }

    const ISSUER: &str = "http://127.0.0.1:9/op";
    const CLIENT_ID: &str = "appcat";
    const SECRET: &str = "a-client-secret-that-is-long-enough-for-hs256";

    /// A client as discovery would build it, for a confidential client with an empty JWKS.
    fn discovered_client() -> Result<DiscoveredClient, Box<dyn std::error::Error>> {
        use openidconnect::core::{CoreResponseType, CoreSubjectIdentifierType};
        use openidconnect::{
            AuthUrl, EmptyAdditionalProviderMetadata, JsonWebKeySet, JsonWebKeySetUrl,
            ResponseTypes, TokenUrl,
        };
        let metadata = CoreProviderMetadata::new(
            IssuerUrl::new(ISSUER.to_owned())?,
            AuthUrl::new(format!("{ISSUER}/auth"))?,
            JsonWebKeySetUrl::new(format!("{ISSUER}/jwks"))?,
            vec![ResponseTypes::new(vec![CoreResponseType::Code])],
            vec![CoreSubjectIdentifierType::Public],
            vec![CoreJwsSigningAlgorithm::HmacSha256],
            EmptyAdditionalProviderMetadata {},
        )
        .set_token_endpoint(Some(TokenUrl::new(format!("{ISSUER}/token"))?))
        .set_jwks(JsonWebKeySet::new(Vec::new()));
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(CLIENT_ID.to_owned()),
            Some(ClientSecret::new(SECRET.to_owned())),
        ))
    }

    /// A token response with an HS256 ID token; `at_hash` computed over `hashed_token`.
    fn token_response(
        nonce: &str,
        access_token: &str,
        hashed_token: Option<&str>,
    ) -> Result<CoreTokenResponse, Box<dyn std::error::Error>> {
        use openidconnect::core::{CoreHmacKey, CoreIdToken, CoreIdTokenFields, CoreTokenType};
        use openidconnect::{
            Audience, EmptyAdditionalClaims, EmptyExtraTokenFields, EndUserEmail, StandardClaims,
        };
        let now = chrono::Utc::now();
        let claims = CoreIdTokenClaims::new(
            IssuerUrl::new(ISSUER.to_owned())?,
            vec![Audience::new(CLIENT_ID.to_owned())],
            now + chrono::Duration::minutes(5),
            now,
            StandardClaims::new(SubjectIdentifier::new("carol".to_owned()))
                .set_email(Some(EndUserEmail::new("carol@example.test".to_owned()))),
            EmptyAdditionalClaims {},
        )
        .set_nonce(Some(Nonce::new(nonce.to_owned())));
        let hashed = hashed_token.map(|t| AccessToken::new(t.to_owned()));
        let id_token = CoreIdToken::new(
            claims,
            &CoreHmacKey::new(SECRET.as_bytes()),
            CoreJwsSigningAlgorithm::HmacSha256,
            hashed.as_ref(),
            None,
        )?;
        Ok(CoreTokenResponse::new(
            AccessToken::new(access_token.to_owned()),
            CoreTokenType::Bearer,
            CoreIdTokenFields::new(Some(id_token), EmptyExtraTokenFields {}),
        ))
    }

    #[test]
    fn id_token_with_matching_at_hash_is_accepted() -> Result<(), Box<dyn std::error::Error>> {
        let client = discovered_client()?;
        let response = token_response("n1", "token-1", Some("token-1"))?;
        let Ok(claims) =
            verify_id_token(&client, Some(SECRET), &response, &Nonce::new("n1".into()))
        else {
            return Err("valid ID token rejected".into());
        };
        assert_eq!(claims.subject().as_str(), "carol");
        assert_eq!(
            claims.email().map(|e| e.as_str()),
            Some("carol@example.test")
        );
        assert!(claims.access_token_hash().is_some());
        Ok(())
    }

    #[test]
    fn id_token_without_at_hash_is_accepted() -> Result<(), Box<dyn std::error::Error>> {
        let client = discovered_client()?;
        let response = token_response("n1", "token-1", None)?;
        let res = verify_id_token(&client, Some(SECRET), &response, &Nonce::new("n1".into()));
        assert!(res.is_ok());
        Ok(())
    }

    #[test]
    fn substituted_access_token_is_rejected() -> Result<(), Box<dyn std::error::Error>> {
        let client = discovered_client()?;
        let response = token_response("n1", "token-2", Some("token-1"))?;
        let res = verify_id_token(&client, Some(SECRET), &response, &Nonce::new("n1".into()));
        assert!(matches!(res, Err(VerifyError::Invalid(m)) if m.contains("at_hash")));
        Ok(())
    }

    #[test]
    fn wrong_nonce_is_rejected() -> Result<(), Box<dyn std::error::Error>> {
        let client = discovered_client()?;
        let response = token_response("n1", "token-1", Some("token-1"))?;
        let res = verify_id_token(&client, Some(SECRET), &response, &Nonce::new("n2".into()));
        assert!(matches!(res, Err(VerifyError::Invalid(m)) if m.contains("nonce")));
        Ok(())
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
