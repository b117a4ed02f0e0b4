//! The direct client against fake brokers: bad answers, old brokers,
//! connections the broker closed, partial answers.

use std::time::Duration;

use bytes::{BufMut, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::Encodable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::super::admin::{AdminError, OffsetSpec, PartitionOffset};
use super::super::transport::Transport;
use super::conn::{s, DirectClient};
use super::OFFSETS_PER_REQUEST;
use crate::snapshot::BrokerInfo;

/// A fake broker: answers ApiVersions properly (ListOffsets up to
/// `max_list_offsets`), then answers every other request with `reply`
/// (given the request's correlation id).
async fn fake_broker(
    max_list_offsets: i16,
    reply: fn(i32) -> Vec<u8>,
) -> (BrokerInfo, tokio::task::JoinHandle<()>) {
    fake_broker_closing(max_list_offsets, reply, false).await
}

/// `close`: hang up after each answer other than ApiVersions (as a
/// broker does when it restarts or drops an idle connection).
async fn fake_broker_closing(
    max_list_offsets: i16,
    reply: fn(i32) -> Vec<u8>,
    close: bool,
) -> (BrokerInfo, tokio::task::JoinHandle<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut c, _)) = l.accept().await {
            tokio::spawn(async move {
                loop {
                    let Ok(len) = c.read_i32().await else { return };
                    let mut buf = vec![0u8; len as usize];
                    if c.read_exact(&mut buf).await.is_err() {
                        return;
                    }
                    let key = i16::from_be_bytes([buf[0], buf[1]]);
                    let corr = i32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
                    let out = if key == ApiKey::ApiVersions as i16 {
                        let mut r = ApiVersionsResponse::default();
                        r.api_keys = vec![api_versions_response::ApiVersion::default()
                            .with_api_key(ApiKey::ListOffsets as i16)
                            .with_min_version(0)
                            .with_max_version(max_list_offsets)];
                        let mut b = BytesMut::new();
                        b.put_i32(corr);
                        r.encode(&mut b, 0).unwrap();
                        let mut f = BytesMut::new();
                        f.put_i32(b.len() as i32);
                        f.put_slice(&b);
                        f.to_vec()
                    } else {
                        reply(corr)
                    };
                    if c.write_all(&out).await.is_err() {
                        return;
                    }
                    if close && key != ApiKey::ApiVersions as i16 {
                        return;
                    }
                }
            });
        }
    });
    let b = BrokerInfo {
        id: 1,
        host: "127.0.0.1".into(),
        port: port as i32,
        rack: None,
    };
    (b, task)
}

async fn ask(b: &BrokerInfo) -> Result<Vec<PartitionOffset>, AdminError> {
    let c = DirectClient::new("test", Transport::plain());
    c.set_brokers(std::slice::from_ref(b));
    c.list_offsets(
        1,
        &[("t".to_string(), 0)],
        OffsetSpec::Latest,
        Duration::from_millis(500),
    )
    .await
}

fn frame(corr: i32, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&((4 + body.len()) as i32).to_be_bytes());
    f.extend_from_slice(&corr.to_be_bytes());
    f.extend_from_slice(body);
    f
}

#[tokio::test]
async fn bad_answers_are_errors_naming_the_broker_and_request() {
    type Reply = fn(i32) -> Vec<u8>;
    let cases: [(&str, Reply, &str); 5] = [
        ("garbage body", |c| frame(c, &[0xff; 7]), "cannot decode"),
        // ListOffsets v7: throttle time, then a topics array announcing
        // two billion entries (a varint of 0x7fffffff + 1).
        (
            "huge array",
            |c| frame(c, &[0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x08]),
            "malformed body",
        ),
        (
            "wrong correlation",
            |c| frame(c + 1, &[0]),
            "correlation id",
        ),
        (
            "negative size",
            |_| (-5i32).to_be_bytes().to_vec(),
            "invalid size",
        ),
        (
            "closed mid-frame",
            |_| 100i32.to_be_bytes().to_vec(),
            "no answer",
        ),
    ];
    for (what, reply, want) in cases {
        let (b, task) = fake_broker(7, reply).await;
        let e = ask(&b).await.expect_err(what).to_string();
        assert!(e.starts_with("ListOffsets: broker 1: "), "{what}: {e}");
        assert!(e.contains(want), "{what}: {e}");
        task.abort();
    }
}

