//! CPU models against the host and its hypervisor: cpu-baseline, cpu-compare,
//! hypervisor-cpu-baseline and hypervisor-cpu-compare, reading their CPUs from a file as virsh
//! does (bare <cpu> elements, domain XML, host capabilities or domain capabilities).

use super::HostXml;
use schemars::JsonSchema;
use serde::Serialize;
use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{xpath, LibvirtContext, Session};
use vnet_common::{Error, ErrorKind, Journal, Render, Result, TextStyle, Verb};

/// Where virsh finds CPU definitions in a file (vshExtractCPUDefXMLs): the file's elements are
/// put in one <container>, so a file may hold several documents side by side.
const CPU_PATHS: &str = "/container/cpu|/container/domain/cpu|/container/capabilities/host/cpu|\
/container/domainCapabilities/cpu/mode[@name='host-model' and @supported='yes']";

/// The <cpu> definitions in `file`, in document order; none is exit 7 as virsh refuses it.
pub fn cpus_in(file: &Path) -> Result<Vec<String>> {
    let text = vnet_common::files::read_text(file, vnet_common::files::MAX_XML)?;
    // As virsh: an XML declaration would be invalid inside the container.
    let body = match text.trim_start().strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |(_, after)| after),
        None => &text,
    };
    let container = format!("<container>{body}</container>");
    let pieces = xpath::select(&container, CPU_PATHS, false).map_err(|e| {
        Error::invalid(format!(
            "{}: not XML: {}",
            quote(&file.display().to_string()),
            e.message
        ))
    })?;
    if pieces.is_empty() {
        return Err(Error::invalid(format!(
            "file {} does not contain any <cpu> element or valid domain XML, host capabilities \
             XML, or domain capabilities XML",
            quote(&file.display().to_string())
        )));
    }
    Ok(pieces.iter().map(|piece| host_model_as_cpu(piece)).collect())
}

/// A domain capabilities' `<mode name='host-model' ...>` becomes a bare `<cpu>` (virsh renames
/// the element and drops its attributes); a <cpu> is kept as it is.
fn host_model_as_cpu(piece: &str) -> String {
    let Some(rest) = piece.strip_prefix("<mode") else {
        return piece.to_string();
    };
    let Some(end) = rest.find('>') else {
        return piece.to_string();
    };
    if rest[..end].ends_with('/') {
        return "<cpu/>".to_string();
    }
    let inner = &rest[end + 1..];
    let inner = inner.strip_suffix("</mode>").unwrap_or(inner);
    format!("<cpu>{inner}</cpu>")
}

/// Which hypervisor a hypervisor-cpu-* verb asks about: each unset one is the driver's default.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Hypervisor {
    /// Virtualization type (/domain/@type: kvm, qemu).
    #[arg(long)]
    pub virttype: Option<String>,
    /// Path to the emulator binary (/domain/devices/emulator).
    #[arg(long)]
    pub emulator: Option<String>,
    /// CPU architecture (/domain/os/type/@arch).
    #[arg(long)]
    pub arch: Option<String>,
    /// Machine type (/domain/os/type/@machine).
    #[arg(long)]
    pub machine: Option<String>,
}

/// NUL-free C strings of the hypervisor's four choices (a NUL byte is exit 7).
struct HypervisorC([Option<CString>; 4]);

impl HypervisorC {
    fn new(h: &Hypervisor) -> Result<HypervisorC> {
        let c = |v: &Option<String>| v.as_deref().map(c_text).transpose();
        Ok(HypervisorC([
            c(&h.emulator)?,
            c(&h.arch)?,
            c(&h.machine)?,
            c(&h.virttype)?,
        ]))
    }

    fn ptr(&self, i: usize) -> *const c_char {
        self.0[i].as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
    }
}

fn c_text(text: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::invalid(format!("{} contains a NUL byte", quote(text))))
}

/// Compute the CPU every given CPU can run as (virsh cpu-baseline FILE).
///
/// FILE holds <cpu> elements, domain XML, host capabilities or domain capabilities (several
/// side by side); none there is exit 7. Prints libvirt's <cpu> document as virsh does.
#[derive(Debug, clap::Args)]
pub struct CpuBaseline {
    /// File with the XML CPU descriptions.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// List the features that are part of the CPU model too.
    #[arg(long)]
    pub features: bool,
    /// Leave out features that block migration.
    #[arg(long)]
    pub migratable: bool,
}

fn baseline_flags(features: bool, migratable: bool) -> u32 {
    let mut flags = 0;
    if features {
        flags |= sys::VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES;
    }
    if migratable {
        flags |= sys::VIR_CONNECT_BASELINE_CPU_MIGRATABLE;
    }
    flags
}

impl Verb for CpuBaseline {
    type Ctx = Session;
    type Output = HostXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostXml> {
        let cpus = cpus_in(&self.file)?;
        let refs: Vec<&str> = cpus.iter().map(String::as_str).collect();
        let flags = baseline_flags(self.features, self.migratable);
        let xml = ctx.conn()?.baseline_cpu(&refs, flags).libvirt("baseline CPU")?;
        Ok(HostXml { xml })
    }
}

