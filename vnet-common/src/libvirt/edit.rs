//! virsh's edit verbs (edit, net-edit, pool-edit, snapshot-edit), the part they share: the
//! object's XML goes into a private temporary file, `$VISUAL` (else `$EDITOR`, else `vi`) runs on
//! it through `sh -c` as virsh runs it (so `EDITOR='sed -i s/a/b/' vnet-vm edit web` works as
//! it does with virsh), and the file read back is handed to the verb's define step when it
//! differs from what libvirt gave.
//!
//! Where virsh differs, and why: virsh 9.0 run without a terminal prints "error: Failed." for a
//! document libvirt refuses and still exits 0 with "XML configuration edited", so a script cannot
//! tell. Here an editor that fails, or a document that is malformed or refused, is exit 7 with
//! the reason (libvirt's message) and nothing changed. On a terminal (stdin a tty) a refused
//! document is offered for editing again, as virsh offers it.

use crate::error::{one_line, quote};
use crate::{Error, ErrorKind, Render, Result, TextStyle};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What an object's edit did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Edited {
    /// The object's name (after the edit).
    pub name: String,
    /// The object's UUID.
    pub uuid: String,
    /// False when the editor left the document as it was (nothing was defined).
    pub changed: bool,
    /// True when the running object keeps its old definition until it is restarted.
    pub restart_needed: bool,
    #[serde(skip)]
    #[schemars(skip)]
    shown: String,
}

impl Edited {
    /// The result of editing `kind`'s object `name` (`kind` as virsh words its message:
    /// "Domain", "Network", "Pool"; virsh quotes a domain's name only).
    pub fn new(kind: &str, name: String, uuid: String, changed: bool, restart_needed: bool) -> Edited {
        let shown_name = match kind {
            "Domain" => format!("'{name}'"),
            _ => name.clone(),
        };
        let what = if changed { "edited" } else { "not changed" };
        Edited {
            shown: format!("{kind} {shown_name} XML configuration {what}.\n\n"),
            name,
            uuid,
            changed,
            restart_needed,
        }
    }
}

/// virsh's confirmation line, also when nothing changed (virsh prints "not changed").
impl Render for Edited {
    fn text(&self, _style: TextStyle) -> String {
        self.shown.clone()
    }
}

/// The editor virsh runs: `$VISUAL`, else `$EDITOR`, else `vi` (empty values count as unset).
pub fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into())
}

/// True when a refused document may be offered for editing again: stdin is a terminal.
fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// Edits `original` until `apply` accepts the result: None when the editor left it unchanged,
/// else what `apply` returned. `apply` checks the document first (exit 7 for what the typed
/// model or libvirt refuses) and defines it. On a terminal a refused document is offered again.
pub fn edit<T>(original: &str, mut apply: impl FnMut(&str) -> Result<T>) -> Result<Option<T>> {
    let file = TempXml::create(original)?;
    loop {
        run_editor(&editor(), file.path())?;
        let edited = crate::files::read_text(file.path(), crate::files::MAX_XML)
            .map_err(|e| Error::invalid(e.message).context("the edited document"))?;
        if edited == original {
            return Ok(None);
        }
        if edited.contains('\0') {
            return Err(Error::invalid("the edited document holds a NUL byte"));
        }
        match apply(&edited) {
            Ok(done) => return Ok(Some(done)),
            Err(e) if e.kind != ErrorKind::Unavailable && interactive() && ask_again(&e)? => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A libvirt refusal of an edited document: invalid input (exit 7) unless libvirt's number says
/// more (a name or UUID taken is 4, a lost connection 6).
pub fn refused(e: virt::error::Error, what: impl std::fmt::Display) -> Error {
    let error = super::error(e).context(what);
    match error.kind {
        ErrorKind::Failed => Error {
            kind: ErrorKind::Invalid,
            ..error
        },
        _ => error,
    }
}

/// The editor refused as exit 7: it did not run, or it exited non-zero.
fn run_editor(editor: &str, file: &Path) -> Result<()> {
    let path = file.display().to_string();
    let line = format!(
        "{editor} {}",
        shlex::try_quote(&path).map_err(|e| Error::invalid(e.to_string()))?
    );
    // The editor's output must not mix into the JSON on stdout: it goes to stderr unless stdout
    // is a terminal (a screen editor draws there).
    let stdout = match std::io::stdout().is_terminal() {
        true => Stdio::inherit(),
        false => Stdio::from(
            std::io::stderr()
                .as_fd()
                .try_clone_to_owned()
                .map_err(Error::from)?,
        ),
    };
    let status = Command::new("sh")
        .arg("-c")
        .arg(&line)
        .stdout(stdout)
        .status()
        .map_err(|e| Error::invalid(format!("cannot run the editor {}: {e}", quote(editor))))?;
    if !status.success() {
        let how = status.code().map_or_else(
            || "was killed by a signal".into(),
            |c| format!("exited with status {c}"),
        );
        return Err(Error::invalid(format!("the editor {} {how}", quote(&line)))
            .with_hint("nothing was changed; set VISUAL or EDITOR to an editor that saves the file"));
    }
    Ok(())
}

/// Asks on the terminal whether to edit again, as virsh does; true for yes.
fn ask_again(e: &Error) -> Result<bool> {
    let mut err = std::io::stderr();
    let _ = writeln!(err, "error: {}", one_line(&e.to_string()));
    let _ = write!(err, "Failed. Try again? [y,n,?]: ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(Error::from)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// A private temporary file holding the document, removed when dropped.
struct TempXml {
    path: PathBuf,
}

impl TempXml {
    /// `$TMPDIR` (else /tmp) / vnetPID-N.xml, created new (never an existing file or link),
    /// readable by its owner only, holding `text`.
    fn create(text: &str) -> Result<TempXml> {
        let dir = std::env::var_os("TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        for n in 0..100u32 {
            let path = dir.join(format!("vnet{}-{n}.xml", std::process::id()));
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path);
            match file {
                Ok(mut f) => {
                    let temp = TempXml { path };
                    f.write_all(text.as_bytes()).map_err(Error::from)?;
                    return Ok(temp);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::from(e).context(format!("create {}", path.display()))),
            }
        }
        Err(Error::failed(format!(
            "no free temporary file name in {}",
            dir.display()
        )))
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempXml {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_prefers_visual_then_editor_then_vi() {
        // One test changes the variables, so no other test sees them half-set.
        std::env::remove_var("VISUAL");
        std::env::set_var("EDITOR", "ed");
        assert_eq!(editor(), "ed");
        std::env::set_var("VISUAL", "sed -i s/a/b/");
        assert_eq!(editor(), "sed -i s/a/b/");
        std::env::set_var("VISUAL", "");
        std::env::remove_var("EDITOR");
        assert_eq!(editor(), "vi");
        std::env::remove_var("VISUAL");
    }

    #[test]
    fn a_script_editor_changes_the_document_and_the_file_goes_away() {
        let file = TempXml::create("<a>x</a>").unwrap();
        run_editor("sed -i s/x/y/", file.path()).unwrap();
        assert_eq!(std::fs::read_to_string(file.path()).unwrap(), "<a>y</a>");
        let path = file.path().to_path_buf();
        drop(file);
        assert!(!path.exists());
    }

    #[test]
    fn a_failing_editor_is_exit_7() {
        let file = TempXml::create("<a/>").unwrap();
        let e = run_editor("false", file.path()).unwrap_err();
        assert_eq!(e.exit_code(), 7, "{e}");
    }
}
