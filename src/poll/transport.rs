//! How the direct client ([`super::direct`]) reaches brokers: plain TCP, or
//! TLS set up from the same `ssl.*` properties the cluster's librdkafka
//! client gets, so that one configuration means the same thing on both
//! paths.
//!
//! TLS properties understood (librdkafka's meaning and defaults):
//! `ssl.ca.location` (a PEM file, a directory of hashed certificates, or
//! `probe`; default: OpenSSL's default paths), `ssl.certificate.location`,
//! `ssl.key.location`, `ssl.key.password`,
//! `enable.ssl.certificate.verification` (default true),
//! `ssl.endpoint.identification.algorithm` (`https`, the default: the
//! broker's certificate must name the host or IP connected to; `none`).
//! SASL (`SASL_PLAINTEXT`, `SASL_SSL`): `sasl.mechanism` (or
//! `sasl.mechanisms`) PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 with
//! `sasl.username` and `sasl.password` ([`crate::sasl`]).
//! Any other `ssl.*` property, GSSAPI (librdkafka's default mechanism) and
//! OAUTHBEARER leave the cluster to librdkafka
//! ([`Transport::for_properties`] returns `None`): the direct client never
//! half-applies a security setting.

use std::path::Path;
use std::pin::Pin;

use openssl::pkey::PKey;

use crate::sasl::Mechanism;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A connected byte stream, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The `ssl.*` properties the direct client applies itself.
const TLS_KEYS: &[&str] = &[
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.key.location",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
];

/// How to open a connection to a broker: TLS or not, SASL or not.
#[derive(Clone, Default)]
pub struct Transport {
    tls: Option<Tls>,
    sasl: Option<Sasl>,
}

/// TLS settings.
#[derive(Clone)]
struct Tls {
    connector: SslConnector,
    /// Check that the certificate names the broker's host or IP.
    verify_hostname: bool,
}

/// SASL credentials (PLAIN or SCRAM).
#[derive(Clone)]
pub struct Sasl {
    pub mechanism: Mechanism,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("Transport")
            .field("tls", &self.tls.is_some())
            .field(
                "verify_hostname",
                &self.tls.as_ref().map(|t| t.verify_hostname),
            )
            .field("sasl", &self.sasl.as_ref().map(|s| s.mechanism))
            .finish()
    }
}

/// A boolean property as librdkafka reads it.
fn librdkafka_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" => Some(true),
        "false" | "f" | "0" => Some(false),
        _ => None,
    }
}

impl Transport {
    /// Plain TCP, no SASL.
    pub fn plain() -> Transport {
        Transport::default()
    }

    /// The SASL credentials, when the connection must authenticate.
    pub fn sasl(&self) -> Option<&Sasl> {
        self.sasl.as_ref()
    }

