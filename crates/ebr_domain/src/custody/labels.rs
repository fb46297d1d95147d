//! Labels (R49): printed only from the effective MBR's template at the step
//! that names it, one per serialised vial, numbered; each applied label is
//! scanned back against its vial; reprints need a reason; the labelling
//! step is signed only when printed = applied + destroyed and every vial
//! carries one applied label.

use serde::{Deserialize, Serialize};

use crate::batch_state::BatchStatus;
use crate::mbr::MbrStatus;
use crate::DomainError;

/// The prefix of every label barcode: the format and its version.
pub const BARCODE_PREFIX: &str = "EBR1";

/// Everything printed on one label, in print order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelContent {
    /// Number of the label within the batch (printed as `Label n`).
    pub label_number: i32,
    /// Product code.
    pub product_code: String,
    /// Product name.
    pub product_name: String,
    /// Batch number.
    pub batch_number: String,
    /// `vial` or `box`.
    pub kind: String,
    /// Vial serial (empty on a box label).
    pub vial_serial: String,
    /// How many vials the box holds (a box label only).
    pub vials_in_box: Option<usize>,
    /// Cells per vial, as recorded, with the unit.
    pub cells_per_vial: String,
    /// Fill volume, as recorded, with the unit.
    pub volume: String,
    /// Storage statement.
    pub storage: String,
    /// Expiry date (YYYY-MM-DD).
    pub expiry: String,
    /// Investigational-use statement.
    pub investigational_statement: String,
    /// Chain-of-identity identifier: the donor's DIN and the vial serial.
    pub coi: String,
}

impl LabelContent {
    /// The text the 2D barcode encodes: the identifiers on the label, as
    /// `EBR1|PC:…|LOT:…|SN:…|COI:…|EXP:…|N:…` (a box label: `BOX:<vials>` in
    /// place of `SN:…`).
    pub fn barcode(&self) -> String {
        let unit = match self.vials_in_box {
            Some(n) => format!("BOX:{n}"),
            None => format!("SN:{}", self.vial_serial),
        };
        format!(
            "{BARCODE_PREFIX}|PC:{}|LOT:{}|{unit}|COI:{}|EXP:{}|N:{}",
            self.product_code, self.batch_number, self.coi, self.expiry, self.label_number
        )
    }
}

/// The chain-of-identity identifier printed on a label and encoded in its
/// barcode: the donor's DIN (as keyed) and the vial serial.
pub fn coi_identifier(din: &str, vial_serial: &str) -> String {
    format!("{din}/{vial_serial}")
}

/// The identifiers read back from a scanned label barcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedLabel {
    /// Batch number.
    pub batch_number: String,
    /// Vial serial.
    pub vial_serial: String,
    /// Label number.
    pub label_number: i32,
}

/// Reads a label barcode (a scanner's trailing line break ignored); `None`
/// for anything that is not one.
pub fn parse_barcode(text: &str) -> Option<ScannedLabel> {
    let mut parts = text.trim().split('|');
    if parts.next()? != BARCODE_PREFIX {
        return None;
    }
    let (mut lot, mut serial, mut number) = (None, None, None);
    for part in parts {
        let (key, value) = part.split_once(':')?;
        match key {
            "LOT" => lot = Some(value.to_string()),
            "SN" => serial = Some(value.to_string()),
            "N" => number = value.parse().ok(),
            _ => {}
        }
    }
    Some(ScannedLabel {
        batch_number: lot?,
        vial_serial: serial.unwrap_or_default(),
        label_number: number?,
    })
}

/// What became of a printed label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelState {
    /// Printed, neither applied nor destroyed yet.
    Printed,
    /// Applied and verified by scanning it back against its vial.
    Applied,
    /// Destroyed with a reason.
    Destroyed,
}

impl LabelState {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Printed => "printed",
            Self::Applied => "applied",
            Self::Destroyed => "destroyed",
        }
    }
}

/// A printed label as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelFacts {
    /// Its number.
    pub number: i32,
    /// Its template's key.
    pub template: String,
    /// What it goes on: the vial serial, or the batch number for a box
    /// label.
    pub applied_to: String,
    /// The barcode it carries.
    pub barcode: String,
    /// What became of it.
    pub state: LabelState,
    /// Whether it is a reprint.
    pub reprint: bool,
}

