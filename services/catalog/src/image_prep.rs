//! Turning an uploaded photo into the files the storefront serves: the type is read from
//! the file's first bytes (never the client's word), the pixels are decoded within limits,
//! turned upright by the EXIF orientation, and re-encoded as a fresh JPEG per size. Only
//! pixels are carried over, so EXIF (GPS position, camera serial) and every other
//! metadata block of the upload are gone.
//!
//! CPU-bound: call [`prepare`] from `spawn_blocking`.

use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;

/// The sizes the storefront serves, by their longest side in pixels. A smaller upload is
/// never enlarged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    Thumb,
    Medium,
    Large,
}

impl Size {
    /// Largest first: each is resized from the one before it.
    pub const ALL: [Size; 3] = [Size::Large, Size::Medium, Size::Thumb];

    pub fn bound(self) -> u32 {
        match self {
            Size::Thumb => 300,
            Size::Medium => 800,
            Size::Large => 1600,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Size::Thumb => "thumb",
            Size::Medium => "medium",
            Size::Large => "large",
        }
    }
}

/// The widest or tallest photo accepted (a 100-megapixel camera is under it); beyond it a
/// small file could still decode into gigabytes.
pub const MAX_SIDE: u32 = 12_000;
const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;
const JPEG_QUALITY: u8 = 85;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejection {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("not a JPEG, PNG or WebP file")]
    Unsupported,
    #[error("the image cannot be decoded: {0}")]
    Unreadable(String),
    #[error("more than {MAX_SIDE} pixels wide or tall")]
    TooManyPixels,
}

/// One stored size of a photo.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub size: Size,
    pub width: u32,
    pub height: u32,
    pub jpeg: Bytes,
}

/// The photo ready to store: upright, metadata-free, one JPEG per [`Size`].
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The upright size of the largest copy.
    pub width: u32,
    pub height: u32,
    pub files: Vec<Encoded>,
}

/// What the first bytes say the file is; only JPEG, PNG and WebP are taken.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

/// `(w, h)` scaled to fit in `bound` × `bound`, aspect kept, never enlarged, never 0.
pub fn fit(w: u32, h: u32, bound: u32) -> (u32, u32) {
    let longest = w.max(h);
    if longest <= bound {
        return (w, h);
    }
    // u64 so that 12,000 × 1,600 cannot overflow; round to nearest.
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(bound) + u64::from(longest) / 2) / u64::from(longest)).max(1)
            as u32
    };
    (scale(w), scale(h))
}

/// Check, decode, orient and re-encode an upload of at most `max_bytes`.
pub fn prepare(bytes: &[u8], max_bytes: usize) -> Result<Prepared, Rejection> {
    if bytes.len() > max_bytes {
        return Err(Rejection::TooLarge { limit: max_bytes });
    }
    let format = sniff(bytes).ok_or(Rejection::Unsupported)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(rejection)?;
    // A phone stores the sensor's pixels and says in EXIF how to turn them; apply it now,
    // since the EXIF that said so is about to be dropped.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(rejection)?;
    img.apply_orientation(orientation);
    let mut current = flatten(img);
    let (width, height) = fit(current.width(), current.height(), Size::Large.bound());
    let mut files = Vec::with_capacity(Size::ALL.len());
    for size in Size::ALL {
        let (w, h) = fit(current.width(), current.height(), size.bound());
        if (w, h) != current.dimensions() {
            current = image::imageops::resize(&current, w, h, FilterType::Lanczos3);
        }
        files.push(Encoded {
            size,
            width: w,
            height: h,
            jpeg: encode(&current)?,
        });
    }
    Ok(Prepared {
        width,
        height,
        files,
    })
}

fn rejection(e: image::ImageError) -> Rejection {
    match e {
        image::ImageError::Limits(_) => Rejection::TooManyPixels,
        image::ImageError::Unsupported(_) => Rejection::Unsupported,
        other => Rejection::Unreadable(other.to_string()),
    }
}

/// RGB on white: a transparent PNG cut-out shows on the white a product page has.
fn flatten(img: DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

fn encode(img: &RgbImage) -> Result<Bytes, Rejection> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(img)
        .map_err(|e| Rejection::Unreadable(e.to_string()))?;
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit(3000, 4000, 800), (600, 800));
        assert_eq!(fit(200, 100, 300), (200, 100));
        assert_eq!(fit(12_000, 1, 300), (300, 1));
    }

    #[test]
    fn only_the_three_formats_are_sniffed() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(ImageFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(ImageFormat::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageFormat::WebP));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
    }

    #[test]
    fn an_oversized_file_is_refused_before_decoding() {
        assert_eq!(
            prepare(&[0xFF; 11], 10).unwrap_err(),
            Rejection::TooLarge { limit: 10 }
        );
    }
}
