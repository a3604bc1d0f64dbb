//! The volume verbs that make a volume from a definition or from another volume (virsh's
//! spelling and flags): vol-create POOL FILE, vol-create-from POOL FILE VOL, vol-clone VOL NEW.
//! Each checks its inputs first (a malformed file, a name in use, an unknown pool or volume:
//! nothing is made) and records the new volume, so a later failure deletes it again.

use crate::storage::disks::record_new_volume;
use crate::storage::pools::validate_name;
use crate::storage::volumes::{active_pool, require, VolChanged, VolState};
use crate::xml::domain::Element;
use crate::xml::volume::{file_volume_name, Backing, NewVolume};
use std::path::{Path, PathBuf};
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::sys;
use vnet_common::error::quote;
use vnet_common::libvirt::{LibvirtContext, Session};
use vnet_common::{Error, Journal, Result, Verb};

/// virsh's creation flags (--prealloc-metadata, --reflink).
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct CreateFlags {
    /// Preallocate the image's metadata (qcow2), not its data.
    #[arg(long)]
    pub prealloc_metadata: bool,
    /// Copy by reflink (copy-on-write clone of the file); fails where the file system cannot.
    #[arg(long)]
    pub reflink: bool,
}

/// VIR_STORAGE_VOL_CREATE_VALIDATE when --validate is given.
fn validate_flag(validate: bool) -> u32 {
    if validate {
        sys::VIR_STORAGE_VOL_CREATE_VALIDATE
    } else {
        0
    }
}

impl CreateFlags {
    fn libvirt(self) -> u32 {
        let mut flags = 0;
        if self.prealloc_metadata {
            flags |= sys::VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA;
        }
        if self.reflink {
            flags |= sys::VIR_STORAGE_VOL_CREATE_REFLINK;
        }
        flags
    }
}

/// A volume definition file read and checked: its text and the volume's name (missing file 3;
/// not UTF-8, too big, malformed, a bad name 7).
fn read_volume_file(file: &Path) -> Result<(String, String)> {
    let text = vnet_common::files::read_text(file, vnet_common::files::MAX_XML)?;
    let name = file_volume_name(&text).map_err(|e| e.context(quote(&file.display().to_string())))?;
    validate_name("volume", &name)?;
    Ok((text, name))
}

/// A name in use in `pool` is exit 4 (checked before anything is made).
fn name_free(pool: &StoragePool, pool_name: &str, name: &str) -> Result<()> {
    if StorageVol::lookup_by_name(pool, name).is_ok() {
        return Err(Error::exists(format!(
            "volume {} already exists in pool {pool_name}",
            quote(name)
        ))
        .with_hint("vol-delete it first, or choose another name"));
    }
    Ok(())
}

/// Create a volume from an XML file (virsh vol-create POOL FILE).
///
/// The file must be one well-formed <volume> document with a <name> (exit 7 otherwise, a missing
/// file 3); the pool must be active; a name in use is exit 4. The volume is deleted again when a
/// later step of the same call (--batch --atomic) fails.
#[derive(Debug, clap::Args)]
pub struct VolCreate {
    /// Pool name or UUID.
    pub pool: String,
    /// The volume XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    #[command(flatten)]
    pub flags: CreateFlags,
    /// Have libvirt check the document against its volume schema first (virsh --validate): a
    /// document the schema refuses is exit 7 with libvirt's reason, nothing made.
    #[arg(long)]
    pub validate: bool,
}

impl Verb for VolCreate {
    type Ctx = Session;
    type Output = VolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VolChanged> {
        let (text, name) = read_volume_file(&self.file)?;
        let pool = active_pool(ctx.conn()?, &self.pool)?;
        name_free(&pool, &self.pool, &name)?;
        let shown = self.file.display().to_string();
        let flags = self.flags.libvirt() | validate_flag(self.validate);
        let vol = StorageVol::create_xml(&pool, &text, flags).libvirt(format!(
            "create volume {} from {}",
            quote(&name),
            quote(&shown)
        ))?;
        record_new_volume(&vol, journal)?;
        VolChanged::of(&vol, true, format!("created from {shown}"))
    }
}

