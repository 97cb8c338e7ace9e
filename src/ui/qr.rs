//! A QR code drawn with half-block characters: two modules a cell, light
//! modules as blocks, a quiet zone all around.

use qrcode::{EcLevel, QrCode};

/// The QR code of `text` as lines of text, or `None` when it cannot be
/// encoded. `quiet` is the quiet zone in modules.
pub fn qr_lines(text: &str, quiet: usize) -> Option<Vec<String>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * quiet;
    // Light is true; everything outside the symbol is quiet zone (light).
    let light = |x: usize, y: usize| -> bool {
        if x < quiet || y < quiet || x >= quiet + width || y >= quiet + width {
            return true;
        }
        colors[(y - quiet) * width + (x - quiet)] == qrcode::Color::Light
    };
    let lines = (0..side.div_ceil(2))
        .map(|row| {
            (0..side)
                .map(|x| {
                    let top = light(x, 2 * row);
                    let bottom = 2 * row + 1 >= side || light(x, 2 * row + 1);
                    match (top, bottom) {
                        (true, true) => '█',
                        (true, false) => '▀',
                        (false, true) => '▄',
                        (false, false) => ' ',
                    }
                })
                .collect()
        })
        .collect();
    Some(lines)
}

/// The size in cells (width, height) of a QR code of `text`.
pub fn qr_size(text: &str, quiet: usize) -> Option<(usize, usize)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
    let side = code.width() + 2 * quiet;
    Some((side, side.div_ceil(2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_has_quiet_zone_and_finder_patterns() {
        let lines = qr_lines(
            "https://developer.groupe-psa.io/mobile-sdk/security/carkey/",
            2,
        )
        .unwrap();
        let (w, h) = qr_size(
            "https://developer.groupe-psa.io/mobile-sdk/security/carkey/",
            2,
        )
        .unwrap();
        assert_eq!(lines.len(), h);
        assert!(lines.iter().all(|l| l.chars().count() == w));
        // The first row is all quiet zone (light).
        assert!(lines[0].chars().all(|c| c == '█'));
        // The top-left finder pattern starts dark right after the quiet zone:
        // row 1 covers modules 2 (dark finder edge) and 3.
        let row: Vec<char> = lines[1].chars().collect();
        assert_eq!(row[0], '█');
        assert_eq!(row[2], ' ');
    }
}
