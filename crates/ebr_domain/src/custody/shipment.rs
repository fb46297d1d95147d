//! Custody (R47, R48): a shipment of released vials is handed over and
//! received, each end signed; the receipt checks the seal, the vials
//! scanned against those packed, and the temperature-logger file (every
//! reading at or below −150 °C); any discrepancy quarantines the shipment
//! and raises an exception on each batch shipped. The receiving site then
//! records the subject each vial was administered to.

use serde::{Deserialize, Serialize};

use crate::batch_state::BatchStatus;
use crate::number::Number;
use crate::DomainError;

/// The warmest reading a vial may see in transport, °C (LN₂ vapour phase).
pub const MAX_TRANSPORT_C: i64 = -150;

/// Where a shipment stands, from its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    /// Packed, not yet handed over.
    Packed,
    /// With the courier.
    InTransit,
    /// Received without a discrepancy: vials may be administered.
    Received,
    /// Received with a discrepancy: nothing may be administered until QA
    /// has dealt with it.
    Quarantined,
}

impl ShipmentStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Packed => "packed",
            Self::InTransit => "in_transit",
            Self::Received => "received",
            Self::Quarantined => "quarantined",
        }
    }

    /// From the events: handed over or not, received with or without findings.
    pub fn from_events(handed_over: bool, received_findings: Option<usize>) -> ShipmentStatus {
        match (handed_over, received_findings) {
            (_, Some(0)) => Self::Received,
            (_, Some(_)) => Self::Quarantined,
            (true, None) => Self::InTransit,
            (false, None) => Self::Packed,
        }
    }
}

/// A vial as the packing decision sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippableVial {
    /// Serial.
    pub serial: String,
    /// Its batch's status.
    pub batch_status: BatchStatus,
    /// Already in a shipment.
    pub shipped: bool,
}

/// Only vials of released batches ship, each once, at least one per
/// shipment; the shipment names where it goes, the dry shipper and the seal.
pub fn check_packing(vials: &[ShippableVial], fields: &[(&str, &str)]) -> Result<(), DomainError> {
    for (name, value) in fields {
        if value.trim().is_empty() {
            return Err(DomainError::ShipmentState {
                status: "not packed".into(),
                action: format!("pack without {name}"),
            });
        }
    }
    if vials.is_empty() {
        return Err(DomainError::ShipmentState {
            status: "empty".into(),
            action: "ship no vials".into(),
        });
    }
    for v in vials {
        if v.batch_status != BatchStatus::Released {
            return Err(DomainError::VialNotShippable {
                serial: v.serial.clone(),
                why: format!("its batch is {}, not released", v.batch_status.as_str()),
            });
        }
        if v.shipped {
            return Err(DomainError::VialNotShippable {
                serial: v.serial.clone(),
                why: "it is in another shipment".into(),
            });
        }
    }
    Ok(())
}

/// The hand-over happens once, from a packed shipment; the receipt once,
/// after the hand-over.
pub fn check_event(status: ShipmentStatus, receipt: bool) -> Result<(), DomainError> {
    let allowed = if receipt {
        status == ShipmentStatus::InTransit
    } else {
        status == ShipmentStatus::Packed
    };
    if allowed {
        Ok(())
    } else {
        Err(DomainError::ShipmentState {
            status: status.as_str().into(),
            action: if receipt {
                "receive it"
            } else {
                "hand it over"
            }
            .into(),
        })
    }
}

/// What a temperature-logger file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggerSummary {
    /// Readings in the file.
    pub readings: usize,
    /// Coldest reading, °C, as written.
    pub min_c: Option<String>,
    /// Warmest reading, °C, as written.
    pub max_c: Option<String>,
}

/// Reads a logger's CSV export: a header naming a temperature column
/// (`temp…`, case-insensitive), then one reading per line. A line that is
/// not a reading refuses the whole file, naming the line; a file with a
/// header and no readings is accepted as "no logger data".
pub fn parse_logger_csv(text: &str) -> Result<LoggerSummary, DomainError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or(DomainError::LoggerFileInvalid {
        line: 1,
        why: "the file is empty".into(),
    })?;
    let separator = if header.contains(';') { ';' } else { ',' };
    let columns: Vec<&str> = header.split(separator).map(str::trim).collect();
    let temp = columns
        .iter()
        .position(|c| c.to_ascii_lowercase().starts_with("temp"))
        .ok_or(DomainError::LoggerFileInvalid {
            line: 1,
            why: "no temperature column in the header (a column named temp…)".into(),
        })?;
    let mut readings = 0;
    let mut coldest: Option<(Number, String)> = None;
    let mut warmest: Option<(Number, String)> = None;
    for (i, line) in lines {
        let cells: Vec<&str> = line.split(separator).map(str::trim).collect();
        if cells.len() != columns.len() {
            return Err(DomainError::LoggerFileInvalid {
                line: i + 1,
                why: format!(
                    "{} columns where the header has {}",
                    cells.len(),
                    columns.len()
                ),
            });
        }
        let raw = cells.get(temp).copied().unwrap_or_default();
        let value = Number::parse(raw).map_err(|_| DomainError::LoggerFileInvalid {
            line: i + 1,
            why: format!("temperature `{raw}` is not a number"),
        })?;
        readings += 1;
        if coldest.as_ref().is_none_or(|(c, _)| value < *c) {
            coldest = Some((value, raw.to_string()));
        }
        if warmest.as_ref().is_none_or(|(w, _)| value > *w) {
            warmest = Some((value, raw.to_string()));
        }
    }
    Ok(LoggerSummary {
        readings,
        min_c: coldest.map(|(_, raw)| raw),
        max_c: warmest.map(|(_, raw)| raw),
    })
}

