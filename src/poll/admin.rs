//! A small safe wrapper over the librdkafka admin calls rdkafka does not
//! wrap: `ListOffsets`, `ListConsumerGroups`, `DescribeConsumerGroups` and
//! `ListConsumerGroupOffsets`.
//!
//! Every call follows the same pattern:
//! 1. build the request objects (owned by RAII guards that free them),
//! 2. create a private result queue on the client handle,
//! 3. start the admin operation with that queue,
//! 4. wait on the queue with `rd_kafka_queue_poll` for at most `timeout`,
//! 5. copy everything the caller needs into owned Rust values,
//! 6. free the event (which owns every result pointer read in step 5).
//!
//! The functions block the calling thread: call them inside
//! `tokio::task::spawn_blocking`.
//!
//! Safety overview: all pointers read from a result event are only
//! dereferenced while the event guard is alive; strings are copied out with
//! `cstr`; null pointers are checked before use.

use std::ffi::{c_char, c_int, CStr, CString};
use std::time::Duration;

use rdkafka::bindings as rdsys;
use rdkafka::client::{Client, ClientContext};

/// An admin call that failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// No result arrived before the deadline.
    #[error("{op}: no answer within {timeout_ms} ms")]
    Timeout { op: &'static str, timeout_ms: u64 },
    /// librdkafka or the broker reported an error for the whole request.
    #[error("{op}: {name}: {message}")]
    Kafka {
        op: &'static str,
        name: String,
        message: String,
    },
    /// The request could not be built (e.g. a name with a NUL byte).
    #[error("{op}: invalid argument: {message}")]
    InvalidArgument { op: &'static str, message: String },
    /// A request on isrwatch's own connection to `broker` failed
    /// (connection, timeout, versions, or an answer that does not decode;
    /// see `super::direct`).
    #[error("{op}: broker {broker}: {message}")]
    Broker {
        op: &'static str,
        broker: i32,
        message: String,
    },
}

/// Finds a partition's position in a request list: by binary search when
/// the list is sorted (as the poller builds it), else by a map.
pub(crate) struct PartitionIndex<'a> {
    partitions: &'a [(String, i32)],
    by_name: Option<std::collections::HashMap<(&'a [u8], i32), usize>>,
}

impl<'a> PartitionIndex<'a> {
    pub(crate) fn new(partitions: &'a [(String, i32)]) -> Self {
        let sorted = partitions.windows(2).all(|w| w[0] <= w[1]);
        let by_name = (!sorted).then(|| {
            partitions
                .iter()
                .enumerate()
                .map(|(i, (t, p))| ((t.as_bytes(), *p), i))
                .collect()
        });
        PartitionIndex {
            partitions,
            by_name,
        }
    }

    pub(crate) fn position(&self, topic: &[u8], partition: i32) -> Option<usize> {
        match &self.by_name {
            None => self
                .partitions
                .binary_search_by(|(t, p)| t.as_bytes().cmp(topic).then(p.cmp(&partition)))
                .ok(),
            Some(m) => m.get(&(topic, partition)).copied(),
        }
    }
}

/// Which offset `list_offsets` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The log end offset (high watermark).
    Latest,
}

impl OffsetSpec {
    fn value(self) -> i64 {
        match self {
            OffsetSpec::Earliest => {
                rdsys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_EARLIEST as i64
            }
            OffsetSpec::Latest => rdsys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_LATEST as i64,
        }
    }
}

/// One partition's answer: an offset, or the error name for that partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOffset {
    /// Position of the partition in the list passed to [`list_offsets`]
    /// (answers carry no copy of the topic name: 200,000 of them a poll).
    pub index: usize,
    /// The offset, or the Kafka error name (e.g. `NOT_LEADER_OR_FOLLOWER`).
    pub offset: Result<i64, String>,
}

/// One group from ListConsumerGroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group: String,
    /// Kafka's group state name (`Stable`, `Empty`, ...).
    pub state: String,
    pub simple: bool,
}

/// ListConsumerGroups result: the groups found, and the per-broker errors
/// (the call asks every broker; some may fail while others answer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupList {
    pub groups: Vec<GroupListing>,
    pub errors: Vec<String>,
}