/// Compute the baseline CPU a hypervisor of this host can give a guest (virsh
/// hypervisor-cpu-baseline [--file FILE | --model MODEL]).
///
/// As cpu-baseline, tailored to the hypervisor --virttype, --emulator, --arch and --machine
/// choose. --model NAME is one CPU of that model without extra features; --file or --model is
/// needed (neither: exit 2, as virsh refuses).
#[derive(Debug, clap::Args)]
pub struct HypervisorCpuBaseline {
    /// File with the XML CPU descriptions.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "model",
        conflicts_with = "model"
    )]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub hypervisor: Hypervisor,
    /// List the features that are part of the CPU model too.
    #[arg(long)]
    pub features: bool,
    /// Leave out features that block migration.
    #[arg(long)]
    pub migratable: bool,
    /// One CPU of this model and no additional features, instead of a file.
    #[arg(long)]
    pub model: Option<String>,
}

impl HypervisorCpuBaseline {
    fn cpus(&self) -> Result<Vec<String>> {
        match (&self.file, &self.model) {
            (Some(file), _) => cpus_in(file),
            (None, Some(model)) => Ok(vec![model_cpu(model)]),
            (None, None) => Err(Error::new(
                ErrorKind::Usage,
                "either --file or --model is required",
            )),
        }
    }
}

/// `<cpu><model>NAME</model></cpu>`, the name escaped by the XML writer.
fn model_cpu(model: &str) -> String {
    #[derive(Serialize)]
    struct Cpu<'a> {
        model: &'a str,
    }
    vnet_common::libvirt::document::write("cpu", &Cpu { model }, false)
}

impl Verb for HypervisorCpuBaseline {
    type Ctx = Session;
    type Output = HostXml;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<HostXml> {
        let cpus = self.cpus()?;
        let hyp = HypervisorC::new(&self.hypervisor)?;
        let cpus_c = cpus.iter().map(|c| c_text(c)).collect::<Result<Vec<_>>>()?;
        let mut ptrs: Vec<*const c_char> = cpus_c.iter().map(|c| c.as_ptr()).collect();
        let conn = ctx.conn()?;
        // SAFETY: every pointer is a live C string (or null) for the call; libvirt returns a
        // string it allocated, copied and freed here.
        let out = unsafe {
            sys::virConnectBaselineHypervisorCPU(
                conn.as_ptr(),
                hyp.ptr(0),
                hyp.ptr(1),
                hyp.ptr(2),
                hyp.ptr(3),
                ptrs.as_mut_ptr(),
                ptrs.len() as u32,
                baseline_flags(self.features, self.migratable),
            )
        };
        if out.is_null() {
            return Err(virt::error::Error::last_error()).libvirt("hypervisor baseline CPU");
        }
        let xml = unsafe { CStr::from_ptr(out) }.to_string_lossy().into_owned();
        unsafe { libc::free(out.cast()) };
        Ok(HostXml { xml })
    }
}

/// Compare a CPU with the host's CPU (virsh cpu-compare FILE).
///
/// The first CPU in FILE (as cpu-baseline reads it) is compared. Identical or a subset of the
/// host's: exit 0 with "identical" or "superset". Incompatible: exit 1, as virsh (with --error,
/// libvirt's reason why).
#[derive(Debug, clap::Args)]
pub struct CpuCompare {
    /// File with an XML CPU description.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Say why when the CPUs are incompatible.
    #[arg(long)]
    pub error: bool,
    /// Check the document against libvirt's schema.
    #[arg(long)]
    pub validate: bool,
}

/// Compare a CPU with the CPU a hypervisor of this host can give a guest (virsh
/// hypervisor-cpu-compare FILE).
///
/// As cpu-compare, against the hypervisor --virttype, --emulator, --arch and --machine choose.
#[derive(Debug, clap::Args)]
pub struct HypervisorCpuCompare {
    /// File with an XML CPU description.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub hypervisor: Hypervisor,
    /// Say why when the CPUs are incompatible.
    #[arg(long)]
    pub error: bool,
    /// Check the document against libvirt's schema.
    #[arg(long)]
    pub validate: bool,
}

/// How a CPU compares: exit 0 only when the host (or hypervisor) can run it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CpuComparison {
    /// The file the CPU came from.
    pub file: String,
    /// "identical" or "superset" (the host's CPU is a superset of the file's).
    pub result: String,
    /// Compared with the hypervisor's CPU (hypervisor-cpu-compare), not the host's.
    pub hypervisor: bool,
}

