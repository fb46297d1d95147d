//! The `ebr` binary: see `ebr --help`.

fn main() -> std::process::ExitCode {
    ebr_web::cli::main()
}
