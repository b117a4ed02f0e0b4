//! ListGroups and DescribeGroups (members, subscriptions, assignments).

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::*;

use super::coordinator::fnv_key;
use super::frame::s;
use crate::sim::state::ClusterState;
use crate::sim::state::{group_state, GroupMode};

pub(super) fn list_groups(
    st: &ClusterState,
    broker: i32,
    req: &ListGroupsRequest,
) -> ListGroupsResponse {
    let mut r = ListGroupsResponse::default();
    for g in &st.groups {
        if g.mode == GroupMode::Deleted || st.coordinator_of_hash(g.hash) != broker {
            continue;
        }
        let state = group_state(g);
        if !req.states_filter.is_empty()
            && !req
                .states_filter
                .iter()
                .any(|f| f.as_str().eq_ignore_ascii_case(state))
        {
            continue;
        }
        r.groups.push(
            list_groups_response::ListedGroup::default()
                .with_group_id(GroupId(s(g.name.clone())))
                .with_protocol_type(s("consumer"))
                .with_group_state(s(state)),
        );
    }
    r
}

/// Consumer protocol subscription (member metadata) for `topics`.
fn subscription(topics: &[&str]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_i16(0);
    b.put_i32(topics.len() as i32);
    for t in topics {
        b.put_i16(t.len() as i16);
        b.put_slice(t.as_bytes());
    }
    b.put_i32(-1);
    b.freeze()
}

/// Consumer protocol assignment.
fn assignment(parts: &[(&str, Vec<i32>)]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_i16(0);
    b.put_i32(parts.len() as i32);
    for (t, ps) in parts {
        b.put_i16(t.len() as i16);
        b.put_slice(t.as_bytes());
        b.put_i32(ps.len() as i32);
        for p in ps {
            b.put_i32(*p);
        }
    }
    b.put_i32(-1);
    b.freeze()
}

pub(super) fn describe_groups(
    st: &ClusterState,
    broker: i32,
    req: &DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let mut r = DescribeGroupsResponse::default();
    for gid in &req.groups {
        let name = gid.0.as_str();
        let mut d = describe_groups_response::DescribedGroup::default().with_group_id(gid.clone());
        if st.coordinator_of_hash(fnv_key(name)) != broker {
            d.error_code = ResponseError::NotCoordinator.code();
            r.groups.push(d);
            continue;
        }
        let g = st
            .group_index
            .get(name)
            .map(|&i| &st.groups[i])
            .filter(|g| g.mode != GroupMode::Deleted);
        let Some(g) = g else {
            d.group_state = s("Dead");
            r.groups.push(d);
            continue;
        };
        d.group_state = s(group_state(g));
        d.protocol_type = s("consumer");
        if g.mode != GroupMode::Stopped {
            d.protocol_data = s("range");
            let names: Vec<&str> = g
                .topics
                .iter()
                .map(|&ti| st.topics[ti].name.as_str())
                .collect();
            // A subscribed topic that does not exist is in the
            // subscription, not in the assignment.
            let sub = subscription(&names);
            let n = g.members.max(1) as usize;
            for m in 0..n {
                let parts: Vec<(&str, Vec<i32>)> = g
                    .topics
                    .iter()
                    .enumerate()
                    .filter(|(_, &ti)| st.topics[ti].exists)
                    .map(|(k, &ti)| {
                        let t = &st.topics[ti];
                        let ps = (0..g.described(k).min(t.partitions.len()))
                            .filter(|p| p % n == m)
                            .map(|p| p as i32)
                            .collect();
                        (t.name.as_str(), ps)
                    })
                    .collect();
                d.members.push(
                    describe_groups_response::DescribedGroupMember::default()
                        .with_member_id(s(format!(
                            "consumer-{name}-{m}-{:08x}",
                            g.hash as u32 ^ m as u32
                        )))
                        .with_client_id(s(format!("consumer-{name}-{m}")))
                        .with_client_host(s(format!("/10.0.0.{}", 10 + m)))
                        .with_member_metadata(sub.clone())
                        .with_member_assignment(assignment(&parts)),
                );
            }
        }
        r.groups.push(d);
    }
    r
}
