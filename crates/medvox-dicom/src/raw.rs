//! The bytes of a DICOM file, checked and prepared before dicom-rs parses them.
//!
//! dicom-rs allocates an element's value from the length in its header before
//! reading it, so one forged length (0xFFFFFFF0 in a 127 KB file) costs 4 GB of
//! memory before the read fails. [`prepare`] therefore walks the element
//! structure of the whole data set first — every tag, VR and length, nested
//! sequences and items, encapsulated fragments — and refuses a file whose
//! lengths run past the end of their item, sequence or file, or whose nesting
//! is deeper than [`MAX_DEPTH`]. What dicom-rs then reads is bounded by the file.
//!
//! It also makes readable what dicom-rs reads wrongly or refuses:
//!
//! - gzip-compressed files (`.dcm.gz`) are inflated (within the memory budget);
//! - a file without the Part-10 preamble and meta group (raw data set, as
//!   pydicom's `force=True` reads) gets a meta group whose transfer syntax is
//!   guessed from the first element (implicit/explicit VR, little/big endian);
//! - an explicit-VR element with VR UN and undefined length holds implicit-VR
//!   little-endian items (PS3.5 6.2.2); dicom-rs parses them as explicit VR and
//!   goes astray (`UN_sequence.dcm`: 3.6 GB). Its header gets the defined length
//!   of its content and its sequence delimiter is removed (enclosing defined
//!   lengths shortened to match), so dicom-rs keeps it as a UN value, which
//!   [`crate::file::fix_un`] then decodes by the dictionary VR.

use std::io::Read;
use std::path::Path;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// Deepest nesting of sequences accepted.
pub const MAX_DEPTH: usize = 64;

/// Bytes read first when only the headers are wanted.
const HEAD_PREFIX: usize = 64 << 10;

const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
const DEFLATED: &str = "1.2.840.10008.1.2.1.99";

/// A file ready for dicom-rs: `bytes` start with `DICM` and the meta group.
#[derive(Debug)]
pub struct Prepared {
    /// `DICM`, the meta group, the data set (possibly repaired).
    pub bytes: Vec<u8>,
    /// Transfer syntax UID of the data set.
    pub ts: String,
    /// Repairs made, for warnings.
    pub notes: Vec<String>,
    /// True when the whole file was read (not only the part before the pixel data).
    pub complete: bool,
}

/// Why a file was refused.
#[derive(Debug)]
pub enum RawError {
    /// Reading failed.
    Io(std::io::Error),
    /// The bytes are not a well-formed DICOM file.
    Bad(String),
    /// A size is over the memory budget.
    Budget(String),
}

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RawError::Io(e) => write!(f, "{e}"),
            RawError::Bad(s) | RawError::Budget(s) => f.write_str(s),
        }
    }
}

type R<T> = std::result::Result<T, RawError>;

fn bad<T>(s: impl Into<String>) -> R<T> {
    Err(RawError::Bad(s.into()))
}

/// True when the file starts with the gzip magic bytes.
pub fn is_gzip(path: &Path) -> bool {
    let mut b = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok()
        && b == [0x1f, 0x8b]
}

/// Reads up to `limit` bytes of a regular file.
fn read_file(path: &Path, limit: Option<usize>) -> R<(Vec<u8>, bool)> {
    let mut f = std::fs::File::open(path).map_err(RawError::Io)?;
    let meta = f.metadata().map_err(RawError::Io)?;
    if !meta.is_file() {
        return bad("not a regular file");
    }
    let len = meta.len();
    let want = limit.map_or(len, |l| len.min(l as u64));
    crate::mem::check(want as u128, "the DICOM file").map_err(RawError::Budget)?;
    let mut buf =
        crate::mem::try_with_capacity(want as usize, "the DICOM file").map_err(RawError::Budget)?;
    (&mut f)
        .take(want)
        .read_to_end(&mut buf)
        .map_err(RawError::Io)?;
    let complete = (buf.len() as u64) >= len;
    Ok((buf, complete))
}

