//! Reading an input file the user names (a libvirt XML definition, a kickstart): bounded in size,
//! so that `define /dev/zero` or a huge file is refused instead of read until memory runs out.

use crate::error::quote;
use crate::{Error, ErrorKind, Result};
use std::io::Read;
use std::path::Path;

/// The largest XML document read (10 MiB, virsh's own bound for a file it reads).
pub const MAX_XML: u64 = 10 << 20;

/// Reads `path` as UTF-8 text of at most `limit` bytes. A missing file is exit 3, an unreadable one
/// the errno's code (5 for permission), a longer one or one that is not UTF-8 exit 7; nothing
/// beyond `limit` + 1 bytes is ever read (a device such as /dev/zero stops there).
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    let what = format!("read {}", quote(&path.display().to_string()));
    let file = std::fs::File::open(path).map_err(|e| Error::from(e).context(&what))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::invalid(format!("{what}: is a directory")));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::from(e).context(&what))?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("{what}: larger than {limit} bytes"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::invalid(format!(
            "{what}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_utf8_reads() {
        let dir = std::env::temp_dir().join(format!("vnet-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = dir.join("ok.xml");
        std::fs::write(&ok, "<network/>").unwrap();
        assert_eq!(read_text(&ok, 100).unwrap(), "<network/>");
        assert_eq!(read_text(&ok, 5).unwrap_err().exit_code(), 7);
        let bad = dir.join("bad.xml");
        std::fs::write(&bad, b"<network>\xff</network>").unwrap();
        let e = read_text(&bad, 100).unwrap_err();
        assert_eq!(e.exit_code(), 7, "{e:?}");
        assert!(e.message.contains("offset 9"), "{e:?}");
        assert_eq!(read_text(&dir.join("none"), 100).unwrap_err().exit_code(), 3);
        assert_eq!(read_text(&dir, 100).unwrap_err().exit_code(), 7);
        let zero = read_text(Path::new("/dev/zero"), MAX_XML).unwrap_err();
        assert_eq!(zero.exit_code(), 7, "{zero:?}");
        assert!(zero.message.contains("larger than 10485760 bytes"), "{zero:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
