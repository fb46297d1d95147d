//! One module per page or group of pages.

pub mod access_reviews;
pub mod audit;
pub mod batches;
pub mod chain;
pub mod execute;
pub mod home;
pub mod login;
pub mod mbrs;
pub mod qc;
pub mod registry;
pub mod review;
pub mod shipments;
pub mod training;
