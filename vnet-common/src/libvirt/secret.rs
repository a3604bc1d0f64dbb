//! libvirt's `<secret>` document as vnet reads it (through [`document`](super::document)): its
//! UUID, flags, description and what it is for (its usage).

use super::document;
use crate::Result;
use serde::Deserialize;

/// A `<secret>` definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SecretDef {
    #[serde(rename = "@ephemeral")]
    pub ephemeral: Option<String>,
    #[serde(rename = "@private")]
    pub private: Option<String>,
    pub uuid: Option<String>,
    pub description: Option<String>,
    pub usage: Option<SecretUsage>,
}

/// What the secret is for: `<usage type='volume'><volume>PATH</volume></usage>`, or a
/// `<name>` (ceph, tls, vtpm), or a `<target>` (iscsi).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SecretUsage {
    #[serde(rename = "@type")]
    pub kind: Option<String>,
    pub volume: Option<String>,
    pub name: Option<String>,
    pub target: Option<String>,
}

impl SecretDef {
    /// Reads a secret document (exit 7 for malformed XML or another root element).
    pub fn from_xml(xml: &str) -> Result<SecretDef> {
        document::read(xml, "secret")
    }

    /// True when the attribute says "yes" (libvirt's spelling of its flags).
    pub fn is_yes(flag: &Option<String>) -> bool {
        flag.as_deref() == Some("yes")
    }
}

impl SecretUsage {
    /// The usage's id, as virsh prints it after the type: the volume's path, the name or target.
    pub fn id(&self) -> Option<&str> {
        self.volume
            .as_deref()
            .or(self.name.as_deref())
            .or(self.target.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_secret_as_libvirt_writes_it() {
        let def = SecretDef::from_xml(
            "<secret ephemeral='no' private='yes'>\n  <uuid>aaaaaaaa-2222-3333-4444-555555555555</uuid>\n  \
             <description>one</description>\n  <usage type='volume'>\n    <volume>/x.img</volume>\n  \
             </usage>\n</secret>\n",
        )
        .unwrap();
        assert!(SecretDef::is_yes(&def.private) && !SecretDef::is_yes(&def.ephemeral));
        let usage = def.usage.unwrap();
        assert_eq!(
            (usage.kind.as_deref(), usage.id()),
            (Some("volume"), Some("/x.img"))
        );
        assert_eq!(SecretDef::from_xml("<secrets/>").unwrap_err().exit_code(), 7);
    }
}
