//! SASL PLAIN and SCRAM-SHA-256/512 (RFC 5802, RFC 7677) as Kafka uses
//! them in SaslAuthenticate: the client side for the direct client
//! (`poll::direct`) and the server side for the simulator, sharing the
//! SCRAM arithmetic. Tested against RFC 7677's example exchange, and in
//! `tests/sim/poll_direct.rs` against librdkafka's own SCRAM client.
//!
//! Not here: GSSAPI and OAUTHBEARER (clusters using them stay on
//! librdkafka), SASLprep of names (names and passwords are used as given,
//! as librdkafka does).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// A SASL mechanism isrwatch speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl Mechanism {
    /// Kafka's name (`sasl.mechanism`): `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`.
    pub fn parse(name: &str) -> Option<Mechanism> {
        // Exact names, as librdkafka compares them.
        match name {
            "PLAIN" => Some(Mechanism::Plain),
            "SCRAM-SHA-256" => Some(Mechanism::ScramSha256),
            "SCRAM-SHA-512" => Some(Mechanism::ScramSha512),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }

    fn hmac(self, key: &[u8], msg: &[u8]) -> Vec<u8> {
        match self {
            Mechanism::ScramSha512 => {
                let mut m = <Hmac<Sha512> as Mac>::new_from_slice(key).expect("any key length");
                m.update(msg);
                m.finalize().into_bytes().to_vec()
            }
            _ => {
                let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
                m.update(msg);
                m.finalize().into_bytes().to_vec()
            }
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Mechanism::ScramSha512 => Sha512::digest(data).to_vec(),
            _ => Sha256::digest(data).to_vec(),
        }
    }

    fn salted_password(self, password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            Mechanism::ScramSha512 => {
                let mut out = [0u8; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(password.as_bytes(), salt, iterations, &mut out);
                out.to_vec()
            }
            _ => {
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
                out.to_vec()
            }
        }
    }
}

