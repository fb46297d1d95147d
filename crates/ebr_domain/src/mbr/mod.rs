//! The master batch record (MBR): an ISA-88-style hierarchy of procedure →
//! stages (unit procedures) → steps (operations) → fields (parameters), plus
//! the materials, equipment types and QC release panel it refers to.
//!
//! A [`MasterBatchRecord`] is plain data read from a fixture file or from the
//! database. [`validate`] reports every problem in it with its path; only an
//! MBR with no problems may be stored. The content hash covers the canonical
//! serialization of the whole record.

mod field;
mod file_format;
mod lifecycle;
mod model;
mod qc_panel;
mod validate;

pub use field::{Aim, Field, FieldKind, Rounding};
pub use file_format::parse_toml;
pub use lifecycle::{approve, MbrStatus};
pub use model::{
    BomLine, EquipmentTypeDefinition, HoldTime, HoldTimeReference, LabelTemplate,
    MasterBatchRecord, MaterialDefinition, Product, Stage, Step,
};
pub use qc_panel::{QcCategory, QcSpecification, QcTestDefinition, REQUIRED_RELEASE_CATEGORIES};
pub use validate::{validate, Problem};