/// One group from DescribeConsumerGroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group: String,
    pub state: String,
    pub simple: bool,
    pub coordinator: Option<i32>,
    pub members: u32,
    /// Partitions assigned to any member.
    pub assigned: Vec<(String, i32)>,
    /// Error for this group, if any.
    pub error: Option<String>,
    /// True when the broker asked is not (or not yet) the coordinator.
    pub not_coordinator: bool,
}

impl GroupDescription {
    /// A group that could not be described: state `Unknown`, no members,
    /// no coordinator (what librdkafka reports for a failed group).
    pub fn failed(group: &str, error: String, not_coordinator: bool) -> Self {
        GroupDescription {
            group: group.to_string(),
            state: "Unknown".into(),
            simple: false,
            coordinator: None,
            members: 0,
            assigned: Vec::new(),
            error: Some(error),
            not_coordinator,
        }
    }
}

/// Committed offsets of one group (ListConsumerGroupOffsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOffsets {
    pub group: String,
    /// `(topic, partition, committed)`; `None` when nothing is committed
    /// (librdkafka reports -1001, "invalid offset").
    pub offsets: Vec<(String, i32, Option<i64>)>,
    pub error: Option<String>,
    /// True when the broker asked is not (or not yet) the coordinator:
    /// ask another broker.
    pub not_coordinator: bool,
}

// ---------------------------------------------------------------------
// RAII guards
// ---------------------------------------------------------------------

struct Queue(*mut rdsys::rd_kafka_queue_t);
impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_queue_new, destroyed once here. The
        // queue is refcounted: an operation still in flight keeps its own
        // reference and its late result is dropped with it.
        unsafe { rdsys::rd_kafka_queue_destroy(self.0) }
    }
}

struct Event(*mut rdsys::rd_kafka_event_t);
impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: returned non-null by rd_kafka_queue_poll, destroyed once.
        // It owns every result object read from it.
        unsafe { rdsys::rd_kafka_event_destroy(self.0) }
    }
}

struct Options(*mut rdsys::rd_kafka_AdminOptions_t);
impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_AdminOptions_new; librdkafka copies
        // options when an operation starts, so freeing them afterwards is fine.
        unsafe { rdsys::rd_kafka_AdminOptions_destroy(self.0) }
    }
}

struct PartitionList(*mut rdsys::rd_kafka_topic_partition_list_t);
impl Drop for PartitionList {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_topic_partition_list_new; the admin
        // calls copy the list, so we keep ownership.
        unsafe { rdsys::rd_kafka_topic_partition_list_destroy(self.0) }
    }
}

impl PartitionList {
    fn new(op: &'static str, parts: &[(String, i32)], offset: i64) -> Result<Self, AdminError> {
        // SAFETY: plain allocation; the guard frees it.
        let list = PartitionList(unsafe {
            rdsys::rd_kafka_topic_partition_list_new(parts.len().min(i32::MAX as usize) as c_int)
        });
        // Partitions of one topic come together: one C string per run.
        let mut t: Option<(&str, CString)> = None;
        for (topic, partition) in parts {
            if t.as_ref().is_none_or(|(name, _)| name != topic) {
                t = Some((topic.as_str(), c_string(op, topic)?));
            }
            let Some((_, ct)) = &t else { continue };
            // SAFETY: list is valid; the topic string is copied by librdkafka.
            let elem = unsafe {
                rdsys::rd_kafka_topic_partition_list_add(list.0, ct.as_ptr(), *partition)
            };
            if !elem.is_null() {
                // SAFETY: elem points into the list we own.
                unsafe { (*elem).offset = offset };
            }
        }
        Ok(list)
    }
}

struct GroupOffsetsRequest(*mut rdsys::rd_kafka_ListConsumerGroupOffsets_t);
impl Drop for GroupOffsetsRequest {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_ListConsumerGroupOffsets_new; the
        // operation copies it.
        unsafe { rdsys::rd_kafka_ListConsumerGroupOffsets_destroy(self.0) }
    }
}

// ---------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------

fn c_string(op: &'static str, s: &str) -> Result<CString, AdminError> {
    CString::new(s).map_err(|_| AdminError::InvalidArgument {
        op,
        message: format!("name contains a NUL byte: {s:?}"),
    })
}

