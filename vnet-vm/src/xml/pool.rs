//! The storage pool XML model: the one builder of every pool vnet-vm defines or creates (a dir
//! pool for a disk directory, pool-define-as / pool-create-as of any type), and what it reads back
//! from a pool's document (its type, target and source) or from a file a user wrote.

use quick_xml::events::BytesText;
use quick_xml::Writer;
use vnet_common::libvirt::xml::{self, Element, ParseError, XmlError};
use vnet_common::{Error, Result};

/// Where a pool's storage comes from (`<source>`): what pool-define-as's --source-* flags say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolSource {
    /// `<host name=...>` (--source-host: an NFS server, an iSCSI portal).
    pub host: Option<String>,
    /// `<dir path=...>` (--source-path: the exported directory, the iSCSI IQN path).
    pub dir: Option<String>,
    /// `<device path=...>` (--source-dev: a block device, an iSCSI target IQN).
    pub device: Option<String>,
    /// `<name>` (--source-name: a volume group, an RBD pool).
    pub name: Option<String>,
    /// `<format type=...>` (--source-format: nfs, ext4, lvm2, gpt, ...).
    pub format: Option<String>,
}

impl PoolSource {
    fn is_empty(&self) -> bool {
        *self == PoolSource::default()
    }
}

/// A pool to define or create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPool<'a> {
    /// dir, fs, netfs, logical, disk, iscsi, ...
    pub kind: &'a str,
    pub name: &'a str,
    /// The target directory (`<target><path>`); libvirt picks one for some types.
    pub target: Option<&'a str>,
    pub source: PoolSource,
}

impl<'a> NewPool<'a> {
    /// A dir pool on `dir`.
    pub fn dir(name: &'a str, dir: &'a str) -> NewPool<'a> {
        NewPool {
            kind: "dir",
            name,
            target: Some(dir),
            source: PoolSource::default(),
        }
    }

    /// The pool's definition (quick-xml escapes names and paths).
    pub fn xml(&self) -> String {
        let mut w = Writer::new(Vec::new());
        w.create_element("pool")
            .with_attribute(("type", self.kind))
            .write_inner_content(|w| {
                w.create_element("name")
                    .write_text_content(BytesText::new(self.name))?;
                let s = &self.source;
                if !s.is_empty() {
                    w.create_element("source").write_inner_content(|w| {
                        let path = |w: &mut Writer<Vec<u8>>, tag: &str, value: &Option<String>| {
                            if let Some(v) = value {
                                w.create_element(tag)
                                    .with_attribute(("path", v.as_str()))
                                    .write_empty()?;
                            }
                            Ok::<_, std::io::Error>(())
                        };
                        if let Some(host) = &s.host {
                            w.create_element("host")
                                .with_attribute(("name", host.as_str()))
                                .write_empty()?;
                        }
                        path(w, "device", &s.device)?;
                        path(w, "dir", &s.dir)?;
                        if let Some(name) = &s.name {
                            w.create_element("name")
                                .write_text_content(BytesText::new(name))?;
                        }
                        if let Some(format) = &s.format {
                            w.create_element("format")
                                .with_attribute(("type", format.as_str()))
                                .write_empty()?;
                        }
                        Ok(())
                    })?;
                }
                if let Some(dir) = self.target {
                    w.create_element("target").write_inner_content(|w| {
                        w.create_element("path").write_text_content(BytesText::new(dir))?;
                        Ok(())
                    })?;
                }
                Ok(())
            })
            .expect("writing XML to a Vec");
        String::from_utf8(w.into_inner()).expect("UTF-8")
    }

    /// What an existing pool's definition says otherwise than this one (for --exist-ok: empty
    /// when it already is what was asked), as "field: now -> asked".
    pub fn differences(&self, now: &PoolXml) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |what: &str, have: Option<&str>, want: Option<&str>| {
            if have != want {
                out.push(format!(
                    "{what}: {} -> {}",
                    have.unwrap_or("none"),
                    want.unwrap_or("none")
                ));
            }
        };
        check("type", now.kind.as_deref(), Some(self.kind));
        if self.target.is_some() {
            check("target", now.target.as_deref(), self.target);
        }
        let (have, want) = (&now.source, &self.source);
        check("source host", have.host.as_deref(), want.host.as_deref());
        check("source path", have.dir.as_deref(), want.dir.as_deref());
        check("source dev", have.device.as_deref(), want.device.as_deref());
        check("source name", have.name.as_deref(), want.name.as_deref());
        if want.format.is_some() {
            check("source format", have.format.as_deref(), want.format.as_deref());
        }
        out
    }
}

/// A dir pool's definition (quick-xml escapes the name and path).
pub fn pool_xml(name: &str, dir: &str) -> String {
    NewPool::dir(name, dir).xml()
}

/// What vnet-vm reads from a pool's XML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolXml {
    /// `<name>`.
    pub name: Option<String>,
    /// `<uuid>`.
    pub uuid: Option<String>,
    /// dir, fs, logical, ... (`<pool type=...>`).
    pub kind: Option<String>,
    /// The target directory (`<target><path>`).
    pub target: Option<String>,
    /// `<source>`.
    pub source: PoolSource,
}

impl PoolXml {
    /// Reads a pool document libvirt gave us; what is not there (or not XML) is None.
    pub fn read(xml: &str) -> PoolXml {
        match xml::parse(xml).ok().filter(|p| p.name == "pool") {
            Some(pool) => PoolXml::of(&pool),
            None => PoolXml::default(),
        }
    }