/// One discrepancy found at receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptFinding {
    /// Stable code: `vial_missing`, `vial_unexpected`, `seal_broken`,
    /// `seal_mismatch`, `logger_missing`, `temperature_excursion`.
    pub code: String,
    /// The finding in words.
    pub detail: String,
}

/// What the receiving end checked.
#[derive(Debug, Clone)]
pub struct Receipt<'a> {
    /// Serials packed.
    pub packed: &'a [String],
    /// Serials scanned at receipt.
    pub scanned: &'a [String],
    /// Seal applied at hand-over.
    pub seal_applied: &'a str,
    /// Seal read at receipt.
    pub seal_read: &'a str,
    /// Seal intact.
    pub seal_intact: bool,
    /// The logger file's summary, if a file came with the shipment.
    pub logger: Option<&'a LoggerSummary>,
}

/// R48: every discrepancy of a receipt (empty: none).
pub fn assess_receipt(receipt: &Receipt<'_>) -> Vec<ReceiptFinding> {
    let mut findings = Vec::new();
    let mut push = |code: &str, detail: String| {
        findings.push(ReceiptFinding {
            code: code.into(),
            detail,
        })
    };
    for serial in receipt.packed {
        if !receipt.scanned.iter().any(|s| s.trim() == serial) {
            push(
                "vial_missing",
                format!("vial {serial} was packed but not received"),
            );
        }
    }
    for serial in receipt.scanned {
        if !receipt.packed.iter().any(|p| p == serial.trim()) {
            push(
                "vial_unexpected",
                format!(
                    "vial {} was received but not packed in this shipment",
                    serial.trim()
                ),
            );
        }
    }
    if !receipt.seal_intact {
        push("seal_broken", "the seal was broken on arrival".into());
    }
    if receipt.seal_read.trim() != receipt.seal_applied.trim() {
        push(
            "seal_mismatch",
            format!(
                "seal {} read at receipt, {} applied at hand-over",
                receipt.seal_read.trim(),
                receipt.seal_applied
            ),
        );
    }
    match receipt.logger {
        None => push("logger_missing", "no temperature-logger file".into()),
        Some(l) if l.readings == 0 => {
            push("logger_missing", "the logger file holds no readings".into())
        }
        Some(l) => {
            let limit = Number::new(rust_decimal::Decimal::from(MAX_TRANSPORT_C));
            let warmest = l.max_c.as_deref().and_then(|m| Number::parse(m).ok());
            if warmest.is_none_or(|w| w > limit) {
                push(
                    "temperature_excursion",
                    format!(
                        "the logger read up to {} °C; vials must stay at or below {MAX_TRANSPORT_C} °C",
                        l.max_c.as_deref().unwrap_or("?")
                    ),
                );
            }
        }
    }
    findings
}

