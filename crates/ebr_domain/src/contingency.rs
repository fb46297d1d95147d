//! Business continuity (R27): when ebr cannot be used, a step is recorded
//! on a serial-numbered paper form printed from the batch's MBR; its values
//! are re-entered later, once, and flagged as transcribed from that form.

use crate::batch_state::BatchStatus;
use crate::DomainError;

/// The serial of the `n`th form of a batch: `CF-<batch number>-<n>`.
pub fn form_serial(batch_number: &str, n: usize) -> String {
    format!("CF-{batch_number}-{n:03}")
}

/// A form is printed for a step of the batch's MBR while the batch can
/// still be recorded.
pub fn check_issue(
    status: BatchStatus,
    step_exists: bool,
    step_key: &str,
) -> Result<(), DomainError> {
    if !step_exists {
        return Err(DomainError::UnknownStep(step_key.to_string()));
    }
    if !matches!(
        status,
        BatchStatus::Planned | BatchStatus::InProgress | BatchStatus::ManufacturingComplete
    ) {
        return Err(DomainError::BatchClosed {
            status: status.as_str().into(),
        });
    }
    Ok(())
}

/// A form as loaded for a transcription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormFacts {
    /// The step it records.
    pub step_key: String,
    /// Whether it was re-entered already.
    pub transcribed: bool,
}

/// R27: values are transcribed from a form of this batch, for this step,
/// once; an unknown serial or a second transcription is refused.
pub fn check_transcription(
    serial: &str,
    form: Option<&FormFacts>,
    step_key: &str,
) -> Result<(), DomainError> {
    let form =
        form.ok_or_else(|| DomainError::ContingencyFormUnknown(serial.trim().to_string()))?;
    if form.step_key != step_key {
        return Err(DomainError::ContingencyFormUnknown(format!(
            "{} (it is a form of step {}, not {step_key})",
            serial.trim(),
            form.step_key
        )));
    }
    if form.transcribed {
        return Err(DomainError::ContingencyFormTranscribed(
            serial.trim().to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R27: forms are numbered per batch; a form is transcribed once, into
    /// its own step; an unknown serial is refused.
    #[test]
    fn r27_a_paper_form_is_transcribed_once_into_its_own_step() {
        assert_eq!(form_serial("BR-1", 7), "CF-BR-1-007");
        assert!(check_issue(BatchStatus::InProgress, true, "s1").is_ok());
        assert_eq!(
            check_issue(BatchStatus::Released, true, "s1")
                .unwrap_err()
                .rule(),
            "batch_closed"
        );
        assert_eq!(
            check_issue(BatchStatus::InProgress, false, "sx")
                .unwrap_err()
                .rule(),
            "unknown_step"
        );
        let form = FormFacts {
            step_key: "s1".into(),
            transcribed: false,
        };
        assert!(check_transcription("CF-BR-1-001", Some(&form), "s1").is_ok());
        assert_eq!(
            check_transcription("CF-BR-1-001", Some(&form), "s2")
                .unwrap_err()
                .rule(),
            "contingency_form_unknown"
        );
        assert_eq!(
            check_transcription("CF-X", None, "s1").unwrap_err().rule(),
            "contingency_form_unknown"
        );
        let done = FormFacts {
            transcribed: true,
            ..form
        };
        assert_eq!(
            check_transcription("CF-BR-1-001", Some(&done), "s1")
                .unwrap_err()
                .rule(),
            "contingency_form_transcribed"
        );
    }
}