/// Copies a C string; null gives an empty string.
///
/// # Safety
/// `p` must be null or point to a NUL-terminated string valid for the call.
unsafe fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// librdkafka's name and description of a Kafka error code (e.g. 6:
/// `NOT_LEADER_FOR_PARTITION`, `Broker: Not leader for partition`), so that
/// answers read the same whichever path (`direct` or the admin API) got
/// them. `None` for a code librdkafka does not know.
pub(crate) fn kafka_error_desc(code: i16) -> Option<(String, String)> {
    let mut descs: *const rdsys::rd_kafka_err_desc = std::ptr::null();
    let mut n = 0usize;
    // SAFETY: librdkafka points `descs` at its static table of `n` entries.
    unsafe { rdsys::rd_kafka_get_err_descs(&mut descs, &mut n) };
    if descs.is_null() {
        return None;
    }
    // SAFETY: the static table lives as long as the process; entries
    // without a name are holes in it and skipped.
    unsafe {
        std::slice::from_raw_parts(descs, n)
            .iter()
            .find(|d| !d.name.is_null() && d.code as i32 == code as i32)
            .map(|d| (cstr(d.name), cstr(d.desc)))
    }
}

fn err_name(err: rdsys::rd_kafka_resp_err_t) -> String {
    // SAFETY: rd_kafka_err2name returns a static string for every code.
    unsafe { cstr(rdsys::rd_kafka_err2name(err)) }
}

fn timeout_ms(t: Duration) -> c_int {
    t.as_millis().clamp(1, i32::MAX as u128) as c_int
}

/// Copies an `rd_kafka_error_t` (not owned) into a string.
///
/// # Safety
/// `e` must be null or a valid error pointer.
unsafe fn error_text(e: *const rdsys::rd_kafka_error_t) -> Option<String> {
    if e.is_null() {
        return None;
    }
    Some(format!(
        "{}: {}",
        cstr(rdsys::rd_kafka_error_name(e)),
        cstr(rdsys::rd_kafka_error_string(e))
    ))
}

/// Reads a (not owned) partition list into `(topic, partition, offset, err)`.
///
/// # Safety
/// `list` must be null or a valid list pointer.
unsafe fn read_partitions(
    list: *const rdsys::rd_kafka_topic_partition_list_t,
) -> Vec<(String, i32, i64, rdsys::rd_kafka_resp_err_t)> {
    if list.is_null() || (*list).elems.is_null() {
        return Vec::new();
    }
    let n = (*list).cnt.max(0) as usize;
    let elems = std::slice::from_raw_parts((*list).elems, n);
    elems
        .iter()
        .map(|e| (cstr(e.topic), e.partition, e.offset, e.err))
        .collect()
}

fn options(
    op: &'static str,
    rk: *mut rdsys::rd_kafka_t,
    kind: rdsys::rd_kafka_admin_op_t,
    timeout: Duration,
) -> Result<Options, AdminError> {
    options_on(op, rk, kind, timeout, None)
}

/// Admin options; `broker` sends the request to that broker instead of
/// letting librdkafka pick one (for group calls: instead of looking up the
/// group coordinator, see [`describe_consumer_groups`]).
fn options_on(
    op: &'static str,
    rk: *mut rdsys::rd_kafka_t,
    kind: rdsys::rd_kafka_admin_op_t,
    timeout: Duration,
    broker: Option<i32>,
) -> Result<Options, AdminError> {
    // SAFETY: rk is a live client handle (borrowed from `Client`).
    let opts = Options(unsafe { rdsys::rd_kafka_AdminOptions_new(rk, kind) });
    if opts.0.is_null() {
        return Err(AdminError::InvalidArgument {
            op,
            message: "cannot create admin options".into(),
        });
    }
    let mut buf = [0 as c_char; 256];
    // SAFETY: opts is valid, buf is writable for its length.
    let err = unsafe {
        rdsys::rd_kafka_AdminOptions_set_request_timeout(
            opts.0,
            timeout_ms(timeout),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Err(AdminError::InvalidArgument {
            op,
            // SAFETY: librdkafka NUL-terminates errstr.
            message: unsafe { cstr(buf.as_ptr()) },
        });
    }
    if let Some(b) = broker {
        // SAFETY: opts is valid, buf is writable for its length.
        let err = unsafe {
            rdsys::rd_kafka_AdminOptions_set_broker(opts.0, b, buf.as_mut_ptr(), buf.len())
        };
        if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(AdminError::InvalidArgument {
                op,
                // SAFETY: librdkafka NUL-terminates errstr.
                message: unsafe { cstr(buf.as_ptr()) },
            });
        }
    }
    Ok(opts)
}

