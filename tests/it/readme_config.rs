//! The README's configuration reference is the shipped example, verbatim,
//! so the two cannot drift apart.

#[test]
fn readme_embeds_the_example_configuration() {
    let readme = include_str!("../../README.md");
    let example = isrwatch::config::example();
    assert!(
        readme.contains(example.trim_end()),
        "README.md's configuration section must be src/config/example.toml verbatim"
    );
    for cmd in ["cargo run --release -- demo", "./test.sh"] {
        assert!(readme.contains(cmd), "README quick start lacks {cmd}");
    }
}
