//! Authentication, authorization and the electronic-signature ceremony.

pub mod current;
pub mod middleware;
pub mod password;
pub mod rules;
pub mod session;
pub mod signature;
