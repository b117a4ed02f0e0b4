//! `isrwatch probe URL`, the container health check: exit 0 on 2xx, 1 on
//! any other answer or none, 2 on a bad URL.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

/// Answers every connection with `status` (a tiny HTTP/1.1 server).
fn serve(status: &'static str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = "ok";
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/healthz")
}

fn probe(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_isrwatch"))
        .arg("probe")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn healthy_answer_exits_0() {
    let (code, out) = probe(&[&serve("200 OK")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("200"), "{out}");
}

#[test]
fn unhealthy_answer_exits_1() {
    let (code, out) = probe(&[&serve("503 Service Unavailable")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("503"), "{out}");
}

#[test]
fn nobody_listening_exits_1() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, out) = probe(&[
        &format!("http://127.0.0.1:{port}/healthz"),
        "--timeout",
        "1s",
    ]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn silent_server_times_out_with_exit_1() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/healthz", l.local_addr().unwrap());
    // Accepts, never answers.
    let (code, out) = probe(&[&url, "--timeout", "300ms"]);
    drop(l);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no answer within"), "{out}");
}

#[test]
fn bad_url_exits_2_and_says_why() {
    let (code, out) = probe(&["localhost:9309/healthz"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("probe URL"), "{out}");
    let (code, out) = probe(&["ftp://127.0.0.1/x"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("http://"), "{out}");
}
