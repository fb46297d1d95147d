//! The drug-product release panel.

use serde::{Deserialize, Serialize};

use crate::limits::Range;

/// What a release test establishes. The validator requires the safety and
/// identity categories in [`REQUIRED_RELEASE_CATEGORIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QcCategory {
    /// Visual inspection.
    Appearance,
    /// Identity (markers, STR/HLA).
    Identity,
    /// Purity of the intended population.
    Purity,
    /// Residual undifferentiated pluripotent cells.
    ResidualPsc,
    /// Cell viability.
    Viability,
    /// Viable cells per dose or vial.
    CellDose,
    /// Sterility.
    Sterility,
    /// Mycoplasma.
    Mycoplasma,
    /// Bacterial endotoxin.
    Endotoxin,
    /// Karyotype.
    Karyotype,
    /// Genomic characterisation.
    Genomic,
    /// Adventitious agents.
    AdventitiousAgents,
    /// Potency.
    Potency,
    /// In-use or post-thaw stability.
    Stability,
    /// Anything else.
    Other,
}

/// A release panel for a cell therapy must contain at least one test of each of
/// these categories.
pub const REQUIRED_RELEASE_CATEGORIES: &[QcCategory] = &[
    QcCategory::Sterility,
    QcCategory::Mycoplasma,
    QcCategory::Endotoxin,
    QcCategory::Identity,
    QcCategory::Viability,
];

/// One release test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QcTestDefinition {
    /// Key, unique in the panel.
    pub key: String,
    /// Name of the test.
    pub name: String,
    /// What the test establishes.
    pub category: QcCategory,
    /// The method (e.g. `Ph. Eur. 2.6.1`).
    pub method: String,
    /// A report-only test is recorded and shown but never blocks release.
    #[serde(default)]
    pub report_only: bool,
    /// The MBR's rule for an out-of-specification result: release may proceed
    /// only if this is true and a closed deviation covers the result.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub oos_releasable_with_closed_deviation: bool,
    /// The acceptance criterion.
    #[serde(flatten)]
    pub spec: QcSpecification,
}

/// The acceptance criterion of a release test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "spec", rename_all = "snake_case")]
pub enum QcSpecification {
    /// A numeric result that must lie in `acceptance`.
    Numeric {
        /// The result unit.
        unit: String,
        /// The acceptance range.
        acceptance: Range,
    },
    /// A categorical result that must equal `expected` (e.g. "No growth").
    Expected {
        /// The passing outcome.
        expected: String,
        /// All outcomes an analyst may record; includes `expected`.
        outcomes: Vec<String>,
    },
}
