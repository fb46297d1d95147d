//! The MBR hierarchy above the field level.

use serde::{Deserialize, Serialize};

use super::field::Field;
use super::qc_panel::QcTestDefinition;
use crate::canonical::{sha256_hex, to_canonical_json};
use crate::number::Number;

/// A master batch record: the approved recipe a batch is executed against.
/// Order is meaningful: stages and steps run in the order they are listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MasterBatchRecord {
    /// The MBR code; versions of one MBR share it (e.g. `MBR-MNP-001`).
    pub code: String,
    /// A human title.
    pub title: String,
    /// The product made by this procedure.
    pub product: Product,
    /// Scope and notes for the reader.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The material batches start from (e.g. the iPSC working-cell-bank lot);
    /// a batch is issued with a released, unexpired lot of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_material: Option<String>,
    /// The materials that bills of materials and material fields may name.
    #[serde(default)]
    pub materials: Vec<MaterialDefinition>,
    /// The equipment types that steps and equipment fields may name.
    #[serde(default)]
    pub equipment_types: Vec<EquipmentTypeDefinition>,
    /// The unit procedures, in execution order.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// The drug-product release tests.
    #[serde(default)]
    pub release_panel: Vec<QcTestDefinition>,
    /// When this version becomes effective, people qualified on an earlier
    /// version sign a read-and-understood record of it before they perform
    /// or verify its steps (R9).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requires_read_and_understood: bool,
    /// The label templates (R49): labels are printed only from these, only
    /// once this version is effective, at the step that names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_templates: Vec<LabelTemplate>,
}

/// A label template: everything a label carries besides the batch's own
/// identifiers (product, batch number, vial serial, chain-of-identity
/// identifier, label number), which the system fills in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelTemplate {
    /// Key the labelling step names (e.g. `vial`).
    pub key: String,
    /// Name shown to people.
    pub name: String,
    /// What it is stuck on: `vial` (one label per serialised vial) or
    /// `box` (one label for the batch's storage box or bag, naming how many
    /// vials it holds).
    pub kind: String,
    /// The recorded field (`step.field`) that gives the cells per vial.
    pub cells_per_vial: String,
    /// The recorded field (`step.field`) that gives the fill volume.
    pub volume: String,
    /// The storage statement, e.g. `Store at ≤ −150 °C (LN₂ vapour phase)`.
    pub storage: String,
    /// Days from fill to expiry.
    pub shelf_life_days: u32,
    /// The investigational-use statement printed on every label.
    pub investigational_statement: String,
}

/// The product an MBR makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Product code.
    pub code: String,
    /// Product name.
    pub name: String,
}

/// A material that lots are registered against (by `code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialDefinition {
    /// Material code, as printed on lot labels.
    pub code: String,
    /// Material name.
    pub name: String,
}

/// A type of equipment that registered equipment belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquipmentTypeDefinition {
    /// Equipment type code.
    pub code: String,
    /// Equipment type name.
    pub name: String,
}

/// A unit procedure: a named group of steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Key, unique in the MBR.
    pub key: String,
    /// Name shown to operators.
    pub name: String,
    /// The operations, in execution order.
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// An operation: what an operator does, records and signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Key, unique across the whole MBR (hold times refer to it).
    pub key: String,
    /// Name shown to operators.
    pub name: String,
    /// Work instructions.
    pub instructions: String,
    /// A critical step needs a second person's `verified` signature (R45).
    #[serde(default)]
    pub critical: bool,
    /// The materials this step consumes; only their lots may be used (R37).
    #[serde(default)]
    pub bill_of_materials: Vec<BomLine>,
    /// The equipment types this step uses (R8).
    #[serde(default)]
    pub equipment: Vec<String>,
    /// Maximum times between another step and this one.
    #[serde(default)]
    pub hold_times: Vec<HoldTime>,
    /// The parameters recorded in this step.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// The named skills a person needs to record, perform or verify this
    /// step (e.g. `aseptic_fill`); curricula teach them (R9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// The number field (unit `vials`) whose value, when the step is signed
    /// as performed, serialises the final-product vials (R47).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issues_vials: Option<String>,
    /// The label templates this step prints and applies (`"vial"`, or a
    /// list such as `["vial", "box"]`); it is signed as performed only once
    /// every printed label is reconciled (R49).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many"
    )]
    pub prints_labels: Vec<String>,
}

/// A key or a list of keys, as an MBR file may write either.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(key) => vec![key],
        OneOrMany::Many(keys) => keys,
    })
}

/// One line of a step's bill of materials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BomLine {
    /// The material code.
    pub material: String,
    /// Planned quantity, if fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Number>,
    /// Unit of the planned quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A hold-time limit: this step must start at most `max_minutes` after the
/// `after` step's start or end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldTime {
    /// Key of the earlier step the time is measured from.
    pub after: String,
    /// Whether the clock starts at the earlier step's start or its completion.
    #[serde(default)]
    pub measured_from: HoldTimeReference,
    /// The limit in minutes.
    pub max_minutes: u32,
    /// Why the limit exists (e.g. DMSO contact before freezing).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Which moment of the earlier step a hold time is measured from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldTimeReference {
    /// From the earlier step's first entry.
    Start,
    /// From the earlier step's `performed` signature.
    #[default]
    End,
}

impl MasterBatchRecord {
    /// Every step in execution order, with its stage.
    pub fn steps(&self) -> impl Iterator<Item = (&Stage, &Step)> {
        self.stages
            .iter()
            .flat_map(|stage| stage.steps.iter().map(move |step| (stage, step)))
    }

    /// The step with this key, if any.
    pub fn step(&self, key: &str) -> Option<&Step> {
        self.steps().map(|(_, s)| s).find(|s| s.key == key)
    }

    /// The canonical JSON text of this MBR; the content hash is its SHA-256.
    pub fn canonical_json(&self) -> String {
        // Serializing plain structs of strings, bools and integers cannot fail.
        to_canonical_json(self).unwrap_or_default()
    }

    /// SHA-256 (hex) of [`MasterBatchRecord::canonical_json`].
    pub fn content_hash(&self) -> String {
        sha256_hex(self.canonical_json().as_bytes())
    }
}
