//! Renders an export file to a PDF file (`cargo run -p ebr_record --example render_to IN OUT`).
#![allow(clippy::unwrap_used, reason = "a tool")]

fn main() {
    let mut args = std::env::args().skip(1);
    let json = std::fs::read_to_string(args.next().unwrap()).unwrap();
    std::fs::write(
        args.next().unwrap(),
        ebr_record::pdf::render(&json).unwrap(),
    )
    .unwrap();
}
