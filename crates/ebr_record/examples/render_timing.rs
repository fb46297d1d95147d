//! Renders an export file several times and prints where the time goes
//! (`EBR_PDF_TIMING=1 cargo run --release -p ebr_record --example render_timing FILE`).
#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "a measuring tool")]

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let json = std::fs::read_to_string(path).unwrap();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let pdf = ebr_record::pdf::render(&json).unwrap();
        println!("{:?} {} bytes", t.elapsed(), pdf.len());
    }
}
