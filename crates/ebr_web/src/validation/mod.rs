//! The validation evidence a site's validation team reads (R51, GAMP 5
//! category 5, CSA): the trace matrix from requirements to the tests that
//! passed on this build (`trace`), and the installation qualification of a
//! live installation (`iq`), and the manifest of a validation pack
//! (`manifest`).

pub mod iq;
pub mod manifest;
pub mod trace;
