//! Shared test fixtures. Depends on nothing but `std`, so the domain crate's
//! tests can include this file directly.

/// The reference MBR file (iPSC → motor-neuron progenitors).
pub const REFERENCE_MBR: &str = include_str!("../../../fixtures/mbr/mnp-als-v1.toml");

/// The five mistakes [`five_mistakes`] injects, as (path, part of the message).
pub const FIVE_MISTAKES: [(&str, &str); 5] = [
    ("stages[1].steps[3].fields[3].action", "low > high"),
    ("stages[2].steps[1].key", "duplicate step key `s2-feed-1`"),
    (
        "stages[7].steps[0].hold_times[0].after",
        "unknown step `s6-no-such-step`",
    ),
    ("stages[1].steps[2].fields[2].unit", "unknown unit `µMol`"),
    ("release_panel", "no (non report-only) sterility test"),
];

/// The reference MBR text with five independent mistakes injected: a
/// contradicting range, a duplicate step key, a hold time pointing at an
/// unknown step, an unknown unit and a release panel without sterility test.
pub fn five_mistakes(text: &str) -> String {
    text.replacen(
        "alert = { min = 80, max = 100 }\naction = { min = 70, max = 100 }",
        "alert = { min = 80, max = 100 }\naction = { min = 100, max = 70 }",
        1,
    )
    .replacen("key = \"s2-passage-1\"", "key = \"s2-feed-1\"", 1)
    .replacen(
        "after = \"s6-harvest-count\", max_minutes = 120",
        "after = \"s6-no-such-step\", max_minutes = 120",
        1,
    )
    .replacen(
        "unit = \"µM\"\ntarget = 10\naction = { min = 9, max = 11 }",
        "unit = \"µMol\"\ntarget = 10\naction = { min = 9, max = 11 }",
        1,
    )
    .replacen("category = \"sterility\"", "category = \"other\"", 1)
}