/// Waits for one result event of `expected` type on `queue`.
fn wait(
    op: &'static str,
    queue: &Queue,
    expected: i32,
    timeout: Duration,
) -> Result<Event, AdminError> {
    // Leave the operation a little slack over its own request timeout so
    // that its timeout error (more precise) arrives before ours.
    let wait_for = timeout + Duration::from_millis(500);
    // SAFETY: queue is valid; the returned event (if any) is ours to free.
    let ev = unsafe { rdsys::rd_kafka_queue_poll(queue.0, timeout_ms(wait_for)) };
    if ev.is_null() {
        return Err(AdminError::Timeout {
            op,
            timeout_ms: wait_for.as_millis() as u64,
        });
    }
    let ev = Event(ev);
    // SAFETY: ev is a valid event.
    let (ty, err) = unsafe {
        (
            rdsys::rd_kafka_event_type(ev.0),
            rdsys::rd_kafka_event_error(ev.0),
        )
    };
    if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Err(AdminError::Kafka {
            op,
            name: err_name(err),
            // SAFETY: valid event; string owned by the event, copied now.
            message: unsafe { cstr(rdsys::rd_kafka_event_error_string(ev.0)) },
        });
    }
    if ty != expected {
        return Err(AdminError::Kafka {
            op,
            name: "UNEXPECTED_EVENT".into(),
            message: format!("expected event type {expected}, got {ty}"),
        });
    }
    Ok(ev)
}

fn new_queue<C: ClientContext>(client: &Client<C>) -> Queue {
    // SAFETY: the client handle outlives this call; the queue guard frees it.
    Queue(unsafe { rdsys::rd_kafka_queue_new(client.native_ptr()) })
}

// ---------------------------------------------------------------------
// the calls
// ---------------------------------------------------------------------

/// ListOffsets for many partitions at once. librdkafka groups the
/// partitions by leader and sends one request per leader broker. Each
/// answer names its partition by position in `partitions` (found by binary
/// search when `partitions` is sorted, as the poller passes it, else by a
/// map).
pub fn list_offsets<C: ClientContext>(
    client: &Client<C>,
    partitions: &[(String, i32)],
    spec: OffsetSpec,
    timeout: Duration,
) -> Result<Vec<PartitionOffset>, AdminError> {
    const OP: &str = "ListOffsets";
    if partitions.is_empty() {
        return Ok(Vec::new());
    }
    let list = PartitionList::new(OP, partitions, spec.value())?;
    let opts = options(
        OP,
        client.native_ptr(),
        rdsys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
        timeout,
    )?;
    let queue = new_queue(client);
    // SAFETY: all pointers valid; librdkafka copies the list and options.
    unsafe { rdsys::rd_kafka_ListOffsets(client.native_ptr(), list.0, opts.0, queue.0) };
    let ev = wait(
        OP,
        &queue,
        rdsys::RD_KAFKA_EVENT_LISTOFFSETS_RESULT,
        timeout,
    )?;
    let index = PartitionIndex::new(partitions);
    let mut out = Vec::with_capacity(partitions.len());
    // SAFETY: ev is a ListOffsets result event; the infos array and each
    // info are owned by it and read while it lives.
    unsafe {
        let res = rdsys::rd_kafka_event_ListOffsets_result(ev.0);
        if res.is_null() {
            return Ok(out);
        }
        let mut n = 0usize;
        let infos = rdsys::rd_kafka_ListOffsets_result_infos(res, &mut n);
        if infos.is_null() {
            return Ok(out);
        }
        for &info in std::slice::from_raw_parts(infos, n) {
            let tp = rdsys::rd_kafka_ListOffsetsResultInfo_topic_partition(info);
            if tp.is_null() {
                continue;
            }
            let tp = &*tp;
            let offset = if tp.err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                Ok(tp.offset)
            } else {
                Err(err_name(tp.err))
            };
            if tp.topic.is_null() {
                continue;
            }
            // A partition we did not ask for is ignored.
            let Some(index) = index.position(CStr::from_ptr(tp.topic).to_bytes(), tp.partition)
            else {
                continue;
            };
            out.push(PartitionOffset { index, offset });
        }
    }
    Ok(out)
}

