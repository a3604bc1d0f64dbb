//! A test's guard over what it makes: one naming scheme for every object and file a test creates
//! (a stem, a tag from the test function's name, a counter), and clean-up when the test ends,
//! also when it fails. Privileged tests refuse to run outside the sandbox (tests/sandbox) unless
//! VNET_SKIP_PRIVILEGED=1 says to skip them, and each skip is counted.

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// True inside the sandbox. Outside it, panics (a privileged test that cannot run is a failure)
/// unless VNET_SKIP_PRIVILEGED=1, in which case it records the skip and returns false.
pub fn privileged(test: &str) -> bool {
    if std::env::var("VNET_IN_SANDBOX").as_deref() == Ok("1") {
        return true;
    }
    if std::env::var("VNET_SKIP_PRIVILEGED").as_deref() == Ok("1") {
        eprintln!("SKIPPED privileged test {test} (VNET_SKIP_PRIVILEGED=1)");
        if let Ok(log) = std::env::var("VNET_SKIP_LOG") {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("skip log");
            writeln!(f, "{test}").expect("write skip log");
        }
        return false;
    }
    panic!("{test} needs the sandbox: run it through tests/run (or set VNET_SKIP_PRIVILEGED=1 to skip)");
}

/// A test's guard: made by [`lab!`](crate::lab) from the test function's name, it hands out
/// object names unique to that test and removes every object it handed out when dropped, also
/// when the test fails (a panic unwinds through the drop).
pub struct Lab {
    pub test: String,
    tag: String,
    counter: RefCell<u32>,
    cleanups: RefCell<Vec<String>>,
}

impl Lab {
    /// A lab for a privileged test; None when privileged tests are skipped
    /// (VNET_SKIP_PRIVILEGED=1, counted as skipped).
    pub fn new(test: &str) -> Option<Lab> {
        let lab = Lab::unprivileged(test);
        privileged(&lab.test).then_some(lab)
    }

    /// A lab for a test that needs no root: names and clean-ups only.
    pub fn unprivileged(test: &str) -> Lab {
        let test = test.rsplit("::").next().unwrap_or(test).to_string();
        // A short tag from the test's name keeps interface names within 15 bytes.
        let hash = test
            .bytes()
            .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
        Lab {
            tag: format!("{:04x}", hash & 0xffff),
            test,
            counter: RefCell::new(0),
            cleanups: RefCell::new(Vec::new()),
        }
    }

    /// A name for this test's object: STEM (at most 6 bytes) + the test's tag + a counter.
    pub fn name(&self, stem: &str) -> String {
        assert!(stem.len() <= 6, "stem too long: {stem}");
        let mut counter = self.counter.borrow_mut();
        *counter += 1;
        format!("{stem}{}{}", self.tag, counter)
    }

    /// Runs `script` (a shell line) when the lab is dropped; cleanups run last first.
    pub fn on_drop(&self, script: impl Into<String>) {
        self.cleanups.borrow_mut().push(script.into());
    }

    /// A namespace name, deleted at the end.
    pub fn netns(&self, stem: &str) -> String {
        let name = self.name(stem);
        self.on_drop(format!("ip netns delete {name}; rm -rf /etc/netns/{name}"));
        name
    }

    /// A link name (bridge, veth, tap) in the current namespace, deleted at the end.
    pub fn link(&self, stem: &str) -> String {
        let name = self.name(stem);
        self.on_drop(format!("ip link delete {name}"));
        name
    }

    /// A libvirt network name, destroyed and undefined at the end.
    pub fn network(&self, stem: &str) -> String {
        let name = self.name(stem);
        self.on_drop(format!("virsh net-destroy {name}; virsh net-undefine {name}"));
        name
    }

    /// A libvirt domain name, destroyed and undefined with its storage at the end, and the
    /// kernels install copied for it into /var/lib/libvirt/boot.
    pub fn domain(&self, stem: &str) -> String {
        let name = self.name(stem);
        self.on_drop(format!("rm -f /var/lib/libvirt/boot/vnet-{name}-*"));
        self.on_drop(format!(
            "virsh destroy {name}; virsh undefine {name} --remove-all-storage --nvram"
        ));
        name
    }

    /// A fresh, empty directory /tmp/vnet-NAME (a leftover of an earlier run is emptied first),
    /// removed at the end.
    pub fn dir(&self, stem: &str) -> PathBuf {
        let dir = PathBuf::from(format!("/tmp/vnet-{}", self.name(stem)));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        self.on_drop(format!("rm -rf {}", dir.display()));
        dir
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for script in self.cleanups.borrow_mut().drain(..).rev() {
            let _ = Command::new("bash")
                .arg("-c")
                .arg(script)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `let lab = lab!();` at the top of a privileged test: a [`Lab`] named after the test function,
/// or an early return when privileged tests are skipped. `lab!(unprivileged)` in a test that
/// needs no root: the same names and clean-ups, never skipped.
#[macro_export]
macro_rules! lab {
    () => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here).trim_end_matches("::here");
        match $crate::Lab::new(name) {
            Some(lab) => lab,
            None => return,
        }
    }};
    (unprivileged) => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here).trim_end_matches("::here");
        $crate::Lab::unprivileged(name)
    }};
}