/// Inflates gzip (`gzip = true`) or raw deflate bytes within the memory budget.
fn inflate(data: &[u8], gzip: bool) -> R<Vec<u8>> {
    let limit = crate::mem::max_bytes();
    let mut out = Vec::new();
    let r: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(data))
    } else {
        Box::new(flate2::read::DeflateDecoder::new(data))
    };
    // Lenient like dicom-rs and pydicom: a stream cut short (no final block)
    // gives what it holds; the element walk then judges the bytes.
    let mut r = r.take(limit.saturating_add(1));
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(k) => out.extend_from_slice(&chunk[..k]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if out.is_empty() => {
                return Err(RawError::Bad(format!("cannot inflate: {e}")));
            }
            Err(_) => break,
        }
    }
    let n = out.len();
    if n as u64 > limit {
        return Err(RawError::Budget(format!(
            "the inflated data set is larger than the memory limit of {limit} bytes \
             (set MEDVOX_MAX_BYTES or --max-memory to change it)"
        )));
    }
    Ok(out)
}

/// Reads and checks a DICOM file (see the module doc). With `headers_only`
/// the walk stops at the top-level Pixel Data, and only a prefix of the file
/// is read when that suffices.
pub fn prepare(path: &Path, headers_only: bool) -> R<Prepared> {
    let gz = is_gzip(path);
    let (mut bytes, mut complete) = read_file(path, (headers_only && !gz).then_some(HEAD_PREFIX))?;
    if gz {
        bytes = inflate(&bytes, true)?;
        complete = true;
    }
    loop {
        match prepare_bytes(&bytes, headers_only, complete) {
            Err(Walk::NeedMore) if !complete => {
                (bytes, complete) = read_file(path, None)?;
            }
            Err(Walk::NeedMore) => return bad("truncated file"),
            Err(Walk::Bad(e)) => return Err(e),
            Ok(mut p) => {
                if gz {
                    p.notes.push("gzip-compressed file".into());
                }
                p.complete = complete;
                return Ok(p);
            }
        }
    }
}

enum Walk {
    NeedMore,
    Bad(RawError),
}

impl From<RawError> for Walk {
    fn from(e: RawError) -> Self {
        Walk::Bad(e)
    }
}

fn wbad<T>(s: impl Into<String>) -> Result<T, Walk> {
    Err(Walk::Bad(RawError::Bad(s.into())))
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v)
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .to_string()
}