/// ListConsumerGroups (asks every broker).
pub fn list_consumer_groups<C: ClientContext>(
    client: &Client<C>,
    timeout: Duration,
) -> Result<GroupList, AdminError> {
    const OP: &str = "ListConsumerGroups";
    let opts = options(
        OP,
        client.native_ptr(),
        rdsys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
        timeout,
    )?;
    let queue = new_queue(client);
    // SAFETY: valid handle, options and queue.
    unsafe { rdsys::rd_kafka_ListConsumerGroups(client.native_ptr(), opts.0, queue.0) };
    let ev = wait(
        OP,
        &queue,
        rdsys::RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
        timeout,
    )?;
    let mut out = GroupList::default();
    // SAFETY: result arrays and their elements are owned by `ev`.
    unsafe {
        let res = rdsys::rd_kafka_event_ListConsumerGroups_result(ev.0);
        if res.is_null() {
            return Ok(out);
        }
        let mut n = 0usize;
        let valid = rdsys::rd_kafka_ListConsumerGroups_result_valid(res, &mut n);
        if !valid.is_null() {
            for &g in std::slice::from_raw_parts(valid, n) {
                out.groups.push(GroupListing {
                    group: cstr(rdsys::rd_kafka_ConsumerGroupListing_group_id(g)),
                    state: cstr(rdsys::rd_kafka_consumer_group_state_name(
                        rdsys::rd_kafka_ConsumerGroupListing_state(g),
                    )),
                    simple: rdsys::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) != 0,
                });
            }
        }
        let mut m = 0usize;
        let errs = rdsys::rd_kafka_ListConsumerGroups_result_errors(res, &mut m);
        if !errs.is_null() {
            for &e in std::slice::from_raw_parts(errs, m) {
                if let Some(t) = error_text(e) {
                    out.errors.push(t);
                }
            }
        }
    }
    Ok(out)
}

/// True for the errors meaning "this broker is not (or not yet) the group's
/// coordinator": the group must be looked for on another broker.
fn is_coordinator_error(err: rdsys::rd_kafka_resp_err_t) -> bool {
    use rdsys::rd_kafka_resp_err_t::*;
    matches!(
        err,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR
            | RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE
            | RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS
    )
}

// Why the group calls below take an explicit `broker`
// ----------------------------------------------------
// Without a broker option, librdkafka (2.12) routes DescribeConsumerGroups
// and ListConsumerGroupOffsets through its coordinator lookup
// (`rd_kafka_coord_req`). That path has a reference-count bug: when the
// admin request times out while the lookup is still waiting (coordinator
// down, e.g. a broker that died), and the lookup later completes
// (coordinator back or moved), `rd_kafka_admin_coord_request` drops the
// lookup's reference and returns `__DESTROY`, and `rd_kafka_coord_req_fsm`
// then fails the lookup, whose callback `rd_kafka_admin_coord_response_parse`
// drops the same reference again: use after free, and the process aborts
// on `eonce->refcnt > 0` (rdkafka_queue.h). No timeout value avoids it,
// since the lookup itself never times out. With a broker option the request
// takes the plain "send to broker N" path instead (the one DescribeConfigs
// uses), which handles timeouts and vanished brokers correctly. The caller
// finds each group's coordinator by asking the brokers (a non-coordinator
// answers NOT_COORDINATOR, see [`GroupOffsets::not_coordinator`]).