/// What printing may do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintRequest {
    /// The first sheet: one label for every vial.
    All,
    /// A reprint of these labels (each destroyed first), with the reason.
    Reprint {
        /// The labels replaced.
        numbers: Vec<i32>,
        /// Why.
        reason: String,
    },
}

/// One label to print: its number, its template, what it goes on, and
/// which label it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelToPrint {
    /// Label number.
    pub number: i32,
    /// Its template's key.
    pub template: String,
    /// What it goes on: a vial serial, or the batch number (box label).
    pub applied_to: String,
    /// The label it replaces.
    pub reprint_of: Option<i32>,
}

/// The facts printing is decided on.
#[derive(Debug, Clone)]
pub struct PrintFacts<'a> {
    /// The batch's pinned MBR version's status now.
    pub mbr_status: MbrStatus,
    /// The batch's status.
    pub batch_status: BatchStatus,
    /// Whether the labelling step is signed as performed already.
    pub step_signed: bool,
    /// The batch number (what a box label goes on).
    pub batch_number: &'a str,
    /// The step's templates in order: key, and whether it is a box label.
    pub templates: &'a [(String, bool)],
    /// The batch's vial serials.
    pub vials: &'a [String],
    /// Every label printed so far.
    pub labels: &'a [LabelFacts],
}

/// Every label a labelling step must end with applied, as (template, what
/// it goes on): one per vial for each vial template, one per box template.
pub fn expected_labels(
    templates: &[(String, bool)],
    batch_number: &str,
    vials: &[String],
) -> Vec<(String, String)> {
    templates
        .iter()
        .flat_map(|(key, is_box)| {
            if *is_box {
                vec![(key.clone(), batch_number.to_string())]
            } else {
                vials.iter().map(|v| (key.clone(), v.clone())).collect()
            }
        })
        .collect()
}

/// R49: labels are printed from an effective MBR version only (a version
/// superseded while the batch runs still is the batch's approved data), in
/// a batch in progress whose vials exist, before the labelling step is
/// signed; the first sheet covers every vial (and box) once; a reprint
/// replaces a destroyed label and states why. Returns the labels to print,
/// numbered after every label printed before.
pub fn plan_print(
    facts: &PrintFacts<'_>,
    request: &PrintRequest,
) -> Result<Vec<LabelToPrint>, DomainError> {
    if !matches!(
        facts.mbr_status,
        MbrStatus::Effective | MbrStatus::Superseded
    ) {
        return Err(DomainError::LabelTemplateNotEffective {
            status: facts.mbr_status.as_str().into(),
        });
    }
    if facts.batch_status != BatchStatus::InProgress {
        return Err(DomainError::LabelsNotPrintable(format!(
            "the batch is {}",
            facts.batch_status.as_str()
        )));
    }
    if facts.step_signed {
        return Err(DomainError::LabelsNotPrintable(
            "the labelling step is signed already".into(),
        ));
    }
    if facts.vials.is_empty() {
        return Err(DomainError::LabelsNotPrintable(
            "no vials are serialised yet: sign the fill step first".into(),
        ));
    }
    let next = facts.labels.iter().map(|l| l.number).max().unwrap_or(0);
    match request {
        PrintRequest::All => {
            if !facts.labels.is_empty() {
                return Err(DomainError::LabelsNotPrintable(
                    "the labels are printed already; reprint a destroyed label with a reason"
                        .into(),
                ));
            }
            Ok(
                expected_labels(facts.templates, facts.batch_number, facts.vials)
                    .into_iter()
                    .zip(1..)
                    .map(|((template, applied_to), n)| LabelToPrint {
                        number: n,
                        template,
                        applied_to,
                        reprint_of: None,
                    })
                    .collect(),
            )
        }
        PrintRequest::Reprint { numbers, reason } => {
            if reason.trim().is_empty() {
                return Err(DomainError::ReasonRequired("a reprint".into()));
            }
            if numbers.is_empty() {
                return Err(DomainError::LabelsNotPrintable(
                    "name the labels to reprint".into(),
                ));
            }
            let mut out: Vec<LabelToPrint> = Vec::new();
            for (number, n) in numbers.iter().zip(next + 1..) {
                let label = facts
                    .labels
                    .iter()
                    .find(|l| l.number == *number)
                    .ok_or_else(|| DomainError::LabelUnknown(format!("label {number}")))?;
                if label.state != LabelState::Destroyed {
                    return Err(DomainError::LabelsNotPrintable(format!(
                        "label {number} is {}: destroy it (with a reason) before it is reprinted",
                        label.state.as_str()
                    )));
                }
                let same =
                    |template: &str, to: &str| template == label.template && to == label.applied_to;
                if facts
                    .labels
                    .iter()
                    .any(|l| same(&l.template, &l.applied_to) && l.state != LabelState::Destroyed)
                    || out.iter().any(|p| same(&p.template, &p.applied_to))
                {
                    return Err(DomainError::LabelsNotPrintable(format!(
                        "{} has a label already",
                        label.applied_to
                    )));
                }
                out.push(LabelToPrint {
                    number: n,
                    template: label.template.clone(),
                    applied_to: label.applied_to.clone(),
                    reprint_of: Some(*number),
                });
            }
            Ok(out)
        }
    }
}

