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
//! Any other `ssl.*` property, and every SASL protocol, leaves the cluster
//! to librdkafka ([`Transport::for_properties`] returns `None`): the direct
//! client never half-applies a security setting.

use std::path::Path;
use std::pin::Pin;

use openssl::pkey::PKey;
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

/// How to open a connection to a broker.
#[derive(Clone)]
pub enum Transport {
    Plain,
    Tls {
        connector: SslConnector,
        /// Check that the certificate names the broker's host or IP.
        verify_hostname: bool,
    },
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Plain => f.write_str("Plain"),
            Transport::Tls {
                verify_hostname, ..
            } => f
                .debug_struct("Tls")
                .field("verify_hostname", verify_hostname)
                .finish_non_exhaustive(),
        }
    }
}

impl Transport {
    /// The transport for a cluster's resolved client properties, or `None`
    /// when the direct client cannot honour them (SASL, or a TLS property
    /// it does not know). Errors name the property (never its value):
    /// e.g. an unreadable `ssl.key.location`.
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
        match protocol.as_str() {
            "plaintext" => return Ok(Some(Transport::Plain)),
            "ssl" => {}
            _ => return Ok(None),
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
        let verify = !matches!(
            get("enable.ssl.certificate.verification").map(str::to_ascii_lowercase),
            Some(v) if v == "false"
        );
        if !verify {
            b.set_verify(SslVerifyMode::NONE);
        }
        let verify_hostname = verify
            && !matches!(
                get("ssl.endpoint.identification.algorithm").map(str::to_ascii_lowercase),
                Some(v) if v == "none"
            );
        Ok(Some(Transport::Tls {
            connector: b.build(),
            verify_hostname,
        }))
    }

    /// Connects to `addr` (`host:port`); TLS checks the certificate against
    /// `host`.
    pub async fn connect(&self, host: &str, addr: &str) -> Result<Box<dyn Io>, String> {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        match self {
            Transport::Plain => Ok(Box::new(tcp)),
            Transport::Tls {
                connector,
                verify_hostname,
            } => {
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
        let t = |kv: &[(&str, &str)]| Transport::for_properties(&props(kv));
        assert!(matches!(t(&[]), Ok(Some(Transport::Plain))));
        assert!(matches!(
            t(&[("security.protocol", "PLAINTEXT")]),
            Ok(Some(Transport::Plain))
        ));
        assert!(matches!(
            t(&[("security.protocol", "SSL")]),
            Ok(Some(Transport::Tls {
                verify_hostname: true,
                ..
            }))
        ));
        assert!(matches!(
            t(&[
                ("security.protocol", "ssl"),
                ("ssl.endpoint.identification.algorithm", "none")
            ]),
            Ok(Some(Transport::Tls {
                verify_hostname: false,
                ..
            }))
        ));
        // SASL, and TLS settings it does not apply, stay with librdkafka.
        assert!(matches!(t(&[("security.protocol", "SASL_SSL")]), Ok(None)));
        assert!(matches!(
            t(&[("security.protocol", "SASL_PLAINTEXT")]),
            Ok(None)
        ));
        assert!(matches!(
            t(&[
                ("security.protocol", "SSL"),
                ("ssl.keystore.location", "/k.p12")
            ]),
            Ok(None)
        ));
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
