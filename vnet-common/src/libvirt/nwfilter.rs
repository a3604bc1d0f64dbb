//! libvirt's network filter documents as vnet reads them (through [`document`](super::document)):
//! a `<filter>` (its name and UUID) and a `<filterbinding>` (the port it binds, the filter).

use super::document;
use crate::Result;
use serde::Deserialize;

/// A `<filter name=...>` definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FilterDef {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub uuid: Option<String>,
}

impl FilterDef {
    /// Reads a filter document (exit 7 for malformed XML or another root element).
    pub fn from_xml(xml: &str) -> Result<FilterDef> {
        document::read(xml, "filter")
    }
}

/// A `<filterbinding>`: a filter bound to a guest's port (its host device).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BindingDef {
    pub portdev: Option<Named>,
    pub filterref: Option<FilterRef>,
    pub mac: Option<Address>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Named {
    #[serde(rename = "@name")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FilterRef {
    #[serde(rename = "@filter")]
    pub filter: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Address {
    #[serde(rename = "@address")]
    pub address: Option<String>,
}

impl BindingDef {
    /// Reads a binding document (exit 7 for malformed XML or another root element).
    pub fn from_xml(xml: &str) -> Result<BindingDef> {
        document::read(xml, "filterbinding")
    }

    pub fn portdev(&self) -> Option<&str> {
        self.portdev.as_ref().and_then(|p| p.name.as_deref())
    }

    pub fn filter(&self) -> Option<&str> {
        self.filterref.as_ref().and_then(|f| f.filter.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_filters_and_bindings_as_libvirt_writes_them() {
        let filter = FilterDef::from_xml(
            "<filter name='f1' chain='ipv4'><uuid>aaaaaaaa-2222-3333-4444-555555555555</uuid>\
             <rule action='accept' direction='out'/></filter>",
        )
        .unwrap();
        assert_eq!(filter.name.as_deref(), Some("f1"));
        let binding = BindingDef::from_xml(
            "<filterbinding><owner><name>g</name></owner><portdev name='tap0'/>\
             <mac address='52:54:00:11:22:33'/><filterref filter='f1'><parameter name='MAC' value='x'/>\
             </filterref></filterbinding>",
        )
        .unwrap();
        assert_eq!((binding.portdev(), binding.filter()), (Some("tap0"), Some("f1")));
        assert_eq!(
            FilterDef::from_xml("<filterbinding/>").unwrap_err().exit_code(),
            7
        );
    }
}
