//! The `perflab` binary: everything lives in the library; this only runs the
//! CLI, on mimalloc (the shop allocates per request on every worker thread,
//! and glibc's malloc made them wait on its arena locks; BENCHMARKS, "Block 3").

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    perflab::cli::main()
}
