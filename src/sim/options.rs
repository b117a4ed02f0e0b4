//! How to run a simulation (speed, ports, TLS, SASL) and what can go wrong
//! starting one. A leaf: the scenario parser and the server import it
//! without importing the simulator's facade.

use std::time::Duration;

use crate::snapshot::BrokerId;

/// What can go wrong starting a simulation.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario text is invalid; the message names origin, line and field.
    #[error("invalid scenario: {0}")]
    Scenario(String),
    /// A listener could not be bound.
    #[error("cannot listen on 127.0.0.1:{port} for broker {broker}: {source}")]
    Bind {
        broker: BrokerId,
        port: u16,
        source: std::io::Error,
    },
    /// Options are inconsistent (e.g. wrong number of ports).
    #[error("invalid simulator options: {0}")]
    Options(String),
}

/// How to run a simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// Simulated seconds per wall-clock second (1.0 = real time; 10.0 runs a
    /// 5-minute timeline in 30 s).
    pub speed: f64,
    /// Listener ports, one per broker in id order; `None` lets the OS choose.
    pub ports: Option<Vec<u16>>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            speed: 1.0,
            ports: None,
        }
    }
}

/// A certificate and private key (PEM) the simulated brokers present: with
/// them every listener speaks TLS (Kafka's `SSL` security protocol).
#[derive(Clone)]
pub struct SimTls {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl SimTls {
    /// A throw-away CA and a broker certificate it signed for `localhost`
    /// and 127.0.0.1 (valid two days): `(CA PEM, SimTls)`. Clients verify
    /// the brokers with the CA (`ssl.ca.location`).
    pub fn generate() -> Result<(Vec<u8>, SimTls), String> {
        pki().map_err(|e| format!("cannot generate a test certificate: {e}"))
    }
}

fn pki() -> Result<(Vec<u8>, SimTls), openssl::error::ErrorStack> {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::rsa::Rsa;
    use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectAlternativeName};
    use openssl::x509::{X509Builder, X509Name, X509NameBuilder};

    let name = |cn: &str| -> Result<X509Name, openssl::error::ErrorStack> {
        let mut n = X509NameBuilder::new()?;
        n.append_entry_by_text("CN", cn)?;
        Ok(n.build())
    };
    let cert = |subject: &str, key: &PKey<Private>, serial: u32| {
        let mut b = X509Builder::new()?;
        b.set_version(2)?;
        let serial = BigNum::from_u32(serial)?.to_asn1_integer()?;
        b.set_serial_number(&serial)?;
        let subject = name(subject)?;
        b.set_subject_name(&subject)?;
        b.set_pubkey(key)?;
        let from = Asn1Time::days_from_now(0)?;
        b.set_not_before(&from)?;
        let until = Asn1Time::days_from_now(2)?;
        b.set_not_after(&until)?;
        Ok::<_, openssl::error::ErrorStack>(b)
    };
    let ca_key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let mut ca = cert("isrwatch simulator CA", &ca_key, 1)?;
    let issuer = name("isrwatch simulator CA")?;
    ca.set_issuer_name(&issuer)?;
    ca.append_extension(BasicConstraints::new().critical().ca().build()?)?;
    ca.append_extension(KeyUsage::new().key_cert_sign().crl_sign().build()?)?;
    ca.sign(&ca_key, MessageDigest::sha256())?;
    let ca = ca.build();

    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let mut leaf = cert("localhost", &key, 2)?;
    leaf.set_issuer_name(ca.subject_name())?;
    let san = SubjectAlternativeName::new()
        .dns("localhost")
        .ip("127.0.0.1")
        .build(&leaf.x509v3_context(Some(&ca), None))?;
    leaf.append_extension(san)?;
    leaf.sign(&ca_key, MessageDigest::sha256())?;
    let leaf = leaf.build();
    Ok((
        ca.to_pem()?,
        SimTls {
            cert_pem: leaf.to_pem()?,
            key_pem: key.private_key_to_pem_pkcs8()?,
        },
    ))
}

impl std::fmt::Debug for SimTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimTls { .. }")
    }
}

/// SASL on every listener (Kafka's `SASL_PLAINTEXT`, or `SASL_SSL` with
/// [`SimTls`]): PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for these users.
#[derive(Clone)]
pub struct SimSasl {
    /// `(user, password)` pairs.
    pub users: Vec<(String, String)>,
    /// KIP-368 `connections.max.reauth.ms`: told to clients when they
    /// authenticate; a connection that sends anything but SASL requests
    /// after it has passed is closed, as a broker does.
    pub session_lifetime: Option<Duration>,
}

impl std::fmt::Debug for SimSasl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimSasl { .. }")
    }
}
