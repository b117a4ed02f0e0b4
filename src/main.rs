//! The `isrwatch` binary: parses arguments and hands over to the library.

fn main() {
    limit_malloc_arenas();
    std::process::exit(isrwatch::cli::main());
}

/// glibc gives each thread that allocates under contention an arena of its
/// own, up to eight per core, and keeps what they freed. The API's worker
/// threads serving 200 clients at once left some 20 MB more resident at
/// 100k partitions (`bench scale`, docs/benchmarks.md) for no speed the
/// daemon needs; two arenas keep the workers from queueing on one lock.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