    fn of(pool: &Element) -> PoolXml {
        let source = pool.child("source");
        let attr = |tag: &str, name: &str| {
            source
                .and_then(|s| s.child(tag))
                .and_then(|e| e.attr_string(name))
        };
        let trimmed = |t: Option<String>| t.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        PoolXml {
            name: trimmed(pool.text_at(&["name"])),
            uuid: trimmed(pool.text_at(&["uuid"])),
            kind: pool.attr_string("type"),
            target: trimmed(pool.text_at(&["target", "path"])),
            source: PoolSource {
                host: attr("host", "name"),
                dir: attr("dir", "path"),
                device: attr("device", "path"),
                name: trimmed(source.and_then(|s| s.text_at(&["name"]))),
                format: attr("format", "type"),
            },
        }
    }

    /// Reads a pool definition a user wrote (pool-define FILE, pool-create FILE): one well-formed
    /// `<pool type=...>` document with a `<name>`; anything else is exit 7, before libvirt is asked.
    pub fn read_file(text: &str) -> Result<PoolXml> {
        let pool = read_root(text, "pool")?;
        let read = PoolXml::of(&pool);
        if read.kind.is_none() {
            return Err(Error::invalid("malformed pool XML: <pool> has no type attribute"));
        }
        if read.name.is_none() {
            return Err(Error::invalid("malformed pool XML: <pool> has no <name>"));
        }
        Ok(read)
    }
}

/// A pool definition libvirt printed, without what libvirt fills in itself rather than reads from
/// a file: the sizes (from the last refresh) and, unless the file gave them, the target's
/// permissions (read from the directory once the pool runs). Two definitions that compare equal
/// this way say the same.
pub fn comparable(xml: &str, file_gives_permissions: bool) -> String {
    let mut out = Vec::new();
    let mut in_permissions = false;
    for line in xml.lines() {
        let t = line.trim_start();
        if ["<capacity", "<allocation", "<available"]
            .iter()
            .any(|p| t.starts_with(p))
        {
            continue;
        }
        if !file_gives_permissions {
            if t.starts_with("<permissions>") {
                in_permissions = true;
            }
            if in_permissions {
                in_permissions = !t.starts_with("</permissions>");
                continue;
            }
        }
        out.push(line);
    }
    out.join("\n")
}

/// The root element of a document a user wrote, which must be `<root>`: malformed XML, another
/// root, text outside it are exit 7 ("malformed ROOT XML: why").
pub fn read_root(text: &str, root: &str) -> Result<Element> {
    let bad = |why: String| Error::invalid(format!("malformed {root} XML: {why}"));
    let other_root = |found: &str| {
        bad(format!(
            "the root element is <{}>, not <{root}>",
            vnet_common::error::one_line(found)
        ))
    };
    let element = match xml::parse(text) {
        Ok(element) => element,
        Err(ParseError {
            root: Some(found), ..
        }) if found != root => return Err(other_root(&found)),
        Err(e) => {
            return Err(bad(match e.error {
                XmlError::NoRoot => format!("no <{root}> element"),
                XmlError::TextOutside => format!("text outside the <{root}> element"),
                other => other.to_string(),
            }))
        }
    };
    if element.name != root {
        return Err(other_root(&element.name));
    }
    Ok(element)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_xml_escapes_and_reads_back() {
        let xml = pool_xml("a&b", "/d<x>");
        assert_eq!(
            xml,
            "<pool type=\"dir\"><name>a&amp;b</name><target><path>/d&lt;x&gt;</path></target></pool>"
        );
        let read = PoolXml::read(&xml);
        assert_eq!(
            (read.kind.as_deref(), read.target.as_deref()),
            (Some("dir"), Some("/d<x>"))
        );
        let live =
            PoolXml::read("<pool type='logical'><name>p</name><target><path>/i</path></target></pool>");
        assert_eq!(
            (live.kind.as_deref(), live.target.as_deref()),
            (Some("logical"), Some("/i"))
        );
        assert_eq!(PoolXml::read("<volume type='file'/>"), PoolXml::default());
    }

    #[test]
    fn pools_of_any_type_are_built_and_compared() {
        let source = PoolSource {
            host: Some("nfs&1".into()),
            dir: Some("/export".into()),
            format: Some("nfs".into()),
            ..PoolSource::default()
        };
        let pool = NewPool {
            kind: "netfs",
            name: "n",
            target: Some("/mnt/n"),
            source,
        };
        let xml = pool.xml();
        assert_eq!(
            xml,
            "<pool type=\"netfs\"><name>n</name><source><host name=\"nfs&amp;1\"/><dir path=\"/export\"/>\
             <format type=\"nfs\"/></source><target><path>/mnt/n</path></target></pool>"
        );
        let read = PoolXml::read_file(&xml).unwrap();
        assert_eq!(read.source, pool.source);
        assert!(pool.differences(&read).is_empty());
        let other = NewPool::dir("n", "/d");
        assert_eq!(
            other.differences(&read),
            [
                "type: netfs -> dir",
                "target: /mnt/n -> /d",
                "source host: nfs&1 -> none",
                "source path: /export -> none"
            ]
        );
    }

    #[test]
    fn a_pool_file_must_be_one_named_pool() {
        for (bad, why) in [
            ("<pool type='dir'><name>x</name>", "malformed pool XML"),
            ("<volume/>", "not <pool>"),
            ("<pool><name>x</name></pool>", "no type"),
            ("<pool type='dir'/>", "no <name>"),
            ("text", "malformed pool XML"),
        ] {
            let e = PoolXml::read_file(bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}");
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
    }
}