#[tokio::test]
async fn too_old_a_broker_and_no_broker_are_clear_errors() {
    let (b, task) = fake_broker(0, |c| frame(c, &[])).await;
    let e = ask(&b).await.expect_err("v0 only").to_string();
    assert!(
        e.contains("no common ListOffsets version (broker 0-0"),
        "{e}"
    );
    task.abort();
    // Nobody listening (the port of a listener just closed).
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let gone = BrokerInfo {
        port: port as i32,
        ..b
    };
    let e = ask(&gone).await.expect_err("refused").to_string();
    assert!(e.contains("cannot connect to 127.0.0.1:"), "{e}");
    // A broker the metadata does not list.
    let c = DirectClient::new("test", Transport::plain());
    let e = c
        .list_offsets(
            9,
            &[("t".into(), 0)],
            OffsetSpec::Earliest,
            Duration::from_millis(100),
        )
        .await
        .expect_err("unknown broker")
        .to_string();
    assert!(
        e.contains("broker 9: broker not in the cluster metadata"),
        "{e}"
    );
}

/// A ListOffsets v7 answer frame: partition 0 of topic `t` at `offset`.
fn offsets_answer(corr: i32, offset: i64) -> Vec<u8> {
    let mut b = BytesMut::new();
    b.put_i32(corr);
    b.put_u8(0); // no tagged fields (header v1)
    ListOffsetsResponse::default()
        .with_topics(vec![
            list_offsets_response::ListOffsetsTopicResponse::default()
                .with_name(TopicName(s("t")))
                .with_partitions(vec![
                    list_offsets_response::ListOffsetsPartitionResponse::default()
                        .with_partition_index(0)
                        .with_offset(offset),
                ]),
        ])
        .encode(&mut b, 7)
        .unwrap();
    let mut f = (b.len() as i32).to_be_bytes().to_vec();
    f.extend_from_slice(&b);
    f
}

#[tokio::test]
async fn a_connection_the_broker_closed_is_reopened_once() {
    fn answer(corr: i32) -> Vec<u8> {
        offsets_answer(corr, 42)
    }
    let (b, task) = fake_broker_closing(7, answer, true).await;
    let c = DirectClient::new("test", Transport::plain());
    c.set_brokers(std::slice::from_ref(&b));
    for round in 0..3 {
        let got = c
            .list_offsets(
                1,
                &[("t".into(), 0)],
                OffsetSpec::Latest,
                Duration::from_secs(2),
            )
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(
            got,
            vec![PartitionOffset {
                index: 0,
                offset: Ok(42)
            }]
        );
    }
    task.abort();
}

#[tokio::test]
async fn a_failed_request_keeps_the_answers_already_read() {
    // The first ListOffsets (correlation 2, after ApiVersions) answers
    // partition 0; the second is garbage.
    fn answer(corr: i32) -> Vec<u8> {
        if corr != 2 {
            return frame(corr, &[0, 0xff, 0xff]);
        }
        offsets_answer(corr, 7)
    }
    let (b, task) = fake_broker(7, answer).await;
    let c = DirectClient::new("test", Transport::plain());
    c.set_brokers(std::slice::from_ref(&b));
    let parts: Vec<(String, i32)> = (0..OFFSETS_PER_REQUEST as i32 + 3)
        .map(|p| ("t".to_string(), p))
        .collect();
    let got = c
        .list_offsets(1, &parts, OffsetSpec::Latest, Duration::from_secs(2))
        .await
        .expect("partial answers are kept");
    assert_eq!(
        got[0],
        PartitionOffset {
            index: 0,
            offset: Ok(7)
        }
    );
    let failed: Vec<usize> = got
        .iter()
        .filter(|a| a.offset.is_err())
        .map(|a| a.index)
        .collect();
    assert_eq!(
        failed,
        (OFFSETS_PER_REQUEST..parts.len()).collect::<Vec<_>>()
    );
    let e = got[1].offset.as_ref().expect_err("second request failed");
    assert!(e.contains("broker 1: cannot decode"), "{e}");
    task.abort();
}