/// Create a volume from an XML file with another volume's content (virsh vol-create-from POOL
/// FILE VOL [--inputpool POOL]).
///
/// VOL is found as virsh finds it: its name in --inputpool, else its key or path. The same
/// checks as vol-create, and an unknown VOL is exit 3, before anything is made. libvirt copies
/// (converts) the content into the new volume's format.
#[derive(Debug, clap::Args)]
pub struct VolCreateFrom {
    /// Pool name or UUID of the new volume.
    pub pool: String,
    /// The new volume's XML file.
    #[arg(value_name = "FILE.xml")]
    pub file: PathBuf,
    /// The volume to copy: its key or path, or its name with --inputpool.
    pub vol: String,
    /// The pool holding VOL given by name.
    #[arg(long, value_name = "POOL")]
    pub inputpool: Option<String>,
    #[command(flatten)]
    pub flags: CreateFlags,
    /// Have libvirt check the document against its volume schema first (virsh --validate): a
    /// document the schema refuses is exit 7 with libvirt's reason, nothing made.
    #[arg(long)]
    pub validate: bool,
}

impl Verb for VolCreateFrom {
    type Ctx = Session;
    type Output = VolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VolChanged> {
        let (text, name) = read_volume_file(&self.file)?;
        let conn = ctx.conn()?;
        let input = require(conn, &self.vol, self.inputpool.as_deref())?;
        let pool = active_pool(conn, &self.pool)?;
        name_free(&pool, &self.pool, &name)?;
        let input_name = input.get_name().libvirt("volume name")?;
        let flags = self.flags.libvirt() | validate_flag(self.validate);
        let vol = StorageVol::create_xml_from(&pool, &text, &input, flags).libvirt(format!(
            "create volume {} from volume {}",
            quote(&name),
            quote(&input_name)
        ))?;
        record_new_volume(&vol, journal)?;
        VolChanged::of(&vol, true, format!("created from input vol {input_name}"))
    }
}

/// Clone a volume in its own pool (virsh vol-clone VOL NEWNAME [--pool POOL]).
///
/// VOL is found as virsh finds it (its name with --pool, else its key or path). The clone has
/// VOL's capacity, format and backing file; libvirt copies the content (sparse). An unknown VOL
/// is exit 3, a NEWNAME in use 4, an invalid one 7, before anything is made.
#[derive(Debug, clap::Args)]
pub struct VolClone {
    /// The volume to clone: its key or path, or its name with --pool.
    pub vol: String,
    /// The clone's name (in VOL's pool).
    pub newname: String,
    /// The pool holding VOL given by name.
    #[arg(long, value_name = "POOL")]
    pub pool: Option<String>,
    #[command(flatten)]
    pub flags: CreateFlags,
    /// Print the clone's XML as virsh does (VOL's own, renamed) and clone nothing.
    #[arg(long)]
    pub print_xml: bool,
}

/// vol-clone --print-xml: VOL's XML with the new name, as virsh prints it; the JSON is the
/// volume it would be, beside VOL, `"changed": false`.
fn printed_clone(orig: &StorageVol, state: VolState, newname: &str) -> Result<VolChanged> {
    let xml = orig.get_xml_desc(0).libvirt("volume XML")?;
    let mut doc = Element::parse(&xml).map_err(|e| Error::failed(format!("volume XML: {e}")))?;
    doc.set("name", newname);
    let mut w = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    doc.write(&mut w).expect("writing to a Vec cannot fail");
    let printed = String::from_utf8(w.into_inner()).expect("quick-xml writes UTF-8") + "\n";
    let path = Path::new(&state.path).with_file_name(newname);
    Ok(VolChanged {
        volume: VolState {
            name: newname.to_string(),
            path: path.to_string_lossy().into_owned(),
            ..state
        },
        changed: false,
        done: String::new(),
        xml: Some(printed),
    })
}

impl Verb for VolClone {
    type Ctx = Session;
    type Output = VolChanged;

    fn run(self, ctx: &mut Session, journal: &mut Journal) -> Result<VolChanged> {
        validate_name("volume", &self.newname)?;
        let conn = ctx.conn()?;
        let orig = require(conn, &self.vol, self.pool.as_deref())?;
        let state = VolState::read(&orig)?;
        if self.print_xml {
            return printed_clone(&orig, state, &self.newname);
        }
        let pool = active_pool(conn, &state.pool)?;
        name_free(&pool, &state.pool, &self.newname)?;
        let backing = match (&state.backing, &state.backing_format) {
            (Some(path), Some(format)) => Some(Backing {
                path: path.clone(),
                format: format.clone(),
            }),
            _ => None,
        };
        let format = state.format.as_deref().unwrap_or("raw");
        let xml = NewVolume::disk(&self.newname, state.capacity, format, backing.as_ref()).xml();
        let vol = StorageVol::create_xml_from(&pool, &xml, &orig, self.flags.libvirt()).libvirt(format!(
            "clone volume {} as {}",
            quote(&state.name),
            quote(&self.newname)
        ))?;
        record_new_volume(&vol, journal)?;
        VolChanged::of(&vol, true, format!("cloned from {}", state.name))
    }
}