    /// Whether connections use TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The transport for a cluster's resolved client properties, or `None`
    /// when the direct client cannot honour them (a SASL mechanism other
    /// than PLAIN or SCRAM, missing credentials, or a TLS property it does
    /// not know). Errors name the property (never its value): e.g. an
    /// unreadable `ssl.key.location`.
    pub fn for_properties(props: &[(String, String)]) -> Result<Option<Transport>, String> {
        let get = |k: &str| {
            props
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let protocol = get("security.protocol")
            .unwrap_or("plaintext")
            .to_ascii_lowercase();
        let (tls, sasl) = match protocol.as_str() {
            "plaintext" => (false, false),
            "ssl" => (true, false),
            "sasl_plaintext" => (false, true),
            "sasl_ssl" => (true, true),
            _ => return Ok(None),
        };
        let mut out = Transport::default();
        if sasl {
            // librdkafka's default mechanism is GSSAPI, left to it.
            // Aliases in librdkafka (the last one set wins there): when
            // they disagree, leave it to librdkafka.
            let (one, many) = (get("sasl.mechanism"), get("sasl.mechanisms"));
            if one.is_some() && many.is_some() && one != many {
                return Ok(None);
            }
            let mechanism = one.or(many).unwrap_or("GSSAPI");
            let (Some(mechanism), Some(username), Some(password)) = (
                Mechanism::parse(mechanism),
                get("sasl.username"),
                get("sasl.password"),
            ) else {
                return Ok(None);
            };
            out.sasl = Some(Sasl {
                mechanism,
                username: username.to_string(),
                password: password.to_string(),
            });
        }
        if !tls {
            return Ok(Some(out));
        }
        let unknown = props.iter().any(|(k, _)| {
            k.starts_with("ssl.") && !TLS_KEYS.contains(&k.as_str()) || k.starts_with("ssl_")
        });
        if unknown {
            return Ok(None);
        }
        let fail = |key: &str, e: &dyn std::fmt::Display| format!("{key}: {e}");
        let mut b = SslConnector::builder(SslMethod::tls_client())
            .map_err(|e| format!("cannot set up TLS: {e}"))?;
        match get("ssl.ca.location") {
            None | Some("probe") => b
                .set_default_verify_paths()
                .map_err(|e| fail("ssl.ca.location", &e))?,
            Some(p) if Path::new(p).is_dir() => b
                .load_verify_locations(None, Some(Path::new(p)))
                .map_err(|e| fail("ssl.ca.location", &e))?,
            Some(p) => b.set_ca_file(p).map_err(|e| fail("ssl.ca.location", &e))?,
        }
        if let Some(cert) = get("ssl.certificate.location") {
            b.set_certificate_chain_file(cert)
                .map_err(|e| fail("ssl.certificate.location", &e))?;
        }
        if let Some(key) = get("ssl.key.location") {
            match get("ssl.key.password") {
                Some(pass) => {
                    let pem = std::fs::read(key).map_err(|e| fail("ssl.key.location", &e))?;
                    let k = PKey::private_key_from_pem_passphrase(&pem, pass.as_bytes()).map_err(
                        |e| fail("ssl.key.location", &format!("cannot decrypt the key: {e}")),
                    )?;
                    b.set_private_key(&k)
                        .map_err(|e| fail("ssl.key.location", &e))?;
                }
                None => {
                    // No password configured: an encrypted key is an error,
                    // never a passphrase prompt on the terminal.
                    let pem = std::fs::read(key).map_err(|e| fail("ssl.key.location", &e))?;
                    let k = PKey::private_key_from_pem_callback(&pem, |_| Ok(0)).map_err(|e| {
                        fail(
                            "ssl.key.location",
                            &format!(
                                "cannot read the key (encrypted without ssl.key.password?): {e}"
                            ),
                        )
                    })?;
                    b.set_private_key(&k)
                        .map_err(|e| fail("ssl.key.location", &e))?;
                }
            }
            b.check_private_key()
                .map_err(|e| fail("ssl.key.location", &e))?;
        }
        let verify = match get("enable.ssl.certificate.verification") {
            None => true,
            Some(v) => match librdkafka_bool(v) {
                Some(b) => b,
                // librdkafka refuses the value; so does its client.
                None => return Ok(None),
            },
        };
        if !verify {
            b.set_verify(SslVerifyMode::NONE);
        }
        let verify_hostname = verify
            && !matches!(
                get("ssl.endpoint.identification.algorithm").map(str::to_ascii_lowercase),
                Some(v) if v == "none"
            );
        out.tls = Some(Tls {
            connector: b.build(),
            verify_hostname,
        });
        Ok(Some(out))
    }

    /// Connects to `addr` (`host:port`); TLS checks the certificate against
    /// `host`.
    pub async fn connect(&self, host: &str, addr: &str) -> Result<Box<dyn Io>, String> {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some(Tls {
                connector,
                verify_hostname,
            }) => {
                let ssl = connector
                    .configure()
                    .and_then(|c| {
                        c.verify_hostname(*verify_hostname)
                            .use_server_name_indication(true)
                            .into_ssl(host)
                    })
                    .map_err(|e| format!("cannot set up TLS for {addr}: {e}"))?;
                let mut s = tokio_openssl::SslStream::new(ssl, tcp)
                    .map_err(|e| format!("cannot set up TLS for {addr}: {e}"))?;
                Pin::new(&mut s)
                    .connect()
                    .await
                    .map_err(|e| format!("TLS handshake with {addr} failed: {e}"))?;
                Ok(Box::new(s))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn which_clusters_the_direct_client_takes() {
        let t = |kv: &[(&str, &str)]| {
            Transport::for_properties(&props(kv))
                .expect("no file to read")
                .map(|t| format!("{t:?}"))
        };
        let plain = "Transport { tls: false, verify_hostname: None, sasl: None }";
        assert_eq!(t(&[]).as_deref(), Some(plain));
        assert_eq!(
            t(&[("security.protocol", "PLAINTEXT")]).as_deref(),
            Some(plain)
        );
        assert_eq!(
            t(&[("security.protocol", "SSL")]).as_deref(),
            Some("Transport { tls: true, verify_hostname: Some(true), sasl: None }")
        );
        assert_eq!(
            t(&[
                ("security.protocol", "ssl"),
                ("ssl.endpoint.identification.algorithm", "none")
            ])
            .as_deref(),
            Some("Transport { tls: true, verify_hostname: Some(false), sasl: None }")
        );
        let scram = [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "isrwatch"),
            ("sasl.password", "hunter2"),
        ];
        let got = t(&scram).expect("SASL_SSL with SCRAM is direct");
        assert_eq!(
            got,
            "Transport { tls: true, verify_hostname: Some(true), sasl: Some(ScramSha512) }"
        );
        assert!(!got.contains("hunter2"));
        assert_eq!(
            t(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanisms", "PLAIN"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ])
            .as_deref(),
            Some("Transport { tls: false, verify_hostname: None, sasl: Some(Plain) }")
        );
        // GSSAPI (librdkafka's default), OAUTHBEARER, missing credentials
        // and TLS settings it does not apply stay with librdkafka.
        assert_eq!(t(&[("security.protocol", "SASL_SSL")]), None);
        assert_eq!(
            t(&[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "OAUTHBEARER")
            ]),
            None
        );
        assert_eq!(
            t(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "PLAIN"),
                ("sasl.username", "u")
            ]),
            None
        );
        assert_eq!(
            t(&[
                ("security.protocol", "SSL"),
                ("ssl.keystore.location", "/k.p12")
            ]),
            None
        );
    }

    #[test]
    fn unreadable_files_name_the_property_not_the_secret() {
        let e = Transport::for_properties(&props(&[
            ("security.protocol", "SSL"),
            ("ssl.ca.location", "/nonexistent/ca.pem"),
        ]))
        .expect_err("missing CA file");
        assert!(e.starts_with("ssl.ca.location: "), "{e}");
        let e = Transport::for_properties(&props(&[
            ("security.protocol", "SSL"),
            ("ssl.key.location", "/nonexistent/key.pem"),
            ("ssl.key.password", "hunter2"),
        ]))
        .expect_err("missing key file");
        assert!(e.starts_with("ssl.key.location: "), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }
}