/// What administering a vial is decided on.
#[derive(Debug, Clone)]
pub struct AdministrationFacts<'a> {
    /// The vial.
    pub serial: &'a str,
    /// Its shipment's status and destination, if shipped.
    pub shipment: Option<(ShipmentStatus, &'a str)>,
    /// Already administered.
    pub administered: bool,
    /// When its shipment was received, if it was.
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// R47: a vial is administered once, at the site its shipment was received
/// at without a discrepancy, to a named subject, after the receipt and not
/// in the future (`now`: the server's clock).
pub fn check_administration(
    facts: &AdministrationFacts<'_>,
    site: &str,
    subject_id: &str,
    administered_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DomainError> {
    let refuse = |why: String| DomainError::VialNotAdministrable {
        serial: facts.serial.to_string(),
        why,
    };
    if subject_id.trim().is_empty() {
        return Err(refuse("the subject ID is missing".into()));
    }
    if facts.administered {
        return Err(refuse("it was administered already".into()));
    }
    match facts.shipment {
        None => Err(refuse("it was never shipped".into())),
        Some((ShipmentStatus::Received, to)) if to == site.trim() => {
            if administered_at > now {
                return Err(refuse("the administration time is in the future".into()));
            }
            if facts.received_at.is_some_and(|r| administered_at < r) {
                return Err(refuse(
                    "the administration time is before the shipment was received".into(),
                ));
            }
            Ok(())
        }
        Some((ShipmentStatus::Received, to)) => Err(refuse(format!(
            "it was shipped to {to}, not to {}",
            site.trim()
        ))),
        Some((status, _)) => Err(refuse(format!("its shipment is {}", status.as_str()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(text: &str) -> LoggerSummary {
        parse_logger_csv(text).unwrap()
    }

    /// R48: the logger's CSV gives its coldest and warmest reading; a wrong
    /// line refuses the whole file, naming the line.
    #[test]
    fn r48_a_logger_file_is_read_whole_or_refused_with_its_wrong_line() {
        let s = summary("time,temperature_c\n2026-12-01T10:00Z,-190.5\n2026-12-01T10:05Z,-178.0\n");
        assert_eq!(s.readings, 2);
        assert_eq!(s.min_c.as_deref(), Some("-190.5"));
        assert_eq!(s.max_c.as_deref(), Some("-178.0"));
        let err = parse_logger_csv("time;Temp (°C)\nt1;-190\nt2;warm\n").unwrap_err();
        assert_eq!(err.rule(), "logger_file_invalid");
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(parse_logger_csv("time,pressure\n").is_err());
        assert!(parse_logger_csv("").is_err());
        assert_eq!(summary("time,temp\n").readings, 0);
    }

    /// R48: a receipt without logger data, above −150 °C, with a broken
    /// seal, or with a missing or extra vial raises findings.
    #[test]
    fn r48_a_receipt_without_logger_data_raises_an_exception() {
        let packed = vec!["V1".to_string(), "V2".to_string()];
        let good = summary("t,temp\na,-190\nb,-160\n");
        let receipt = |scanned: &[String], logger: Option<&LoggerSummary>, intact: bool| {
            let r = Receipt {
                packed: &packed,
                scanned,
                seal_applied: "S1",
                seal_read: "S1",
                seal_intact: intact,
                logger,
            };
            assess_receipt(&r)
                .into_iter()
                .map(|f| f.code)
                .collect::<Vec<_>>()
        };
        assert!(receipt(&packed, Some(&good), true).is_empty());
        assert_eq!(receipt(&packed, None, true), vec!["logger_missing"]);
        let empty = summary("t,temp\n");
        assert_eq!(receipt(&packed, Some(&empty), true), vec!["logger_missing"]);
        let warm = summary("t,temp\na,-190\nb,-149.9\n");
        assert_eq!(
            receipt(&packed, Some(&warm), true),
            vec!["temperature_excursion"]
        );
        let odd = vec!["V1".to_string(), "V9".to_string()];
        assert_eq!(
            receipt(&odd, Some(&good), false),
            vec!["vial_missing", "vial_unexpected", "seal_broken"]
        );
        assert_eq!(
            ShipmentStatus::from_events(true, Some(1)),
            ShipmentStatus::Quarantined
        );
    }

    /// R47: only released vials ship, once; a vial is administered once, at
    /// the site that received it cleanly, to a named subject, between the
    /// receipt and now.
    #[test]
    fn r47_vials_ship_released_and_are_administered_once_where_received() {
        let vial = |status, shipped| ShippableVial {
            serial: "V1".into(),
            batch_status: status,
            shipped,
        };
        let fields = [("a seal", "S1")];
        assert!(check_packing(&[vial(BatchStatus::Released, false)], &fields).is_ok());
        assert_eq!(
            check_packing(&[vial(BatchStatus::ManufacturingComplete, false)], &fields)
                .unwrap_err()
                .rule(),
            "vial_not_shippable"
        );
        assert!(check_packing(&[vial(BatchStatus::Released, true)], &fields).is_err());
        assert!(check_packing(&[vial(BatchStatus::Released, false)], &[("a seal", " ")]).is_err());
        assert!(check_event(ShipmentStatus::Packed, false).is_ok());
        assert_eq!(
            check_event(ShipmentStatus::Packed, true)
                .unwrap_err()
                .rule(),
            "shipment_state"
        );
        let received_at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let now = received_at + chrono::Duration::days(2);
        let at = received_at + chrono::Duration::days(1);
        let facts = |shipment, administered| AdministrationFacts {
            serial: "V1",
            shipment,
            administered,
            received_at: Some(received_at),
        };
        let received = Some((ShipmentStatus::Received, "Site 01"));
        assert!(
            check_administration(&facts(received, false), "Site 01", "ALS-001", at, now).is_ok()
        );
        assert!(
            check_administration(&facts(received, false), "Site 02", "ALS-001", at, now).is_err()
        );
        assert!(
            check_administration(&facts(received, true), "Site 01", "ALS-001", at, now).is_err()
        );
        assert!(check_administration(&facts(received, false), "Site 01", " ", at, now).is_err());
        let early = received_at - chrono::Duration::hours(1);
        assert!(
            check_administration(&facts(received, false), "Site 01", "ALS-001", early, now)
                .is_err()
        );
        assert!(check_administration(
            &facts(received, false),
            "Site 01",
            "ALS-001",
            now + chrono::Duration::hours(1),
            now
        )
        .is_err());
        let quarantined = Some((ShipmentStatus::Quarantined, "Site 01"));
        assert_eq!(
            check_administration(&facts(quarantined, false), "Site 01", "ALS-001", at, now)
                .unwrap_err()
                .rule(),
            "vial_not_administrable"
        );
    }
}