/// `n=name` with `=` and `,` escaped (RFC 5802 5.1).
fn escape(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

fn attr(msg: &str, key: char) -> Option<&str> {
    msg.split(',')
        .find_map(|p| p.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// Kafka's SCRAM iteration range (`ScramMechanism.minIterations`, and the
/// most a broker stores).
const MIN_ITERATIONS: u32 = 4096;
const MAX_ITERATIONS: u32 = 16384;

/// Server-chosen text put in an error message: at most 200 characters.
pub fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// The client side of one authentication.
pub struct Client {
    mechanism: Mechanism,
    user: String,
    password: String,
    nonce: String,
    step: ClientStep,
}

enum ClientStep {
    First,
    /// SCRAM: sent client-first; expecting server-first.
    ServerFirst {
        client_first_bare: String,
    },
    /// SCRAM: sent client-final; expecting server-final with this signature.
    ServerFinal {
        server_signature: Vec<u8>,
    },
    Done,
}

impl Client {
    pub fn new(mechanism: Mechanism, user: &str, password: &str) -> Client {
        let nonce: [u8; 18] = rand::random();
        Client::with_nonce(mechanism, user, password, &B64.encode(nonce))
    }

    fn with_nonce(mechanism: Mechanism, user: &str, password: &str, nonce: &str) -> Client {
        Client {
            mechanism,
            user: user.to_string(),
            password: password.to_string(),
            nonce: nonce.to_string(),
            step: ClientStep::First,
        }
    }

    /// The next message to send, given the server's last one (empty for
    /// the first call). `Ok(None)` once authentication is complete.
    /// Errors say what the server got wrong, never the password.
    pub fn next(&mut self, server: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let m = self.mechanism;
        match std::mem::replace(&mut self.step, ClientStep::Done) {
            ClientStep::First if m == Mechanism::Plain => Ok(Some(
                format!("\0{}\0{}", self.user, self.password).into_bytes(),
            )),
            ClientStep::First => {
                let bare = format!("n={},r={}", escape(&self.user), self.nonce);
                let msg = format!("n,,{bare}").into_bytes();
                self.step = ClientStep::ServerFirst {
                    client_first_bare: bare,
                };
                Ok(Some(msg))
            }
            ClientStep::ServerFirst { client_first_bare } => {
                let sf = std::str::from_utf8(server)
                    .map_err(|_| "server-first message is not UTF-8".to_string())?;
                if let Some(e) = attr(sf, 'e') {
                    return Err(format!("server refused: {:?}", short(e)));
                }
                if sf.starts_with("m=") {
                    return Err("server-first message asks for an unknown extension".into());
                }
                let nonce = attr(sf, 'r').ok_or("server-first message without nonce")?;
                if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
                    return Err("server nonce does not extend the client nonce".into());
                }
                let salt = attr(sf, 's')
                    .and_then(|s| B64.decode(s).ok())
                    .ok_or("server-first message without a valid salt")?;
                // Kafka's range: at least 4096 (its minimum, as the Java
                // client checks) and at most 16384 (what brokers store). A
                // huge count would keep this thread hashing for hours.
                let iterations: u32 = attr(sf, 'i')
                    .filter(|i| i.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|i| i.parse().ok())
                    .filter(|i| (MIN_ITERATIONS..=MAX_ITERATIONS).contains(i))
                    .ok_or("server-first message without an iteration count in 4096..=16384")?;
                let salted = m.salted_password(&self.password, &salt, iterations);
                let client_key = m.hmac(&salted, b"Client Key");
                let stored_key = m.hash(&client_key);
                let without_proof = format!("c=biws,r={nonce}");
                let auth_message = format!("{client_first_bare},{sf},{without_proof}");
                let client_signature = m.hmac(&stored_key, auth_message.as_bytes());
                let proof = xor(&client_key, &client_signature);
                let server_key = m.hmac(&salted, b"Server Key");
                self.step = ClientStep::ServerFinal {
                    server_signature: m.hmac(&server_key, auth_message.as_bytes()),
                };
                Ok(Some(
                    format!("{without_proof},p={}", B64.encode(proof)).into_bytes(),
                ))
            }
            ClientStep::ServerFinal { server_signature } => {
                let sf = std::str::from_utf8(server)
                    .map_err(|_| "server-final message is not UTF-8".to_string())?;
                if let Some(e) = attr(sf, 'e') {
                    return Err(format!("server refused: {:?}", short(e)));
                }
                let v = attr(sf, 'v')
                    .and_then(|v| B64.decode(v).ok())
                    .ok_or("server-final message without a signature")?;
                if v != server_signature {
                    return Err("the server's signature is wrong (not the real broker?)".into());
                }
                Ok(None)
            }
            ClientStep::Done => Ok(None),
        }
    }
}

/// The server side (used by the simulator): users and their passwords.
pub struct Server {
    users: Vec<(String, String)>,
    mechanism: Mechanism,
    step: ServerStep,
}

enum ServerStep {
    First,
    ClientFinal {
        client_first_bare: String,
        server_first: String,
        nonce: String,
        salted: Vec<u8>,
    },
    Done,
}

/// Iterations the simulated broker asks for (Kafka's minimum).
const ITERATIONS: u32 = MIN_ITERATIONS;

impl Server {
    pub fn new(mechanism: Mechanism, users: &[(String, String)]) -> Self {
        Server {
            users: users.to_vec(),
            mechanism,
            step: ServerStep::First,
        }
    }

    fn password(&self, user: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.as_str())
    }

    /// Takes the client's message: `Ok((reply, done))`, or an error text
    /// (authentication failed).
    pub fn step(&mut self, client: &[u8]) -> Result<(Vec<u8>, bool), String> {
        let m = self.mechanism;
        let text = std::str::from_utf8(client).map_err(|_| "not UTF-8".to_string())?;
        match std::mem::replace(&mut self.step, ServerStep::Done) {
            ServerStep::First if m == Mechanism::Plain => {
                let mut parts = text.split('\0');
                let (_authz, user, pass) = (parts.next(), parts.next(), parts.next());
                match (user, pass) {
                    (Some(u), Some(p)) if self.password(u) == Some(p) => Ok((Vec::new(), true)),
                    _ => Err("Authentication failed: Invalid username or password".into()),
                }
            }
            ServerStep::First => {
                // "n,," or "n,a=authzid," then the bare message.
                let bare = text
                    .splitn(3, ',')
                    .nth(2)
                    .ok_or("malformed client-first message")?;
                let user = attr(bare, 'n').ok_or("client-first message without a name")?;
                let user = user.replace("=2C", ",").replace("=3D", "=");
                let cnonce = attr(bare, 'r').ok_or("client-first message without nonce")?;
                let password = self.password(&user).ok_or(
                    "Authentication failed during authentication due to invalid credentials",
                )?;
                let salt: [u8; 16] = rand::random();
                let snonce: [u8; 12] = rand::random();
                let nonce = format!("{cnonce}{}", B64.encode(snonce));
                let server_first = format!("r={nonce},s={},i={ITERATIONS}", B64.encode(salt));
                let salted = m.salted_password(password, &salt, ITERATIONS);
                self.step = ServerStep::ClientFinal {
                    client_first_bare: bare.to_string(),
                    server_first: server_first.clone(),
                    nonce,
                    salted,
                };
                Ok((server_first.into_bytes(), false))
            }
            ServerStep::ClientFinal {
                client_first_bare,
                server_first,
                nonce,
                salted,
            } => {
                let proof = attr(text, 'p')
                    .and_then(|p| B64.decode(p).ok())
                    .ok_or("client-final message without a proof")?;
                if attr(text, 'r') != Some(nonce.as_str()) {
                    return Err("client-final message with the wrong nonce".into());
                }
                let without_proof = text
                    .rsplit_once(",p=")
                    .map(|(w, _)| w)
                    .ok_or("malformed client-final message")?;
                let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
                let client_key = m.hmac(&salted, b"Client Key");
                let stored_key = m.hash(&client_key);
                let client_signature = m.hmac(&stored_key, auth_message.as_bytes());
                if proof.len() != client_signature.len()
                    || m.hash(&xor(&proof, &client_signature)) != stored_key
                {
                    return Err(
                        "Authentication failed during authentication due to invalid credentials"
                            .into(),
                    );
                }
                let server_key = m.hmac(&salted, b"Server Key");
                let signature = m.hmac(&server_key, auth_message.as_bytes());
                Ok((format!("v={}", B64.encode(signature)).into_bytes(), true))
            }
            ServerStep::Done => Err("authentication already complete".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3: the SCRAM-SHA-256 example exchange.
    #[test]
    fn rfc_7677_example_exchange() {
        let mut c = Client::with_nonce(
            Mechanism::ScramSha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        );
        let first = c.next(b"").unwrap().unwrap();
        assert_eq!(first, b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first =
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let fin = c.next(server_first).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(fin).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(
            c.next(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
                .unwrap(),
            None
        );
    }

    #[test]
    fn client_and_server_agree_and_refuse_wrong_passwords() {
        let users = vec![("isrwatch".to_string(), "s3cret,=x".to_string())];
        for m in [
            Mechanism::Plain,
            Mechanism::ScramSha256,
            Mechanism::ScramSha512,
        ] {
            for (password, ok) in [("s3cret,=x", true), ("wrong", false)] {
                let mut c = Client::new(m, "isrwatch", password);
                let mut s = Server::new(m, &users);
                let mut from_server = Vec::new();
                let outcome = loop {
                    let Some(msg) = c.next(&from_server).expect("client step") else {
                        break Ok(());
                    };
                    match s.step(&msg) {
                        Ok((reply, done)) => {
                            from_server = reply;
                            if done && m == Mechanism::Plain {
                                break Ok(());
                            }
                        }
                        Err(e) => break Err(e),
                    }
                };
                assert_eq!(outcome.is_ok(), ok, "{m:?} with {password}: {outcome:?}");
                if let Err(e) = outcome {
                    assert!(!e.contains(password), "{e}");
                }
            }
        }
    }

    #[test]
    fn iteration_counts_outside_kafkas_range_are_refused() {
        for i in ["1", "4095", "16385", "4294967295", "+4096"] {
            let mut c = Client::new(Mechanism::ScramSha256, "u", "p");
            let first = String::from_utf8(c.next(b"").unwrap().unwrap()).unwrap();
            let nonce = attr(&first[3..], 'r').unwrap().to_string();
            let sf = format!("r={nonce}xyz,s=c2FsdA==,i={i}");
            let e = c.next(sf.as_bytes()).expect_err(i);
            assert!(e.contains("iteration count"), "{i}: {e}");
        }
    }

    #[test]
    fn a_forged_server_signature_is_refused() {
        let users = vec![("u".to_string(), "p".to_string())];
        let mut c = Client::new(Mechanism::ScramSha512, "u", "p");
        let mut s = Server::new(Mechanism::ScramSha512, &users);
        let first = c.next(b"").unwrap().unwrap();
        let (sf, _) = s.step(&first).unwrap();
        let _final = c.next(&sf).unwrap().unwrap();
        let e = c.next(b"v=AAAA").expect_err("forged");
        assert!(e.contains("signature"), "{e}");
    }
}