/// DescribeConsumerGroups for many groups, sent to `broker`, which must be
/// their coordinator (others answer NOT_COORDINATOR for the group).
/// librdkafka sends one request per group.
pub fn describe_consumer_groups<C: ClientContext>(
    client: &Client<C>,
    groups: &[String],
    broker: i32,
    timeout: Duration,
) -> Result<Vec<GroupDescription>, AdminError> {
    const OP: &str = "DescribeConsumerGroups";
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<CString> = groups
        .iter()
        .map(|g| c_string(OP, g))
        .collect::<Result<_, _>>()?;
    let mut ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
    let opts = options_on(
        OP,
        client.native_ptr(),
        rdsys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
        timeout,
        Some(broker),
    )?;
    let queue = new_queue(client);
    // SAFETY: `ptrs` points into `names`, both alive for the call; the
    // names are copied by librdkafka.
    unsafe {
        rdsys::rd_kafka_DescribeConsumerGroups(
            client.native_ptr(),
            ptrs.as_mut_ptr(),
            ptrs.len(),
            opts.0,
            queue.0,
        )
    };
    let ev = wait(
        OP,
        &queue,
        rdsys::RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
        timeout,
    )?;
    let mut out = Vec::with_capacity(groups.len());
    // SAFETY: descriptions, members, nodes and partition lists are owned
    // by `ev` and read while it lives.
    unsafe {
        let res = rdsys::rd_kafka_event_DescribeConsumerGroups_result(ev.0);
        if res.is_null() {
            return Ok(out);
        }
        let mut n = 0usize;
        let descs = rdsys::rd_kafka_DescribeConsumerGroups_result_groups(res, &mut n);
        if descs.is_null() {
            return Ok(out);
        }
        for &d in std::slice::from_raw_parts(descs, n) {
            let node = rdsys::rd_kafka_ConsumerGroupDescription_coordinator(d);
            let coordinator = if node.is_null() {
                None
            } else {
                Some(rdsys::rd_kafka_Node_id(node))
            };
            let members = rdsys::rd_kafka_ConsumerGroupDescription_member_count(d);
            let mut assigned = Vec::new();
            for i in 0..members {
                let m = rdsys::rd_kafka_ConsumerGroupDescription_member(d, i);
                if m.is_null() {
                    continue;
                }
                let a = rdsys::rd_kafka_MemberDescription_assignment(m);
                if a.is_null() {
                    continue;
                }
                let parts = rdsys::rd_kafka_MemberAssignment_partitions(a);
                for (t, p, _, _) in read_partitions(parts) {
                    assigned.push((t, p));
                }
            }
            assigned.sort();
            assigned.dedup();
            let err = rdsys::rd_kafka_ConsumerGroupDescription_error(d);
            out.push(GroupDescription {
                group: cstr(rdsys::rd_kafka_ConsumerGroupDescription_group_id(d)),
                state: cstr(rdsys::rd_kafka_consumer_group_state_name(
                    rdsys::rd_kafka_ConsumerGroupDescription_state(d),
                )),
                simple: rdsys::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d) != 0,
                coordinator,
                members: members.min(u32::MAX as usize) as u32,
                assigned,
                error: error_text(err),
                not_coordinator: !err.is_null()
                    && is_coordinator_error(rdsys::rd_kafka_error_code(err)),
            });
        }
    }
    Ok(out)
}

