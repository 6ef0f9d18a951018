//! RSA keys in PEM, as ActivityPub actors publish and store them.
//!
//! Local accounts keep a PKCS#8 private key and an SPKI public key (`crate::crypto`); remote
//! actors publish `publicKeyPem` as SPKI (`BEGIN PUBLIC KEY`) or, on some servers, PKCS#1
//! (`BEGIN RSA PUBLIC KEY`). Both are accepted. Keys must be 2048 to 8192 bits.

use std::fmt;

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RSA_PSS_2048_8192_SHA512,
    UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The largest PEM document accepted (an 8192-bit key is about 1.5 KiB of PEM).
const MAX_PEM_BYTES: usize = 16 * 1024;

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No PEM block with an expected label, bad base64, or the document is too large.
    #[error("not a PEM-encoded RSA key")]
    NotPem,
    /// The DER inside is not an acceptable RSA key (wrong type, or outside 2048–8192 bits).
    #[error("unacceptable RSA key: {0}")]
    Rejected(String),
}

/// A local actor's private key and the `keyId` that names its public half
/// (`{actor}#main-key`). Signs draft-cavage `rsa-sha256` signatures.
pub struct SigningKey {
    key_id: String,
    pair: KeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM key.
    pub fn from_pem(key_id: impl Into<String>, pem: &str) -> Result<SigningKey, KeyError> {
        let (label, der) = decode_pem(pem, &["PRIVATE KEY", "RSA PRIVATE KEY"])?;
        let pair = if label == "PRIVATE KEY" {
            KeyPair::from_pkcs8(&der)
        } else {
            KeyPair::from_der(&der)
        }
        .map_err(|e| KeyError::Rejected(e.to_string()))?;
        Ok(SigningKey {
            key_id: key_id.into(),
            pair,
        })
    }

    /// The `keyId` this key signs as.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .expect("RSA signing with a validated key and a correctly sized buffer");
        signature
    }
}

/// A remote (or local) actor's public RSA key, parsed once; cheap to clone and share.
#[derive(Clone)]
pub struct PublicKey {
    pkcs1_sha256: ParsedPublicKey,
    der: Box<[u8]>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("der_len", &self.der.len())
            .finish()
    }
}

impl PublicKey {
    /// Reads an SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM key.
    pub fn from_pem(pem: &str) -> Result<PublicKey, KeyError> {
        let (_, der) = decode_pem(pem, &["PUBLIC KEY", "RSA PUBLIC KEY"])?;
        let pkcs1_sha256 = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &der)
            .map_err(|e| KeyError::Rejected(e.to_string()))?;
        Ok(PublicKey {
            pkcs1_sha256,
            der: der.into_boxed_slice(),
        })
    }

    /// Whether `signature` is an RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub fn verify_pkcs1_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.pkcs1_sha256.verify_sig(message, signature).is_ok()
    }

    /// Whether `signature` is an RSASSA-PSS SHA-512 signature (64-byte salt) of `message`.
    pub fn verify_pss_sha512(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA512, &self.der)
            .verify(message, signature)
            .is_ok()
    }
}

/// Decodes the first PEM block whose label is one of `labels`; returns the label and the DER.
fn decode_pem<'l>(pem: &str, labels: &[&'l str]) -> Result<(&'l str, Vec<u8>), KeyError> {
    if pem.len() > MAX_PEM_BYTES {
        return Err(KeyError::NotPem);
    }
    for &label in labels {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let Some(start) = pem.find(&begin) else {
            continue;
        };
        let rest = &pem[start + begin.len()..];
        let Some(stop) = rest.find(&end) else {
            return Err(KeyError::NotPem);
        };
        let body: String = rest[..stop]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = STANDARD.decode(body).map_err(|_| KeyError::NotPem)?;
        return Ok((label, der));
    }
    Err(KeyError::NotPem)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One key pair for every test in the federation module (RSA key generation is slow).
    pub(crate) fn test_pair() -> &'static (String, String) {
        static PAIR: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
        PAIR.get_or_init(|| crate::crypto::generate_rsa_keypair().unwrap())
    }

    /// A second, unrelated key pair.
    pub(crate) fn other_pair() -> &'static (String, String) {
        static PAIR: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
        PAIR.get_or_init(|| crate::crypto::generate_rsa_keypair().unwrap())
    }

    /// RFC 9421 Appendix B.1.1 `test-key-rsa`, published as PKCS#1.
    pub(crate) const RFC9421_TEST_KEY_RSA: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrw
WEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsdJKFq
MGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75jfZg
kne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0P
uKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQ
PSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQAB
-----END RSA PUBLIC KEY-----
";

    /// RFC 9421 Appendix B.1.2 `test-key-rsa-pss`, published as SPKI.
    pub(crate) const RFC9421_TEST_KEY_RSA_PSS: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
";

    #[test]
    fn local_keys_sign_and_verify() {
        let (private, public) = test_pair();
        let key = SigningKey::from_pem("https://a.example/users/a#main-key", private).unwrap();
        assert_eq!(key.key_id(), "https://a.example/users/a#main-key");
        let public = PublicKey::from_pem(public).unwrap();
        let sig = key.sign(b"hello");
        assert_eq!(sig.len(), 256);
        assert!(public.verify_pkcs1_sha256(b"hello", &sig));
        assert!(!public.verify_pkcs1_sha256(b"hellO", &sig));
        assert!(!public.verify_pss_sha512(b"hello", &sig));
        let other = PublicKey::from_pem(&other_pair().1).unwrap();
        assert!(!other.verify_pkcs1_sha256(b"hello", &sig));
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn pkcs1_public_keys_and_crlf_are_accepted() {
        assert!(PublicKey::from_pem(RFC9421_TEST_KEY_RSA).is_ok());
        let crlf = RFC9421_TEST_KEY_RSA_PSS.replace('\n', "\r\n");
        assert!(PublicKey::from_pem(&crlf).is_ok());
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(PublicKey::from_pem("").unwrap_err(), KeyError::NotPem);
        assert_eq!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----")
                .unwrap_err(),
            KeyError::NotPem
        );
        assert!(matches!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            Err(KeyError::Rejected(_))
        ));
        let huge = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
            "A".repeat(MAX_PEM_BYTES)
        );
        assert_eq!(PublicKey::from_pem(&huge).unwrap_err(), KeyError::NotPem);
        // A private key is not a public key, and the reverse.
        assert_eq!(
            PublicKey::from_pem(&test_pair().0).unwrap_err(),
            KeyError::NotPem
        );
        assert!(SigningKey::from_pem("k", &test_pair().1).is_err());
    }
}