fn prepare_bytes(b: &[u8], headers_only: bool, complete: bool) -> Result<Prepared, Walk> {
    let mut notes = Vec::new();
    let meta_at = if b.len() >= 132 && &b[128..132] == b"DICM" {
        Some(132)
    } else if b.len() >= 4 && &b[0..4] == b"DICM" {
        Some(4)
    } else {
        None
    };
    let (ts, meta_bytes, data_at) = match meta_at {
        Some(m) => {
            // The meta group: explicit VR little endian, group 0002.
            let mut pos = m;
            let mut ts = String::new();
            while b.len() >= pos + 8 && b[pos..pos + 2] == [2, 0] {
                let elem = le16(b, pos + 2);
                let long = matches!(
                    &b[pos + 4..pos + 6],
                    b"OB" | b"OW" | b"OF" | b"SQ" | b"UT" | b"UN"
                );
                let (len, head) = if long {
                    if b.len() < pos + 12 {
                        return Err(Walk::NeedMore);
                    }
                    (le32(b, pos + 8) as usize, 12)
                } else {
                    (le16(b, pos + 6) as usize, 8)
                };
                if len == 0xFFFF_FFFF || pos + head + len > b.len() {
                    if !complete {
                        return Err(Walk::NeedMore);
                    }
                    return wbad(format!(
                        "meta element (0002,{elem:04X}) at offset {pos}: length {len} runs past the end of the file"
                    ));
                }
                if elem == 0x0010 {
                    ts = text(&b[pos + head..pos + head + len]);
                }
                pos += head + len;
            }
            if ts.is_empty() {
                // dicom-rs reports the missing transfer syntax itself.
                return Ok(Prepared {
                    bytes: b[m - 4..].to_vec(),
                    ts,
                    notes,
                    complete,
                });
            }
            (ts, b[m - 4..pos].to_vec(), pos)
        }
        None => {
            let ts = guess_ts(b).ok_or_else(|| {
                Walk::Bad(RawError::Bad(
                    "no DICM marker and no recognisable data set at the start".into(),
                ))
            })?;
            notes.push("no Part-10 preamble and meta group (transfer syntax guessed)".into());
            (ts.to_string(), Vec::new(), 0)
        }
    };
    let (explicit, big) = match ts.as_str() {
        IMPLICIT_LE => (false, false),
        EXPLICIT_BE => (true, true),
        _ => (true, false),
    };
    let mut w = Walker {
        b,
        big,
        headers_only,
        complete,
        edits: Vec::new(),
        class: None,
        inst: None,
    };
    if ts == DEFLATED {
        // Checked inflated; dicom-rs inflates the original itself.
        let inflated = inflate(&b[data_at..], false)?;
        let mut w2 = Walker {
            b: &inflated,
            big: false,
            headers_only,
            complete: true,
            edits: Vec::new(),
            class: None,
            inst: None,
        };
        w2.dataset(0, None, 0, true, &mut Vec::new())?;
    } else {
        w.dataset(data_at, None, 0, explicit, &mut Vec::new())?;
    }
    let mut data = b[data_at..].to_vec();
    if !w.edits.is_empty() {
        notes.push(format!(
            "{} UN element(s) of undefined length read as implicit VR",
            w.edits.len()
        ));
        apply_edits(&mut data, &w.edits, data_at, big);
    }
    let head = if meta_bytes.is_empty() {
        let meta = dicom_object::meta::FileMetaTableBuilder::new()
            .media_storage_sop_class_uid(w.class.unwrap_or_default())
            .media_storage_sop_instance_uid(w.inst.unwrap_or_default())
            .transfer_syntax(ts.clone())
            .build()
            .map_err(|e| Walk::Bad(RawError::Bad(format!("cannot build a meta group: {e}"))))?;
        let mut buf = b"DICM".to_vec();
        meta.write(&mut buf)
            .map_err(|e| Walk::Bad(RawError::Bad(format!("cannot build a meta group: {e}"))))?;
        buf
    } else {
        meta_bytes
    };
    let mut bytes = head;
    bytes.extend_from_slice(&data);
    Ok(Prepared {
        bytes,
        ts,
        notes,
        complete,
    })
}

/// The transfer syntax of a bare data set, from its first element (as pydicom guesses).
fn guess_ts(b: &[u8]) -> Option<&'static str> {
    if b.len() < 8 {
        return None;
    }
    let vr_ok = VR::from_binary([b[4], b[5]]).is_some();
    let (g_le, g_be) = (le16(b, 0), u16::from_be_bytes([b[0], b[1]]));
    let plausible = |g: u16| (0x0002..=0x0010).contains(&g) && g % 2 == 0;
    if plausible(g_le) {
        Some(if vr_ok { EXPLICIT_LE } else { IMPLICIT_LE })
    } else if plausible(g_be) && vr_ok {
        Some(EXPLICIT_BE)
    } else {
        None
    }
}

/// A UN element of undefined length to rewrite.
#[derive(Debug)]
struct Edit {
    /// Offset of its 4-byte length field.
    len_at: usize,
    /// Length of its content (items, without the sequence delimiter).
    content: u32,
    /// Offset of its sequence delimiter (8 bytes, removed).
    delim_at: usize,
    /// Length fields of the defined-length sequences and items around it.
    outer: Vec<usize>,
}

fn apply_edits(data: &mut Vec<u8>, edits: &[Edit], base: usize, big: bool) {
    let put = |d: &mut Vec<u8>, at: usize, v: u32| {
        let bytes = if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        d[at - base..at - base + 4].copy_from_slice(&bytes);
    };
    for e in edits {
        put(data, e.len_at, e.content);
        for &o in &e.outer {
            let at = o - base;
            let old = if big {
                u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
            } else {
                le32(data, at)
            };
            put(data, o, old.saturating_sub(8));
        }
    }
    let mut cuts: Vec<usize> = edits.iter().map(|e| e.delim_at - base).collect();
    cuts.sort_unstable();
    for c in cuts.into_iter().rev() {
        data.drain(c..c + 8);
    }
}

