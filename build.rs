//! Rebuilds when the lab pack changes: `include_dir!` embeds `labs/` and
//! `solutions/` but, on stable Rust, cannot tell Cargo to watch them.
fn main() {
    println!("cargo:rerun-if-changed=labs");
    println!("cargo:rerun-if-changed=solutions");
}
