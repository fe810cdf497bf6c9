//! The RS256 signing key and the JWKS that publishes it.

use std::sync::OnceLock;

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

/// The fixed test key compiled into the binary, so that start-up never
/// generates a key. It is public: tokens it signs prove nothing outside tests.
const EMBEDDED_TEST_KEY: &str = include_str!("test-signing-key.pem");

/// Why a signing key could not be used.
#[derive(Debug, thiserror::Error)]
#[error("not a usable RSA private key in PEM form: {0}")]
pub struct KeyError(String);

/// The key tokens are signed with, and what verifies them.
pub struct SigningKey {
    encoding: EncodingKey,
    /// Derived from the private key on first use, so start-up stays instant.
    public: OnceLock<Result<PublicKey, String>>,
}

struct PublicKey {
    decoding: DecodingKey,
    kid: String,
    jwks: JwkSet,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// The embedded test key.
    pub fn embedded() -> Self {
        // Only the PEM armour is read here; the key itself is parsed on first use.
        let encoding = EncodingKey::from_rsa_pem(EMBEDDED_TEST_KEY.as_bytes())
            .unwrap_or_else(|_| unreachable!("the embedded key is PEM"));
        Self {
            encoding,
            public: OnceLock::new(),
        }
    }

    /// An RSA private key in PEM form (PKCS#1 or PKCS#8), as `--signing-key` names it.
    ///
    /// The key is checked here, once, so a bad file stops start-up rather than the first token request.
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let encoding = EncodingKey::from_rsa_pem(pem).map_err(|e| KeyError(e.to_string()))?;
        let key = Self {
            encoding,
            public: OnceLock::new(),
        };
        key.public().map_err(|e| KeyError(e.to_owned()))?;
        Ok(key)
    }

    fn public(&self) -> Result<&PublicKey, &str> {
        self.public
            .get_or_init(|| {
                let mut jwk = Jwk::from_encoding_key(&self.encoding, Algorithm::RS256)
                    .map_err(|e| e.to_string())?;
                let kid = jwk.thumbprint(ThumbprintHash::SHA256);
                jwk.common.key_id = Some(kid.clone());
                jwk.common.public_key_use = Some(PublicKeyUse::Signature);
                jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
                let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
                Ok(PublicKey {
                    decoding,
                    kid,
                    jwks: JwkSet { keys: vec![jwk] },
                })
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The key id put in every token's header: the key's RFC 7638 thumbprint.
    pub fn kid(&self) -> &str {
        self.public().map_or("", |p| p.kid.as_str())
    }

    /// The JWKS document served at the discovery document's `jwks_uri`.
    pub fn jwks(&self) -> Option<&JwkSet> {
        self.public().ok().map(|p| &p.jwks)
    }

    pub(crate) fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    pub(crate) fn decoding(&self) -> Option<&DecodingKey> {
        self.public().ok().map(|p| &p.decoding)
    }
}
