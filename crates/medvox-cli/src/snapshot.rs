//! `medvox snapshot`'s CLI side: option parsers and the atomic PNG write. The
//! rendering itself (orthogonal slices, orientation, window, overlay) is
//! [`medvox_view::slices`].

use std::path::Path;

pub use medvox_view::{render, RgbImage, SnapshotOptions};

/// Parses `--window C,W` (centre, width > 0).
pub fn parse_window(s: &str) -> Result<(f64, f64), String> {
    let v: Vec<&str> = s.split(',').map(str::trim).collect();
    let parse = |t: &str| t.parse::<f64>().ok().filter(|x| x.is_finite());
    match v.as_slice() {
        [c, w] => match (parse(c), parse(w)) {
            (Some(c), Some(w)) if w > 0.0 => Ok((c, w)),
            (Some(_), Some(_)) => Err(format!("window width must be > 0 in {s:?}")),
            _ => Err(format!("expected two numbers CENTRE,WIDTH, got {s:?}")),
        },
        _ => Err(format!("expected CENTRE,WIDTH (e.g. 40,400), got {s:?}")),
    }
}

/// Parses `--slice x,y,z` (voxel indices ≥ 0).
pub fn parse_point(s: &str) -> Result<[usize; 3], String> {
    let v: Vec<Option<usize>> = s.split(',').map(|t| t.trim().parse().ok()).collect();
    match v.as_slice() {
        [Some(x), Some(y), Some(z)] => Ok([*x, *y, *z]),
        _ => Err(format!(
            "expected three voxel indices x,y,z (e.g. 128,128,40), got {s:?}"
        )),
    }
}

/// Writes `img` as an 8-bit RGB PNG, atomically (no partial file on failure).
pub fn write_png(path: &Path, img: &RgbImage) -> anyhow::Result<()> {
    medvox::io::atomic::write_bytes_atomic(path, &img.to_png()?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use medvox::core::{AnyVolume, Geometry, Volume};

    #[test]
    fn parses_cli_values() {
        assert_eq!(parse_window("40,400"), Ok((40.0, 400.0)));
        assert_eq!(parse_window(" -600 , 1500 "), Ok((-600.0, 1500.0)));
        assert!(parse_window("40").is_err());
        assert!(parse_window("40,0").is_err());
        assert!(parse_window("a,b").is_err());
        assert_eq!(parse_point("1,2,3"), Ok([1, 2, 3]));
        assert!(parse_point("1,2").is_err());
        assert!(parse_point("1,-2,3").is_err());
    }

    #[test]
    fn png_round_trip() {
        let g = Geometry::new([1.0, 1.0, 2.0], [0.0; 3], Geometry::IDENTITY).unwrap();
        let data = (0..20 * 20 * 10).map(|i| (i % 97) as f32).collect();
        let v: AnyVolume = Volume::from_vec([20, 20, 10], data, g).unwrap().into();
        let img = render(&v, None, &SnapshotOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap.png");
        write_png(&path, &img).unwrap();
        let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
        let mut reader = png::Decoder::new(file).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (img.width, img.height));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(&buf[..info.buffer_size()], &img.data[..]);
        // Only the PNG is left in the folder (atomic write, no temporary).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
