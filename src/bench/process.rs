//! This process's CPU time and memory, as the benchmarks report them. A
//! leaf: the child process and the scale bench import it.

use std::time::Duration;

/// CPU time (user + system) used by this process so far.
pub fn process_cpu_time() -> Duration {
    // SAFETY: getrusage writes into the struct we pass and has no other effect.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    if rc != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Peak resident set size of this process, in bytes (Linux `VmHWM`).
pub fn peak_rss_bytes() -> u64 {
    read_status_kb("VmHWM:") * 1024
}

/// Current resident set size of this process, in bytes (Linux `VmRSS`).
pub fn rss_bytes() -> u64 {
    read_status_kb("VmRSS:") * 1024
}

fn read_status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn process_figures_are_read() {
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(super::peak_rss_bytes() > 0);
        assert!(super::rss_bytes() > 0);
        let _ = super::process_cpu_time();
    }
}
