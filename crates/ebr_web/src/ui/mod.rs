//! The browser pages: server-rendered askama templates with one small
//! script, every asset served by ebr itself.
//!
//! Pages read through the same functions as the JSON API and are guarded by
//! the same authorization table (`auth::rules`); every change a page makes is
//! a call of the JSON API from the page script, so the rules, signatures and
//! audit trail are the API's own, not a second copy. Words come from the
//! message catalogues in [`i18n`]; [`csrf`] guards every state-changing
//! request.

pub mod assets;
pub mod csrf;
pub mod i18n;
pub mod page;
pub mod pages;
pub mod routes;
pub mod views;
