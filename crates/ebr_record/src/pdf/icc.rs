//! The sRGB output intent's ICC profile, built in code (no vendored binary
//! of unclear licence): an ICC v2 display profile with the sRGB (IEC
//! 61966-2.1) primaries adapted to D50 and its tone curve sampled at 1,024
//! points. The PDF draws only in DeviceRGB, which this profile defines.

/// The profile's description, also the output intent's condition identifier.
pub const DESCRIPTION: &str = "sRGB IEC61966-2.1";

const D50: [f64; 3] = [0.9642, 1.0, 0.8249];
const RED: [f64; 3] = [0.436_074_7, 0.222_504_5, 0.013_932_2];
const GREEN: [f64; 3] = [0.385_064_9, 0.716_878_6, 0.097_104_5];
const BLUE: [f64; 3] = [0.143_080_4, 0.060_616_9, 0.714_173_3];
const CURVE_POINTS: u32 = 1024;

fn s15_fixed16(v: f64) -> [u8; 4] {
    // Every value here lies in [0, 1.1]: the cast cannot overflow.
    #[allow(clippy::cast_possible_truncation)]
    let fixed = (v * 65536.0).round() as i32;
    fixed.to_be_bytes()
}

fn xyz(v: [f64; 3]) -> Vec<u8> {
    let mut out = b"XYZ \0\0\0\0".to_vec();
    for c in v {
        out.extend(s15_fixed16(c));
    }
    out
}

fn srgb_curve() -> Vec<u8> {
    let mut out = b"curv\0\0\0\0".to_vec();
    out.extend(CURVE_POINTS.to_be_bytes());
    for i in 0..CURVE_POINTS {
        let v = f64::from(i) / f64::from(CURVE_POINTS - 1);
        let linear = if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let sample = (linear * 65535.0).round().clamp(0.0, 65535.0) as u16;
        out.extend(sample.to_be_bytes());
    }
    out
}

fn text_description(text: &str) -> Vec<u8> {
    let mut out = b"desc\0\0\0\0".to_vec();
    let count = u32::try_from(text.len() + 1).unwrap_or(0);
    out.extend(count.to_be_bytes());
    out.extend(text.as_bytes());
    out.push(0);
    out.extend([0u8; 8]); // Unicode language code and count: none
    out.extend([0u8; 3]); // ScriptCode code and count: none
    out.extend([0u8; 67]);
    out
}

fn text(text: &str) -> Vec<u8> {
    let mut out = b"text\0\0\0\0".to_vec();
    out.extend(text.as_bytes());
    out.push(0);
    out
}

/// The profile's bytes: the same on every call and every host.
pub fn srgb_profile() -> Vec<u8> {
    let curve = srgb_curve();
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"desc", text_description(DESCRIPTION)),
        (b"cprt", text("No copyright, use freely")),
        (b"wtpt", xyz(D50)),
        (b"rXYZ", xyz(RED)),
        (b"gXYZ", xyz(GREEN)),
        (b"bXYZ", xyz(BLUE)),
        (b"rTRC", curve.clone()),
        (b"gTRC", curve.clone()),
        (b"bTRC", curve),
    ];
    let table_len = 4 + 12 * tags.len();
    let mut offset = 128 + table_len;
    let mut table = u32::try_from(tags.len())
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    let mut data = Vec::new();
    for (signature, body) in &tags {
        table.extend(*signature);
        table.extend(u32::try_from(offset).unwrap_or(0).to_be_bytes());
        table.extend(u32::try_from(body.len()).unwrap_or(0).to_be_bytes());
        data.extend(body);
        while data.len() % 4 != 0 {
            data.push(0);
        }
        offset = 128 + table_len + data.len();
    }
    let size = u32::try_from(128 + table.len() + data.len()).unwrap_or(0);
    let mut header = Vec::with_capacity(128);
    header.extend(size.to_be_bytes());
    header.extend([0u8; 4]); // preferred CMM: none
    header.extend([0x02, 0x10, 0x00, 0x00]); // version 2.1
    header.extend(b"mntr");
    header.extend(b"RGB ");
    header.extend(b"XYZ ");
    for part in [2026u16, 1, 1, 0, 0, 0] {
        header.extend(part.to_be_bytes());
    }
    header.extend(b"acsp");
    header.extend([0u8; 4 + 4 + 4 + 4 + 8]); // platform, flags, manufacturer, model, attributes
    header.extend([0u8; 4]); // rendering intent: perceptual
    for c in D50 {
        header.extend(s15_fixed16(c));
    }
    header.resize(128, 0);
    let mut out = header;
    out.extend(table);
    out.extend(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_is_well_formed() {
        let p = srgb_profile();
        assert_eq!(
            u32::from_be_bytes(p[0..4].try_into().unwrap()) as usize,
            p.len()
        );
        assert_eq!(&p[36..40], b"acsp");
        assert_eq!(&p[16..20], b"RGB ");
        assert_eq!(u32::from_be_bytes(p[128..132].try_into().unwrap()), 9);
        assert_eq!(p, srgb_profile());
    }
}