/// ListConsumerGroupOffsets for several groups, sent to `broker`.
/// librdkafka 2.12 accepts exactly one group per call, so this starts one
/// call per group on a shared queue (they run concurrently, one OffsetFetch
/// per group) and collects the answers until `timeout`.
///
/// `broker` should be the groups' coordinator; a broker that is not answers
/// with a coordinator error ([`GroupOffsets::not_coordinator`]), which is
/// how the poller finds coordinators: it asks every broker.
///
/// `partitions`: `None` asks for every committed partition of the group;
/// `Some(list)` asks for exactly those partitions (needed by brokers, like
/// librdkafka's mock cluster, that do not support "all topics").
///
/// Returns one entry per group, in no particular order: a group whose call
/// failed or that got no answer in time carries `error`.
pub fn list_consumer_group_offsets<C: ClientContext>(
    client: &Client<C>,
    groups: &[String],
    partitions: Option<&[(String, i32)]>,
    broker: i32,
    timeout: Duration,
) -> Result<Vec<GroupOffsets>, AdminError> {
    const OP: &str = "ListConsumerGroupOffsets";
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let list = match partitions {
        Some(p) if !p.is_empty() => Some(PartitionList::new(
            OP,
            p,
            rdsys::RD_KAFKA_OFFSET_INVALID as i64,
        )?),
        _ => None,
    };
    let list_ptr = list.as_ref().map_or(std::ptr::null(), |l| l.0 as *const _);
    let names: Vec<CString> = groups
        .iter()
        .map(|g| c_string(OP, g))
        .collect::<Result<_, _>>()?;
    let queue = new_queue(client);
    for (i, name) in names.iter().enumerate() {
        // One options object per call: its opaque (the group's index + 1)
        // comes back on the result event and says which group it is for.
        let opts = options_on(
            OP,
            client.native_ptr(),
            rdsys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
            timeout,
            Some(broker),
        )?;
        // SAFETY: opts is valid; the opaque is an integer, never dereferenced.
        unsafe { rdsys::rd_kafka_AdminOptions_set_opaque(opts.0, (i + 1) as *mut _) };
        // SAFETY: name and list are valid for the call; the request object
        // copies both and is freed by its guard after the call (the
        // operation copies the request and the options too).
        let req = GroupOffsetsRequest(unsafe {
            rdsys::rd_kafka_ListConsumerGroupOffsets_new(name.as_ptr(), list_ptr)
        });
        let mut arr = [req.0];
        // SAFETY: arr holds one valid request; options and queue are valid.
        unsafe {
            rdsys::rd_kafka_ListConsumerGroupOffsets(
                client.native_ptr(),
                arr.as_mut_ptr(),
                1,
                opts.0,
                queue.0,
            )
        };
    }
    let deadline = std::time::Instant::now() + timeout + Duration::from_millis(500);
    let mut answers: Vec<Option<GroupOffsets>> = vec![None; groups.len()];
    let mut left_to_answer = groups.len();
    while left_to_answer > 0 {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        // SAFETY: valid queue; event freed by its guard.
        let ev = unsafe { rdsys::rd_kafka_queue_poll(queue.0, timeout_ms(left)) };
        if ev.is_null() {
            break;
        }
        let ev = Event(ev);
        // SAFETY: valid event; the opaque is the integer we set.
        let idx = (unsafe { rdsys::rd_kafka_event_opaque(ev.0) } as usize).wrapping_sub(1);
        let Some(slot) = answers.get_mut(idx) else {
            continue;
        };
        if slot.is_some() {
            continue;
        }
        // SAFETY: every pointer read below is owned by `ev`.
        let answer = unsafe { read_group_offsets(&ev, &groups[idx]) };
        *slot = Some(answer);
        left_to_answer -= 1;
    }
    Ok(answers
        .into_iter()
        .zip(groups)
        .map(|(a, g)| {
            a.unwrap_or_else(|| GroupOffsets {
                group: g.clone(),
                offsets: Vec::new(),
                error: Some(format!("{OP}: no answer within {} ms", timeout.as_millis())),
                not_coordinator: false,
            })
        })
        .collect())
}

/// Reads one ListConsumerGroupOffsets result event (for one group).
///
/// # Safety
/// `ev` must be a valid event; pointers read from it are used while it lives.
unsafe fn read_group_offsets(ev: &Event, group: &str) -> GroupOffsets {
    let err = rdsys::rd_kafka_event_error(ev.0);
    if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return GroupOffsets {
            group: group.to_string(),
            offsets: Vec::new(),
            error: Some(format!(
                "{}: {}",
                err_name(err),
                cstr(rdsys::rd_kafka_event_error_string(ev.0))
            )),
            not_coordinator: is_coordinator_error(err),
        };
    }
    let res = rdsys::rd_kafka_event_ListConsumerGroupOffsets_result(ev.0);
    let mut n = 0usize;
    let results = if res.is_null() {
        std::ptr::null_mut()
    } else {
        rdsys::rd_kafka_ListConsumerGroupOffsets_result_groups(res, &mut n)
    };
    if results.is_null() || n == 0 {
        return GroupOffsets {
            group: group.to_string(),
            offsets: Vec::new(),
            error: Some("empty result".to_string()),
            not_coordinator: false,
        };
    }
    let gr = *results;
    let gerr = rdsys::rd_kafka_group_result_error(gr);
    let mut not_coordinator =
        !gerr.is_null() && is_coordinator_error(rdsys::rd_kafka_error_code(gerr));
    let mut error = error_text(gerr);
    let parts = read_partitions(rdsys::rd_kafka_group_result_partitions(gr));
    // Old OffsetFetch versions report the coordinator error per partition.
    if let Some((_, _, _, e)) = parts.iter().find(|(_, _, _, e)| is_coordinator_error(*e)) {
        not_coordinator = true;
        error.get_or_insert_with(|| err_name(*e));
    }
    let offsets = if not_coordinator {
        Vec::new()
    } else {
        parts
            .into_iter()
            .map(|(t, p, off, _)| (t, p, (off >= 0).then_some(off)))
            .collect()
    };
    GroupOffsets {
        group: group.to_string(),
        offsets,
        error,
        not_coordinator,
    }
}