impl Render for CpuComparison {
    fn text(&self, _style: TextStyle) -> String {
        let line = match (self.result.as_str(), self.hypervisor) {
            ("identical", false) => format!("CPU described in {} is identical to host CPU", self.file),
            ("identical", true) => format!(
                "CPU described in {} is identical to the CPU provided by hypervisor on the host",
                self.file
            ),
            (_, false) => format!("Host CPU is a superset of CPU described in {}", self.file),
            (_, true) => format!(
                "The CPU provided by hypervisor on the host is a superset of CPU described in {}",
                self.file
            ),
        };
        format!("{line}\n\n")
    }
}

fn compare_flags(error: bool, validate: bool) -> u32 {
    let mut flags = 0;
    if error {
        flags |= sys::VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE;
    }
    if validate {
        flags |= sys::VIR_CONNECT_COMPARE_CPU_VALIDATE_XML;
    }
    flags
}

/// libvirt's answer as the verb's result; incompatible is exit 1 with virsh's words.
fn comparison(file: &Path, answer: i32, hypervisor: bool) -> Result<CpuComparison> {
    let file = file.display().to_string();
    let result = match answer {
        sys::VIR_CPU_COMPARE_IDENTICAL => "identical",
        sys::VIR_CPU_COMPARE_SUPERSET => "superset",
        sys::VIR_CPU_COMPARE_INCOMPATIBLE => {
            let with = match hypervisor {
                true => "the CPU provided by hypervisor on the host",
                false => "host CPU",
            };
            return Err(Error::new(
                ErrorKind::Failed,
                format!("CPU described in {} is incompatible with {with}", quote(&file)),
            )
            .with_hint("--error says which features are missing"));
        }
        _ => {
            return Err(virt::error::Error::last_error()).libvirt(format!("compare CPU of {}", quote(&file)))
        }
    };
    Ok(CpuComparison {
        file,
        result: result.into(),
        hypervisor,
    })
}

impl Verb for CpuCompare {
    type Ctx = Session;
    type Output = CpuComparison;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<CpuComparison> {
        let cpu = cpus_in(&self.file)?.swap_remove(0);
        let conn = ctx.conn()?;
        let answer = match conn.compare_cpu(&cpu, compare_flags(self.error, self.validate)) {
            Ok(answer) => answer,
            Err(e) => {
                return Err(e).libvirt(format!(
                    "compare CPU of {}",
                    quote(&self.file.display().to_string())
                ))
            }
        };
        comparison(&self.file, answer, false)
    }
}

impl Verb for HypervisorCpuCompare {
    type Ctx = Session;
    type Output = CpuComparison;

    fn run(self, ctx: &mut Session, _journal: &mut Journal) -> Result<CpuComparison> {
        let cpu = c_text(&cpus_in(&self.file)?.swap_remove(0))?;
        let hyp = HypervisorC::new(&self.hypervisor)?;
        let conn = ctx.conn()?;
        // SAFETY: every pointer is a live C string (or null) for the call.
        let answer = unsafe {
            sys::virConnectCompareHypervisorCPU(
                conn.as_ptr(),
                hyp.ptr(0),
                hyp.ptr(1),
                hyp.ptr(2),
                hyp.ptr(3),
                cpu.as_ptr(),
                compare_flags(self.error, self.validate),
            )
        };
        comparison(&self.file, answer, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run, session};

    fn file(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("vnet-vm-cpu-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn cpus_are_found_where_virsh_finds_them() {
        let caps = "<?xml version='1.0'?>\n<domainCapabilities><cpu><mode name='host-model' \
                    supported='yes'><model>Skylake</model></mode></cpu></domainCapabilities>";
        let path = file("caps.xml", caps);
        assert_eq!(
            cpus_in(&path).unwrap(),
            ["<cpu>\n  <model>Skylake</model>\n</cpu>"]
        );
        let two = file(
            "two.xml",
            "<cpu><model>a</model></cpu><domain><cpu><model>b</model></cpu></domain>",
        );
        assert_eq!(cpus_in(&two).unwrap().len(), 2);
        let none = file("none.xml", "<network/>");
        assert_eq!(cpus_in(&none).unwrap_err().exit_code(), 7);
        let bad = file("bad.xml", "<cpu>");
        assert_eq!(cpus_in(&bad).unwrap_err().exit_code(), 7);
        assert_eq!(model_cpu("a<b"), "<cpu><model>a&lt;b</model></cpu>");
    }

    #[test]
    fn the_test_driver_compares_and_baselines() {
        let mut ctx = session();
        let host = run(&mut ctx, super::super::Capabilities {}).unwrap().xml;
        let path = file("host.xml", &host);
        let same = run(
            &mut ctx,
            CpuCompare {
                file: path.clone(),
                error: false,
                validate: false,
            },
        );
        // The test driver's host CPU has no model: libvirt cannot compare it.
        if let Ok(same) = same {
            assert!(["identical", "superset"].contains(&same.result.as_str()));
        }
        let refused = run(
            &mut ctx,
            HypervisorCpuBaseline {
                file: None,
                hypervisor: Hypervisor::default(),
                features: false,
                migratable: false,
                model: Some("qemu64".into()),
            },
        );
        assert_eq!(refused.unwrap_err().exit_code(), 6);
    }
}
