//! libvirt's typed parameters (domstats, domblkstat, domjobinfo, guestinfo) read into typed JSON
//! values, in libvirt's order, and printed as virsh prints them.

use schemars::JsonSchema;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::ffi::CStr;
use virt::sys;

/// One parameter's value, with libvirt's type: a number, a flag or a string.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Value {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Flag(bool),
    Text(String),
}

impl Value {
    /// The value as virsh prints it (virTypedParameterToString).
    pub fn virsh(&self) -> String {
        match self {
            Value::Unsigned(v) => v.to_string(),
            Value::Signed(v) => v.to_string(),
            Value::Float(v) => format!("{v:.6}"),
            Value::Flag(v) => if *v { "yes" } else { "no" }.to_string(),
            Value::Text(v) => v.clone(),
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Unsigned(v) => Some(*v),
            Value::Signed(v) => u64::try_from(*v).ok(),
            _ => None,
        }
    }
}

/// Named values in libvirt's order; JSON: an object, keys in that order.
#[derive(Debug, Clone, Default, PartialEq, JsonSchema)]
#[schemars(with = "BTreeMap<String, Value>")]
pub struct Params(pub Vec<(String, Value)>);

impl Serialize for Params {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Params {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Reads `n` parameters at `params` (not freed here).
    ///
    /// # Safety
    /// `params` points to `n` initialized parameters (or is null with `n` 0).
    pub unsafe fn read(params: *const sys::virTypedParameter, n: i32) -> Params {
        let mut out = Vec::new();
        for i in 0..n.max(0) as usize {
            let p = &*params.add(i);
            let name = CStr::from_ptr(p.field.as_ptr()).to_string_lossy().into_owned();
            let value = match p.type_ as u32 {
                sys::VIR_TYPED_PARAM_INT => Value::Signed(p.value.i as i64),
                sys::VIR_TYPED_PARAM_UINT => Value::Unsigned(p.value.ui as u64),
                sys::VIR_TYPED_PARAM_LLONG => Value::Signed(p.value.l),
                sys::VIR_TYPED_PARAM_ULLONG => Value::Unsigned(p.value.ul),
                sys::VIR_TYPED_PARAM_DOUBLE => Value::Float(p.value.d),
                sys::VIR_TYPED_PARAM_BOOLEAN => Value::Flag(p.value.b != 0),
                sys::VIR_TYPED_PARAM_STRING if !p.value.s.is_null() => {
                    Value::Text(CStr::from_ptr(p.value.s).to_string_lossy().into_owned())
                }
                _ => continue,
            };
            out.push((name, value));
        }
        Params(out)
    }

    /// Reads and frees `n` parameters libvirt allocated.
    ///
    /// # Safety
    /// As [`Params::read`]; `params` was allocated by libvirt and is not used afterwards.
    pub unsafe fn take(params: *mut sys::virTypedParameter, n: i32) -> Params {
        let read = Params::read(params, n);
        if !params.is_null() {
            sys::virTypedParamsFree(params, n);
        }
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_as_virsh_and_keep_their_order_and_types() {
        let params = Params(vec![
            ("state.state".into(), Value::Signed(1)),
            ("cpu.time".into(), Value::Unsigned(42)),
            ("vcpu.0.halted".into(), Value::Flag(true)),
            ("block.0.name".into(), Value::Text("vda".into())),
        ]);
        let json = serde_json::to_string(&params).unwrap();
        assert_eq!(
            json,
            r#"{"state.state":1,"cpu.time":42,"vcpu.0.halted":true,"block.0.name":"vda"}"#
        );
        assert_eq!(Value::Flag(false).virsh(), "no");
        assert_eq!(Value::Float(0.5).virsh(), "0.500000");
    }
}