/// Drains the client's main queue without waiting and returns the last
/// librdkafka statistics JSON found (emitted every `statistics.interval.ms`
/// when that property is set). Other main-queue events (logs, errors) are
/// informational for an admin client and are dropped.
pub fn drain_stats<C: ClientContext>(client: &Client<C>) -> Option<String> {
    let rk = client.native_ptr();
    // SAFETY: rd_kafka_queue_get_main returns a new reference to the main
    // queue, released by the guard.
    let main = Queue(unsafe { rdsys::rd_kafka_queue_get_main(rk) });
    if main.0.is_null() {
        return None;
    }
    let mut last = None;
    loop {
        // SAFETY: valid queue; a zero timeout never blocks.
        let ev = unsafe { rdsys::rd_kafka_queue_poll(main.0, 0) };
        if ev.is_null() {
            break;
        }
        let ev = Event(ev);
        // SAFETY: valid event; the stats string is owned by the event and
        // copied before the event is freed.
        unsafe {
            if rdsys::rd_kafka_event_type(ev.0) == rdsys::RD_KAFKA_EVENT_STATS {
                last = Some(cstr(rdsys::rd_kafka_event_stats(ev.0)));
            }
        }
    }
    last
}

/// Controller id and cluster id (`rd_kafka_controllerid`,
/// `rd_kafka_clusterid`), which rdkafka's metadata does not expose. Both
/// come from the client's cached metadata, so call this after a metadata
/// request.
pub fn controller_and_cluster_id<C: ClientContext>(
    client: &Client<C>,
    timeout: Duration,
) -> (Option<i32>, Option<String>) {
    let rk = client.native_ptr();
    // SAFETY: rk is live; controllerid returns -1 when unknown.
    let ctrl = unsafe { rdsys::rd_kafka_controllerid(rk, timeout_ms(timeout)) };
    // SAFETY: clusterid returns null or a string we must free with
    // rd_kafka_mem_free, which we do right after copying it.
    let id = unsafe {
        let p = rdsys::rd_kafka_clusterid(rk, timeout_ms(timeout));
        if p.is_null() {
            None
        } else {
            let s = cstr(p);
            rdsys::rd_kafka_mem_free(rk, p as *mut std::ffi::c_void);
            Some(s)
        }
    };
    ((ctrl >= 0).then_some(ctrl), id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::admin::AdminClient;
    use rdkafka::client::DefaultClientContext;
    use rdkafka::ClientConfig;

    /// A client pointing at a port nobody listens on: every call must come
    /// back with an error or empty answers, within its timeout, no panic.
    fn dead_client() -> AdminClient<DefaultClientContext> {
        ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .set("log_level", "0")
            .create()
            .expect("client")
    }

    #[test]
    fn empty_inputs_need_no_request() {
        let c = dead_client();
        let t = Duration::from_millis(100);
        assert!(list_offsets(c.inner(), &[], OffsetSpec::Latest, t)
            .unwrap()
            .is_empty());
        assert!(describe_consumer_groups(c.inner(), &[], 1, t)
            .unwrap()
            .is_empty());
        assert!(list_consumer_group_offsets(c.inner(), &[], None, 1, t)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn nul_bytes_are_an_error_not_a_panic() {
        let c = dead_client();
        let t = Duration::from_millis(100);
        let e = list_offsets(c.inner(), &[("a\0b".into(), 0)], OffsetSpec::Earliest, t);
        assert!(matches!(e, Err(AdminError::InvalidArgument { .. })));
        let e = describe_consumer_groups(c.inner(), &["g\0".into()], 1, t);
        assert!(matches!(e, Err(AdminError::InvalidArgument { .. })));
    }

    #[test]
    fn unreachable_cluster_gives_errors_within_timeout() {
        let c = dead_client();
        let t = Duration::from_millis(300);
        let start = std::time::Instant::now();
        assert!(list_offsets(c.inner(), &[("t".into(), 0)], OffsetSpec::Latest, t).is_err());
        // Either the whole call fails or the brokers' errors are listed; in
        // both cases no group is invented.
        match list_consumer_groups(c.inner(), t) {
            Ok(l) => assert!(l.groups.is_empty()),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        let r = list_consumer_group_offsets(c.inner(), &["g".into()], None, 1, t).unwrap();
        assert_eq!(r.len(), 1);
        assert!(r[0].error.is_some());
        let (ctrl, id) = controller_and_cluster_id(c.inner(), Duration::from_millis(50));
        assert_eq!((ctrl, id), (None, None));
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