struct Walker<'a> {
    b: &'a [u8],
    big: bool,
    headers_only: bool,
    complete: bool,
    edits: Vec<Edit>,
    class: Option<String>,
    inst: Option<String>,
}

const ITEM: Tag = Tag(0xFFFE, 0xE000);
const ITEM_END: Tag = Tag(0xFFFE, 0xE00D);
const SEQ_END: Tag = Tag(0xFFFE, 0xE0DD);
const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);

fn long_vr(vr: &[u8]) -> bool {
    matches!(
        vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

impl Walker<'_> {
    fn u16(&self, at: usize, big: bool) -> u16 {
        let b = [self.b[at], self.b[at + 1]];
        if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    fn u32(&self, at: usize, big: bool) -> u32 {
        let b = [self.b[at], self.b[at + 1], self.b[at + 2], self.b[at + 3]];
        if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    /// Past the end of the bytes read: more to read, or a truncated file.
    fn short<T>(&self, what: String) -> Result<T, Walk> {
        if self.complete {
            wbad(what)
        } else {
            Err(Walk::NeedMore)
        }
    }

    /// Walks data set elements from `pos` to `end` (`None`: to an item
    /// delimiter or the end of the bytes). Returns the position after it (after
    /// the item delimiter when one ended it).
    fn dataset(
        &mut self,
        mut pos: usize,
        end: Option<usize>,
        depth: usize,
        explicit: bool,
        outer: &mut Vec<usize>,
    ) -> Result<usize, Walk> {
        // Implicit-VR content of a UN sequence is little endian whatever the file.
        let big = self.big && explicit;
        let limit = end.unwrap_or(self.b.len());
        loop {
            if pos >= limit {
                return Ok(pos);
            }
            if limit - pos < 8 {
                if end.is_none() && limit - pos < 4 && self.complete {
                    // dicom-rs ends a data set quietly at a partial tag.
                    return Ok(limit);
                }
                return self.short(format!("truncated element header at offset {pos}"));
            }
            let tag = Tag(self.u16(pos, big), self.u16(pos + 2, big));
            if tag == ITEM_END {
                if end.is_none() && depth > 0 {
                    return Ok(pos + 8);
                }
                // Stray item delimiter (dicom-rs skips it).
                pos += 8;
                continue;
            }
            if tag == SEQ_END || tag == ITEM {
                return wbad(format!(
                    "unexpected delimiter ({:04X},{:04X}) at offset {pos}",
                    tag.0, tag.1
                ));
            }
            let (vr, len, head) = if explicit {
                let vr = [self.b[pos + 4], self.b[pos + 5]];
                if long_vr(&vr) {
                    if limit - pos < 12 {
                        return self.short(format!("truncated element header at offset {pos}"));
                    }
                    (
                        VR::from_binary(vr).unwrap_or(VR::UN),
                        self.u32(pos + 8, big),
                        12,
                    )
                } else {
                    (
                        VR::from_binary(vr).unwrap_or(VR::UN),
                        self.u16(pos + 6, big) as u32,
                        8,
                    )
                }
            } else {
                let vr = StandardDataDictionary
                    .by_tag(tag)
                    .map_or(VR::UN, |e| e.vr().relaxed());
                (vr, self.u32(pos + 4, false), 8)
            };
            if depth == 0 && tag == PIXEL_DATA && self.headers_only {
                return Ok(pos);
            }
            let at = pos + head;
            if len == 0xFFFF_FFFF {
                if tag == PIXEL_DATA && vr != VR::SQ {
                    pos = self.fragments(at, limit, big)?;
                } else {
                    let un = explicit && vr == VR::UN;
                    let content_explicit = explicit && !un;
                    let (after, delim) =
                        self.items(at, None, depth + 1, content_explicit, big, outer)?;
                    if un {
                        if let Some(d) = delim {
                            self.edits.push(Edit {
                                len_at: pos + 8,
                                content: (d - at) as u32,
                                delim_at: d,
                                outer: outer.clone(),
                            });
                        }
                    }
                    pos = after;
                }
                continue;
            }
            let len = len as usize;
            if len > limit - at {
                return self.short(format!(
                    "element ({:04X},{:04X}) at offset {pos}: length {len} runs past the end of its {} ({} bytes left)",
                    tag.0,
                    tag.1,
                    if end.is_some() { "item or sequence" } else { "file" },
                    limit - at
                ));
            }
            if vr == VR::SQ {
                outer.push(pos + head - 4);
                self.items(at, Some(at + len), depth + 1, explicit, big, outer)?;
                outer.pop();
            } else if depth == 0 && (tag == Tag(0x0008, 0x0016) || tag == Tag(0x0008, 0x0018)) {
                let v = text(&self.b[at..at + len]);
                if tag.1 == 0x0016 {
                    self.class = Some(v);
                } else {
                    self.inst = Some(v);
                }
            }
            pos = at + len;
        }
    }

    /// Walks the items of a sequence from `pos`; `end` for a defined length.
    /// Returns the position after the sequence and, for an undefined length,
    /// the offset of its sequence delimiter.
    fn items(
        &mut self,
        mut pos: usize,
        end: Option<usize>,
        depth: usize,
        explicit: bool,
        big: bool,
        outer: &mut Vec<usize>,
    ) -> Result<(usize, Option<usize>), Walk> {
        if depth > MAX_DEPTH {
            return wbad(format!(
                "sequences nested deeper than {MAX_DEPTH} levels at offset {pos}"
            ));
        }
        let limit = end.unwrap_or(self.b.len());
        loop {
            if pos >= limit {
                if end.is_none() && self.complete {
                    // Missing sequence delimiter at the end of the file (tolerated by dicom-rs).
                    return Ok((limit, None));
                }
                if end.is_some() {
                    return Ok((pos, None));
                }
                return Err(Walk::NeedMore);
            }
            if limit - pos < 8 {
                return self.short(format!("truncated item header at offset {pos}"));
            }
            let tag = Tag(self.u16(pos, big), self.u16(pos + 2, big));
            let len = self.u32(pos + 4, big);
            match tag {
                SEQ_END => return Ok((pos + 8, Some(pos))),
                ITEM if len == 0xFFFF_FFFF => {
                    pos = self.dataset(pos + 8, None, depth, explicit, outer)?;
                }
                ITEM => {
                    let at = pos + 8;
                    let len = len as usize;
                    if len > limit - at {
                        return self.short(format!(
                            "item at offset {pos}: length {len} runs past the end of its sequence ({} bytes left)",
                            limit - at
                        ));
                    }
                    outer.push(pos + 4);
                    self.dataset(at, Some(at + len), depth, explicit, outer)?;
                    outer.pop();
                    pos = at + len;
                }
                _ => {
                    return wbad(format!(
                        "expected an item at offset {pos}, found ({:04X},{:04X})",
                        tag.0, tag.1
                    ))
                }
            }
        }
    }

    /// Walks encapsulated pixel data fragments; returns the position after them.
    fn fragments(&self, mut pos: usize, limit: usize, big: bool) -> Result<usize, Walk> {
        loop {
            if limit - pos < 8 {
                if self.complete {
                    // Missing final delimiter (tolerated, as pydicom and dicom-rs do).
                    return Ok(limit);
                }
                return Err(Walk::NeedMore);
            }
            let tag = Tag(self.u16(pos, big), self.u16(pos + 2, big));
            let len = self.u32(pos + 4, big) as usize;
            match tag {
                SEQ_END => return Ok(pos + 8),
                ITEM if len <= limit - pos - 8 => pos += 8 + len,
                ITEM => {
                    return self.short(format!(
                        "pixel data fragment at offset {pos}: length {len} runs past the end of the file ({} bytes left)",
                        limit - pos - 8
                    ))
                }
                _ => {
                    return wbad(format!(
                        "expected a pixel data fragment at offset {pos}, found ({:04X},{:04X})",
                        tag.0, tag.1
                    ))
                }
            }
        }
    }
}

/// Checks the structure of an implicit-VR little-endian data set (a UN value
/// about to be decoded by its dictionary VR) the way [`prepare`] checks files.
pub fn check_implicit(bytes: &[u8]) -> std::result::Result<(), String> {
    let mut w = Walker {
        b: bytes,
        big: false,
        headers_only: false,
        complete: true,
        edits: Vec::new(),
        class: None,
        inst: None,
    };
    match w.dataset(0, None, 1, false, &mut Vec::new()) {
        Ok(_) => Ok(()),
        Err(Walk::Bad(e)) => Err(e.to_string()),
        Err(Walk::NeedMore) => Err("truncated value".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An explicit-VR little-endian element with a short or long header.
    fn elem(g: u16, e: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&g.to_le_bytes());
        v.extend_from_slice(&e.to_le_bytes());
        v.extend_from_slice(vr);
        if long_vr(vr) {
            v.extend_from_slice(&[0, 0]);
            v.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            v.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        v.extend_from_slice(value);
        v
    }

    fn file(data: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 128];
        f.extend_from_slice(b"DICM");
        f.extend(elem(2, 0x10, b"UI", b"1.2.840.10008.1.2.1\0"));
        f.extend_from_slice(data);
        f
    }

    #[test]
    fn length_past_end_is_refused_before_parsing() {
        let mut d = elem(0x0010, 0x0010, b"PN", b"A^B ");
        let mut un = elem(0x0009, 0x1001, b"UN", b"abcd");
        un[8..12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        d.extend(un);
        let e = prepare_bytes(&file(&d), false, true).unwrap_err();
        assert!(
            matches!(e, Walk::Bad(RawError::Bad(m)) if m.contains("(0009,1001)") && m.contains("runs past"))
        );
    }

    #[test]
    fn un_of_undefined_length_gets_its_content_length() {
        // (0008,1140) as UN, undefined length, one implicit-VR item holding (0008,1150).
        let mut item = Vec::new();
        item.extend_from_slice(&[0x08, 0x00, 0x50, 0x11, 4, 0, 0, 0]);
        item.extend_from_slice(b"1.2\0");
        let mut d = Vec::new();
        d.extend_from_slice(&[
            0x08, 0x00, 0x40, 0x11, b'U', b'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        d.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
        d.extend_from_slice(&(item.len() as u32).to_le_bytes());
        d.extend_from_slice(&item);
        d.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        d.extend(elem(0x0010, 0x0010, b"PN", b"A^B "));
        let p = prepare_bytes(&file(&d), false, true).ok().unwrap();
        let content = (8 + item.len()) as u32;
        let at = p
            .bytes
            .windows(4)
            .position(|w| w == [0x08, 0x00, 0x40, 0x11])
            .unwrap();
        assert_eq!(le32(&p.bytes, at + 8), content);
        // The sequence delimiter is gone; the next element follows the item.
        let next = at + 12 + content as usize;
        assert_eq!(&p.bytes[next..next + 4], &[0x10, 0x00, 0x10, 0x00]);
    }

    #[test]
    fn nesting_is_bounded() {
        let mut d = Vec::new();
        for _ in 0..(MAX_DEPTH + 2) {
            d.extend_from_slice(&[
                0x08, 0x00, 0x40, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            d.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let e = prepare_bytes(&file(&d), false, true).unwrap_err();
        assert!(matches!(e, Walk::Bad(RawError::Bad(m)) if m.contains("nested")));
    }

    #[test]
    fn transfer_syntax_of_bare_data_sets() {
        let mut d = elem(0x0008, 0x0016, b"UI", b"1.2\0");
        assert_eq!(guess_ts(&d), Some(EXPLICIT_LE));
        d = vec![0x08, 0x00, 0x16, 0x00, 4, 0, 0, 0, b'1', b'.', b'2', 0];
        assert_eq!(guess_ts(&d), Some(IMPLICIT_LE));
        d = vec![
            0x00, 0x08, 0x00, 0x16, b'U', b'I', 0, 4, b'1', b'.', b'2', 0,
        ];
        assert_eq!(guess_ts(&d), Some(EXPLICIT_BE));
        assert_eq!(guess_ts(b"hello world!"), None);
    }
}
