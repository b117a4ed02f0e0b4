//! The `isrwatch` binary: parses arguments and hands over to the library.

fn main() {
    std::process::exit(isrwatch::cli::main());
}