/// R49: an applied label is verified by scanning its barcode against what
/// it is stuck on (the vial's serial, or the batch number on a box): a code
/// that is no label of this batch, a label already applied or destroyed (a
/// duplicate scan), or a label printed for another vial is refused.
/// Returns the label's number.
pub fn check_scan(
    labels: &[LabelFacts],
    scanned_label: &str,
    applied_to: &str,
) -> Result<i32, DomainError> {
    let scanned = scanned_label.trim();
    let label = labels
        .iter()
        .find(|l| l.barcode == scanned)
        .ok_or_else(|| DomainError::LabelUnknown(scanned.to_string()))?;
    if label.state != LabelState::Printed {
        return Err(DomainError::LabelAlreadyUsed {
            label: label.number,
            state: label.state.as_str().into(),
        });
    }
    if label.applied_to != applied_to.trim() {
        return Err(DomainError::LabelVialMismatch {
            label: label.number,
            expected: label.applied_to.clone(),
            vial: applied_to.trim().to_string(),
        });
    }
    Ok(label.number)
}

/// A printed label that was not applied is destroyed with a reason.
pub fn check_destroy(labels: &[LabelFacts], number: i32, reason: &str) -> Result<(), DomainError> {
    if reason.trim().is_empty() {
        return Err(DomainError::ReasonRequired("destroying a label".into()));
    }
    let label = labels
        .iter()
        .find(|l| l.number == number)
        .ok_or_else(|| DomainError::LabelUnknown(format!("label {number}")))?;
    if label.state != LabelState::Printed {
        return Err(DomainError::LabelAlreadyUsed {
            label: number,
            state: label.state.as_str().into(),
        });
    }
    Ok(())
}

/// The label reconciliation of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// Labels printed (reprints included).
    pub printed: usize,
    /// Applied and verified.
    pub applied: usize,
    /// Destroyed.
    pub destroyed: usize,
    /// Neither.
    pub open: usize,
    /// Reprints.
    pub reprints: usize,
    /// What still lacks its applied label: vial serials, or the batch
    /// number for a box label.
    pub unlabelled: Vec<String>,
}

impl Reconciliation {
    /// Printed = applied + destroyed, and everything labelled.
    pub fn balanced(&self) -> bool {
        self.open == 0 && self.unlabelled.is_empty() && self.printed > 0
    }
}

/// Counts the labels against what must carry one (`expected`, from
/// [`expected_labels`]).
pub fn reconcile(expected: &[(String, String)], labels: &[LabelFacts]) -> Reconciliation {
    let count = |s: LabelState| labels.iter().filter(|l| l.state == s).count();
    Reconciliation {
        printed: labels.len(),
        applied: count(LabelState::Applied),
        destroyed: count(LabelState::Destroyed),
        open: count(LabelState::Printed),
        reprints: labels.iter().filter(|l| l.reprint).count(),
        unlabelled: expected
            .iter()
            .filter(|(template, to)| {
                !labels.iter().any(|l| {
                    &l.template == template && &l.applied_to == to && l.state == LabelState::Applied
                })
            })
            .map(|(_, to)| to.clone())
            .collect(),
    }
}

