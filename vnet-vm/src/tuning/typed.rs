//! libvirt's get/set pairs of typed parameters (memtune, schedinfo, blkiotune, numatune...):
//! reading by libvirt's two-call convention, and building a set request from text values typed
//! as the getter reported them, as virsh does.

use crate::observe::params::Params;
use std::ffi::CString;
use std::rc::Rc;
use virt::domain::Domain;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::LibvirtContext;
use vnet_common::{Error, Journal, Result};

/// A libvirt getter: `(params, &mut nparams)` -> status; called with null first for the count.
pub type Getter<'a> = dyn Fn(sys::virTypedParameterPtr, *mut i32) -> i32 + 'a;

/// What a getter reported: the values, and each field's libvirt type (VIR_TYPED_PARAM_*).
pub struct Answer {
    pub params: Params,
    pub kinds: Vec<(String, i32)>,
}

impl Answer {
    /// The type libvirt gave `field`.
    pub fn kind(&self, field: &str) -> Option<i32> {
        self.kinds.iter().find(|(k, _)| k == field).map(|(_, t)| *t)
    }
}

/// The parameters a getter reports, in its order.
pub fn get(getter: &Getter, what: &str) -> Result<Answer> {
    let mut n = 0;
    if getter(std::ptr::null_mut(), &mut n) < 0 {
        return Err(virt::error::Error::last_error()).libvirt(what);
    }
    // SAFETY: a zeroed virTypedParameter is a valid empty one; libvirt fills `n` of them.
    let mut buf: Vec<sys::virTypedParameter> = vec![unsafe { std::mem::zeroed() }; n.max(0) as usize];
    if n > 0 && getter(buf.as_mut_ptr(), &mut n) < 0 {
        return Err(virt::error::Error::last_error()).libvirt(what);
    }
    let field = |p: &sys::virTypedParameter| {
        // SAFETY: libvirt's field names are NUL-terminated within the array.
        let name = unsafe { std::ffi::CStr::from_ptr(p.field.as_ptr()) };
        (name.to_string_lossy().into_owned(), p.type_)
    };
    let kinds = buf.iter().take(n as usize).map(field).collect();
    // SAFETY: libvirt initialised `n` parameters; Clear frees their strings, not the buffer.
    let params = unsafe { Params::read(buf.as_ptr(), n) };
    unsafe { sys::virTypedParamsClear(buf.as_mut_ptr(), n) };
    Ok(Answer { params, kinds })
}

/// A set request being built; frees itself.
pub struct Request {
    params: sys::virTypedParameterPtr,
    n: i32,
    max: i32,
}

impl Request {
    pub fn new() -> Request {
        Request {
            params: std::ptr::null_mut(),
            n: 0,
            max: 0,
        }
    }

    /// Adds `field=value`, the value read as libvirt's `kind` (a VIR_TYPED_PARAM_*): a value
    /// that type cannot hold is exit 7.
    pub fn add(&mut self, field: &str, kind: i32, value: &str) -> Result<()> {
        let bad = || Error::invalid(format!("invalid value {} for {}", quote(value), quote(field)));
        let name = CString::new(field).map_err(|_| bad())?;
        let text = CString::new(value).map_err(|_| bad())?;
        // SAFETY: the request's own parameter list; libvirt copies both strings.
        let rc = unsafe {
            sys::virTypedParamsAddFromString(
                &mut self.params,
                &mut self.n,
                &mut self.max,
                name.as_ptr(),
                kind,
                text.as_ptr(),
            )
        };
        match rc {
            0 => Ok(()),
            _ => Err(bad()),
        }
    }

    /// Hands the list to a libvirt setter `(params, nparams)` -> status.
    pub fn send(&self, setter: impl Fn(sys::virTypedParameterPtr, i32) -> i32, what: &str) -> Result<()> {
        match setter(self.params, self.n) {
            rc if rc < 0 => Err(virt::error::Error::last_error()).libvirt(what),
            _ => Ok(()),
        }
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if !self.params.is_null() {
            // SAFETY: allocated by virTypedParamsAdd*, used no more.
            unsafe { sys::virTypedParamsFree(self.params, self.n) };
        }
    }
}

/// A libvirt getter for one scope: `(params, &mut nparams, flags)` -> status.
pub type GetFn = Box<dyn Fn(sys::virTypedParameterPtr, *mut i32, u32) -> i32>;
/// A libvirt setter: `(params, nparams, flags)` -> status.
pub type SetFn = Rc<dyn Fn(sys::virTypedParameterPtr, i32, u32) -> i32>;

/// One get/set pair of a domain's (or one of its devices') typed parameters.
pub struct Knobs {
    pub get: GetFn,
    pub set: SetFn,
    /// What they are, for messages ("memory parameters of domain 'vm1'").
    pub what: String,
    /// What virsh calls an unknown field ("scheduler option").
    pub field_word: &'static str,
}

/// The parameters after a [`Knobs::change`], and whether they differ from before.
pub struct Change {
    pub after: Params,
    pub changed: bool,
}

impl Knobs {
    pub fn read(&self, flags: u32) -> Result<Answer> {
        get(&|p, n| (self.get)(p, n, flags), &self.what)
    }

    /// Sets `wanted` (field, value as text) with `set_flags`, each typed as the getter (in the
    /// `read_flag` scope) types it; a field the getter does not have is exit 7. Reads back in
    /// that scope; a change is recorded with the old values as its undo.
    pub fn change(
        &self,
        wanted: &[(String, String)],
        read_flag: u32,
        set_flags: u32,
        journal: &mut Journal,
    ) -> Result<Change> {
        let before = self.read(read_flag)?;
        let mut request = Request::new();
        let mut undo = Request::new();
        for (field, value) in wanted {
            let unknown = || Error::invalid(format!("invalid {}: {}", self.field_word, quote(field)));
            let kind = before.kind(field).ok_or_else(unknown)?;
            request.add(field, kind, value)?;
            let old = before.params.get(field).ok_or_else(unknown)?;
            undo.add(field, kind, &old.virsh())?;
        }
        if wanted.is_empty() {
            return Ok(Change {
                after: before.params,
                changed: false,
            });
        }
        let step = format!("set the {}", self.what);
        request.send(|p, n| (self.set)(p, n, set_flags), &step)?;
        let after = self.read(read_flag)?.params;
        let changed = after != before.params;
        if changed {
            let set = self.set.clone();
            journal.record_fn(step, move || {
                undo.send(|p, n| set(p, n, set_flags), "set them back")
            })?;
        }
        Ok(Change { after, changed })
    }
}

/// libvirt's domain-wide getter and setter shapes (virDomainGetMemoryParameters...).
pub type DomainGet = unsafe extern "C" fn(sys::virDomainPtr, sys::virTypedParameterPtr, *mut i32, u32) -> i32;
pub type DomainSet = unsafe extern "C" fn(sys::virDomainPtr, sys::virTypedParameterPtr, i32, u32) -> i32;

/// The [`Knobs`] of a domain-wide get/set pair.
pub fn domain_knobs(
    dom: &Domain,
    get: DomainGet,
    set: DomainSet,
    what: String,
    field_word: &'static str,
) -> Knobs {
    let (getter, setter) = (dom.clone(), dom.clone());
    Knobs {
        // SAFETY: the domain is held by the closure; `p` is null or holds `*n` parameters.
        get: Box::new(move |p, n, flags| unsafe { get(getter.as_ptr(), p, n, flags) }),
        set: Rc::new(move |p, n, flags| unsafe { set(setter.as_ptr(), p, n, flags) }),
        what,
        field_word,
    }
}
