//! ISBT 128 Donation Identification Numbers (R50): the identifier a donor's
//! donation carries from the collection through the cell banks to every
//! vial's Chain-of-Identity.
//!
//! A DIN (ISBT 128 data structure 001) is 13 characters: the facility
//! identification number (one letter, A–N or P–Z, and four digits), the
//! year (two digits) and a serial number (six digits). Labels print it with
//! a check character computed by ISO 7064 Mod 37-2 over those 13 characters;
//! people key it with that character, which catches a mistyped or swapped
//! character. Bar codes carry it as `=` + the 13 characters + two flag
//! characters, without the check character.

use crate::DomainError;

/// The ISO 7064 Mod 37-2 alphabet: 0–9, A–Z, then `*` for 36.
const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

fn value_of(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        'A'..='Z' => Some(u32::from(c) - u32::from('A') + 10),
        _ => None,
    }
}

/// The ISO 7064 Mod 37-2 check character of `data` (digits and capital
/// letters); `None` when `data` holds anything else.
pub fn check_character(data: &str) -> Option<char> {
    let mut sum = 0u32;
    for c in data.chars() {
        sum = ((sum + value_of(c)?) * 2) % 37;
    }
    let check = (38 - sum) % 37;
    ALPHABET
        .get(usize::try_from(check).ok()?)
        .map(|b| char::from(*b))
}

/// A valid Donation Identification Number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Din {
    /// The 13 data characters, e.g. `G123498654321`.
    data: String,
}

fn invalid(text: &str, why: &str) -> DomainError {
    DomainError::DinInvalid {
        din: text.to_string(),
        why: why.to_string(),
    }
}

/// Checks the 13 data characters' structure: facility letter (not O), four
/// digits, two-digit year, six-digit serial.
fn check_structure(text: &str, data: &str) -> Result<(), DomainError> {
    let chars: Vec<char> = data.chars().collect();
    if chars.len() != 13 {
        return Err(invalid(
            text,
            "a DIN has 13 characters before its check character (e.g. G1234 26 000001 plus the boxed check character)",
        ));
    }
    let first_is_letter = chars
        .first()
        .is_some_and(|c| c.is_ascii_uppercase() && *c != 'O');
    if !first_is_letter {
        return Err(invalid(
            text,
            "it must begin with the facility's letter (A–N or P–Z)",
        ));
    }
    if !chars.iter().skip(1).all(char::is_ascii_digit) {
        return Err(invalid(
            text,
            "after the facility's letter a DIN has only digits (facility number, year, serial number)",
        ));
    }
    Ok(())
}

impl Din {
    /// A DIN as people key it from the label: the 13 characters and the
    /// check character, spaces ignored, letters in either case. A wrong
    /// check character is refused (`din_check_character`) without saying
    /// which one is right: the label is to be read again.
    pub fn parse_keyed(text: &str) -> Result<Din, DomainError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let mut chars = compact.chars();
        let given = chars.next_back();
        let data: String = chars.collect();
        if compact.chars().count() == 13 && check_structure(text, &compact).is_ok() {
            return Err(invalid(
                text,
                "the check character is missing: key the boxed character printed after the DIN too",
            ));
        }
        check_structure(text, &data)?;
        if given != check_character(&data) {
            return Err(DomainError::DinCheckCharacterWrong(text.to_string()));
        }
        Ok(Din { data })
    }

    /// A DIN as a bar code carries it: `=`, the 13 characters and two flag
    /// characters (no check character).
    pub fn parse_scanned(text: &str) -> Result<Din, DomainError> {
        let Some(rest) = text.trim().strip_prefix('=') else {
            return Err(invalid(
                text,
                "a scanned DIN begins with '=' (ISBT 128 data structure 001)",
            ));
        };
        if rest.chars().count() != 15 {
            return Err(invalid(
                text,
                "a scanned DIN is '=', 13 characters and 2 flag characters",
            ));
        }
        let data: String = rest.chars().take(13).collect();
        check_structure(text, &data)?;
        Ok(Din { data })
    }

    /// The 13 data characters, e.g. `G123498654321`.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The facility identification number, e.g. `G1234`.
    pub fn facility(&self) -> &str {
        self.data.get(..5).unwrap_or_default()
    }

    /// The check character the label prints in a box.
    pub fn check(&self) -> char {
        // The data were checked to be digits and capital letters.
        check_character(&self.data).unwrap_or('?')
    }

    /// The DIN with its check character, as keyed and stored: `G123498654321H`.
    pub fn keyed(&self) -> String {
        format!("{}{}", self.data, self.check())
    }

    /// The eye-readable form on a label: `G1234 98 654321 H`.
    pub fn eye_readable(&self) -> String {
        format!(
            "{} {} {} {}",
            self.facility(),
            self.data.get(5..7).unwrap_or_default(),
            self.data.get(7..).unwrap_or_default(),
            self.check()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R50: the ISBT 128 example — `G123498654321` has check character `H`.
    #[test]
    fn r50_the_check_character_of_the_isbt_example_is_h() {
        assert_eq!(check_character("G123498654321"), Some('H'));
        let din = Din::parse_keyed("G123498654321H").unwrap();
        assert_eq!(din.data(), "G123498654321");
        assert_eq!(din.facility(), "G1234");
        assert_eq!(din.keyed(), "G123498654321H");
        assert_eq!(din.eye_readable(), "G1234 98 654321 H");
    }

    /// R50: keyed with spaces or in lower case, a DIN is the same DIN; a
    /// bar code's `=` form with its flags gives the same DIN.
    #[test]
    fn r50_keyed_and_scanned_forms_agree() {
        let keyed = Din::parse_keyed("g1234 98 654321 h").unwrap();
        let scanned = Din::parse_scanned("=G12349865432100").unwrap();
        assert_eq!(keyed, scanned);
    }

    /// R50: every wrong check character is refused, naming the rule.
    #[test]
    fn r50_a_wrong_check_character_is_refused() {
        for c in ALPHABET.iter().map(|b| char::from(*b)) {
            let text = format!("G123498654321{c}");
            let result = Din::parse_keyed(&text);
            if c == 'H' {
                assert!(result.is_ok());
            } else {
                assert_eq!(result.unwrap_err().rule(), "din_check_character", "{text}");
            }
        }
    }

    /// R50: one mistyped digit or two swapped neighbours change the check
    /// character, so the keyed DIN is refused.
    #[test]
    fn r50_a_typo_or_a_swap_is_caught_by_the_check_character() {
        let typo = Din::parse_keyed("G123498654322H").unwrap_err();
        assert_eq!(typo.rule(), "din_check_character");
        let swapped = Din::parse_keyed("G123498654312H").unwrap_err();
        assert_eq!(swapped.rule(), "din_check_character");
    }

    /// R50: malformed DINs are refused with what is wrong.
    #[test]
    fn r50_malformed_dins_are_refused() {
        for (text, says) in [
            ("G123498654321", "check character is missing"),
            ("G12349865432H", "13 characters"),
            ("O123498654321X", "facility's letter"),
            ("1123498654321X", "facility's letter"),
            ("G12A498654321X", "only digits"),
            ("G12349865432100", "13 characters"),
        ] {
            let e = Din::parse_keyed(text).unwrap_err();
            assert_eq!(e.rule(), "din_invalid", "{text}");
            assert!(e.to_string().contains(says), "{text}: {e}");
        }
        assert_eq!(
            Din::parse_scanned("G12349865432100").unwrap_err().rule(),
            "din_invalid"
        );
        assert_eq!(
            Din::parse_scanned("=G123498654321").unwrap_err().rule(),
            "din_invalid"
        );
    }
}