/// R49: the labelling step is signed only when the labels reconcile.
pub fn check_reconciled(reconciliation: &Reconciliation) -> Result<(), DomainError> {
    if reconciliation.balanced() {
        return Ok(());
    }
    Err(DomainError::LabelsUnreconciled {
        printed: reconciliation.printed,
        applied: reconciliation.applied,
        destroyed: reconciliation.destroyed,
        open: reconciliation.open,
        unlabelled: reconciliation.unlabelled.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vials() -> Vec<String> {
        vec!["B-V001".into(), "B-V002".into()]
    }

    fn expected(vials: &[String]) -> Vec<(String, String)> {
        expected_labels(templates(), "B", vials)
    }

    fn templates() -> &'static [(String, bool)] {
        Box::leak(vec![("vial".to_string(), false)].into_boxed_slice())
    }

    fn label(number: i32, serial: &str, state: LabelState) -> LabelFacts {
        LabelFacts {
            number,
            template: "vial".into(),
            applied_to: serial.into(),
            barcode: format!("EBR1|LOT:B|SN:{serial}|N:{number}"),
            state,
            reprint: false,
        }
    }

    fn facts<'a>(
        status: MbrStatus,
        vials: &'a [String],
        labels: &'a [LabelFacts],
    ) -> PrintFacts<'a> {
        PrintFacts {
            mbr_status: status,
            batch_status: BatchStatus::InProgress,
            step_signed: false,
            batch_number: "B",
            templates: templates(),
            vials,
            labels,
        }
    }

    /// R49: no label before the template's MBR version is effective, nor
    /// after it was retired; the first sheet numbers one label per vial; a
    /// reprint needs a destroyed original and a reason.
    #[test]
    fn r49_labels_print_only_from_an_effective_mbr() {
        let v = vials();
        for status in [MbrStatus::Draft, MbrStatus::Retired] {
            assert_eq!(
                plan_print(&facts(status, &v, &[]), &PrintRequest::All)
                    .unwrap_err()
                    .rule(),
                "label_template_not_effective"
            );
        }
        let sheet = plan_print(&facts(MbrStatus::Effective, &v, &[]), &PrintRequest::All).unwrap();
        assert_eq!(sheet.len(), 2);
        assert_eq!(
            (sheet[1].number, sheet[1].applied_to.as_str()),
            (2, "B-V002")
        );
        let printed = [
            label(1, "B-V001", LabelState::Destroyed),
            label(2, "B-V002", LabelState::Applied),
        ];
        let f = facts(MbrStatus::Effective, &v, &printed);
        assert_eq!(
            plan_print(&f, &PrintRequest::All).unwrap_err().rule(),
            "labels_not_printable"
        );
        let reprint = |numbers: Vec<i32>, reason: &str| {
            plan_print(
                &f,
                &PrintRequest::Reprint {
                    numbers,
                    reason: reason.into(),
                },
            )
        };
        assert_eq!(reprint(vec![1], " ").unwrap_err().rule(), "reason_required");
        assert_eq!(
            reprint(vec![2], "smudged").unwrap_err().rule(),
            "labels_not_printable"
        );
        let again = reprint(vec![1], "smudged").unwrap();
        assert_eq!(again[0].number, 3);
        assert_eq!(again[0].reprint_of, Some(1));
    }

    /// R49: a box template adds one label that goes on the batch's box
    /// (scanned against the batch number) and must be applied too.
    #[test]
    fn r49_a_box_label_is_printed_once_and_reconciled_with_the_vials() {
        let v = vials();
        let both = vec![("vial".to_string(), false), ("box".to_string(), true)];
        let f = PrintFacts {
            templates: &both,
            ..facts(MbrStatus::Effective, &v, &[])
        };
        let sheet = plan_print(&f, &PrintRequest::All).unwrap();
        assert_eq!(sheet.len(), 3);
        assert_eq!(
            (sheet[2].template.as_str(), sheet[2].applied_to.as_str()),
            ("box", "B")
        );
        let expected = expected_labels(&both, "B", &v);
        let mut applied: Vec<LabelFacts> = sheet
            .iter()
            .map(|p| LabelFacts {
                number: p.number,
                template: p.template.clone(),
                applied_to: p.applied_to.clone(),
                barcode: format!("code {}", p.number),
                state: LabelState::Applied,
                reprint: false,
            })
            .collect();
        assert!(check_reconciled(&reconcile(&expected, &applied)).is_ok());
        applied[2].state = LabelState::Printed;
        assert_eq!(
            check_scan(&applied, "code 3", "B-V001").unwrap_err().rule(),
            "label_vial_mismatch"
        );
        assert_eq!(check_scan(&applied, "code 3", "B").unwrap(), 3);
        let r = reconcile(&expected, &applied);
        assert_eq!(r.unlabelled, vec!["B".to_string()]);
    }

    /// R49: a wrong vial, an unknown code or a duplicate scan is refused.
    #[test]
    fn r49_a_wrong_or_duplicate_scan_is_refused() {
        let labels = [
            label(1, "B-V001", LabelState::Printed),
            label(2, "B-V002", LabelState::Applied),
        ];
        assert_eq!(
            check_scan(&labels, &labels[0].barcode, "B-V001\n").unwrap(),
            1
        );
        assert_eq!(
            check_scan(&labels, &labels[0].barcode, "B-V002")
                .unwrap_err()
                .rule(),
            "label_vial_mismatch"
        );
        assert_eq!(
            check_scan(&labels, &labels[1].barcode, "B-V002")
                .unwrap_err()
                .rule(),
            "label_already_used"
        );
        assert_eq!(
            check_scan(&labels, "EBR1|LOT:X", "B-V001")
                .unwrap_err()
                .rule(),
            "label_unknown"
        );
        assert!(check_destroy(&labels, 1, "torn").is_ok());
        assert_eq!(
            check_destroy(&labels, 2, "torn").unwrap_err().rule(),
            "label_already_used"
        );
    }

    /// R49: printed = applied + destroyed and every vial labelled, or the
    /// labelling step cannot be signed.
    #[test]
    fn r49_an_unreconciled_labelling_step_cannot_be_signed() {
        let v = vials();
        let open = [
            label(1, "B-V001", LabelState::Applied),
            label(2, "B-V002", LabelState::Printed),
        ];
        let err = check_reconciled(&reconcile(&expected(&v), &open)).unwrap_err();
        assert_eq!(err.rule(), "labels_unreconciled");
        assert!(err.to_string().contains("1 unaccounted"));
        assert!(check_reconciled(&reconcile(&expected(&v), &[])).is_err());
        let mut done = open.to_vec();
        done[1].state = LabelState::Destroyed;
        let mut reprint = label(3, "B-V002", LabelState::Applied);
        reprint.reprint = true;
        done.push(reprint);
        let r = reconcile(&expected(&v), &done);
        assert_eq!(
            (r.printed, r.applied, r.destroyed, r.reprints),
            (3, 2, 1, 1)
        );
        assert!(check_reconciled(&r).is_ok());
    }

    /// R49, R50: the barcode carries the identifiers and reads back.
    #[test]
    fn r49_r50_the_barcode_encodes_the_identifiers_on_the_label() {
        let content = LabelContent {
            label_number: 7,
            product_code: "MNP-ALS".into(),
            product_name: "MNP".into(),
            batch_number: "BR-1".into(),
            kind: "vial".into(),
            vial_serial: "BR-1-V007".into(),
            vials_in_box: None,
            cells_per_vial: "5.0e7 cells/vial".into(),
            volume: "2.0 mL".into(),
            storage: "≤ −150 °C".into(),
            expiry: "2027-12-01".into(),
            investigational_statement: "Investigational use only".into(),
            coi: coi_identifier("G123498654321H", "BR-1-V007"),
        };
        let code = content.barcode();
        assert_eq!(
            code,
            "EBR1|PC:MNP-ALS|LOT:BR-1|SN:BR-1-V007|COI:G123498654321H/BR-1-V007|EXP:2027-12-01|N:7"
        );
        let back = parse_barcode(&format!("{code}\r\n")).unwrap();
        assert_eq!(
            (back.vial_serial.as_str(), back.label_number),
            ("BR-1-V007", 7)
        );
        assert!(parse_barcode("BR-1-V007").is_none());
        let boxed = LabelContent {
            kind: "box".into(),
            vial_serial: String::new(),
            vials_in_box: Some(10),
            coi: coi_identifier("G123498654321H", "BR-1"),
            ..content
        };
        assert!(boxed.barcode().contains("|BOX:10|COI:G123498654321H/BR-1|"));
    }
}
