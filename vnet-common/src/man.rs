//! Man pages generated from the clap definitions (clap_mangen), so flags and pages never disagree.
//! Each tool has a test that fails when its committed page under man/ is stale.
//!
//! Test-only: the pages are rendered by those tests (VNET_UPDATE_MAN=1 rewrites them) and shipped
//! as committed files, so the module and clap_mangen are built only with the `testing` feature,
//! which the tools' dev-dependencies enable.
#![cfg(feature = "testing")]

use clap::Command;
use clap_mangen::Man;
use std::path::Path;

/// The exit-code table every tool shares, as roff.
const EXIT_STATUS: &str = ".SH \"EXIT STATUS\"\n\
.TP\n0\ndone\n.TP\n1\noperation failed (kernel, libvirt or I/O refused it)\n\
.TP\n2\nusage: bad flags or arguments\n.TP\n3\nnot found (namespace, link, bridge, network, domain)\n\
.TP\n4\nalready exists / in use\n.TP\n5\npermission denied (not root, missing capability)\n\
.TP\n6\nbackend unavailable (libvirt daemon unreachable, kernel feature missing)\n\
.TP\n7\ninvalid input rejected before anything was touched (name, CIDR, XML, range)\n";

/// What every tool does with --batch, signals and its JSON, as roff.
const COMMON_SECTIONS: &str = ".SH \"BATCH\"\n\
--batch FILE (or -b FILE; - for stdin) runs one command per line (shell quoting, # comments) in one \
process and prints exactly one JSON record per command line. A failed line prints a record with \
\"line\", \"exit_code\", \"error\" and \"hint\" (schema/batch-failure.json), and the run stops there \
with that exit code; --force runs every line and exits with the first failure's code; --atomic \
undoes the lines already done, last first, and lists in the failed line's record what was undone \
(\"undone\") and what could not be (\"leftovers\": deletions cannot be undone). A line longer than \
1 MiB, or one that is not UTF-8, is a failed line (exit 7).\n\
.SH \"SIGNALS\"\n\
A verb that makes several changes records each one as it is made. SIGINT, SIGTERM and SIGHUP \
after the first change let the step under way finish; then the changes made so far are undone \
(a verb that had finished its last step completes) and the tool exits with 128+N. Before the \
first change a signal ends the tool at once: nothing has changed. A batch stops between lines \
(with --atomic, undoing them all).\n\
.SH \"JSON SCHEMAS\"\n\
Each verb's output is described by a JSON Schema, schema/TOOL/VERB.json in the source tree and \
PREFIX/share/vnet/schema/TOOL/VERB.json once installed; index.json beside them maps each verb \
name and alias to its schema.\n";

/// The whole page: name, synopsis, options, then one section per verb with its own options and
/// the JSON fields it prints (from the verb's long help), then the exit codes.
pub fn render(command: Command) -> Vec<u8> {
    let mut command = command;
    command.build();
    let mut page = Vec::new();
    let man = Man::new(command.clone());
    man.render_title(&mut page).expect("writing to a Vec");
    man.render_name_section(&mut page).expect("writing to a Vec");
    man.render_synopsis_section(&mut page).expect("writing to a Vec");
    man.render_description_section(&mut page)
        .expect("writing to a Vec");
    man.render_options_section(&mut page).expect("writing to a Vec");
    for verb in command.get_subcommands().filter(|c| c.get_name() != "help") {
        render_verb(&mut page, command.get_name(), "", verb);
    }
    page.extend_from_slice(COMMON_SECTIONS.as_bytes());
    page.extend_from_slice(EXIT_STATUS.as_bytes());
    page
}

/// One verb's section; a nested set (`route`) gets a section with its description, then one
/// section per verb of it (`route add`), each naming its schema (route/add.json).
/// `words` is the command line before the verb (`vnet-ns`, `vnet-ns route`), `folder` the
/// schema folder under the tool's (`""`, `"route/"`).
fn render_verb(page: &mut Vec<u8>, words: &str, folder: &str, verb: &Command) {
    let verb_name = verb.get_name().to_string();
    let title = format!("{words} {verb_name}").to_uppercase();
    page.extend_from_slice(format!(".SH \"{title}\"\n").as_bytes());
    let named = verb.clone().name(format!("{words} {verb_name}"));
    let man = Man::new(named);
    if verb.has_subcommands() {
        // A set with a bare form (`link NS IFACE up`) shows that form's synopsis and options too.
        let bare = verb.get_arguments().any(|a| a.is_positional());
        let mut part = Vec::new();
        if bare {
            man.render_synopsis_section(&mut part).expect("writing to a Vec");
        }
        man.render_description_section(&mut part)
            .expect("writing to a Vec");
        if bare {
            man.render_options_section(&mut part).expect("writing to a Vec");
            let tool = words.split(' ').next().unwrap_or(words);
            part.extend_from_slice(
                format!(".PP\nJSON output schema: {tool}/{folder}{verb_name}.json\n").as_bytes(),
            );
        }
        page.extend_from_slice(String::from_utf8_lossy(&part).replace(".SH ", ".SS ").as_bytes());
        let words = format!("{words} {verb_name}");
        let folder = format!("{folder}{verb_name}/");
        for leaf in verb.get_subcommands().filter(|c| c.get_name() != "help") {
            render_verb(page, &words, &folder, leaf);
        }
        return;
    }
    // The verb's synopsis, description and options without repeating the page title.
    let mut part = Vec::new();
    man.render_synopsis_section(&mut part).expect("writing to a Vec");
    man.render_description_section(&mut part)
        .expect("writing to a Vec");
    man.render_options_section(&mut part).expect("writing to a Vec");
    let part = String::from_utf8_lossy(&part).replace(".SH ", ".SS ");
    page.extend_from_slice(part.as_bytes());
    // A verb's closing text (install's option reference) as preformatted lines.
    if let Some(extra) = verb.get_after_long_help() {
        let body = extra.to_string().replace('\\', "\\e").replace('-', "\\-");
        page.extend_from_slice(format!(".SS \"OPTION REFERENCE\"\n.nf\n{body}\n.fi\n").as_bytes());
    }
    let tool = words.split(' ').next().unwrap_or(words);
    let schema = format!(".PP\nJSON output schema: {tool}/{folder}{verb_name}.json\n");
    page.extend_from_slice(schema.as_bytes());
}

/// For each tool's `man_page_is_current` test: panics when the committed page is stale.
pub fn assert_current(command: Command, page_path: &Path) {
    if let Some(stale) = check_committed(command, page_path) {
        panic!("{stale}");
    }
}

/// Compares the committed page with a fresh render; with VNET_UPDATE_MAN=1 rewrites it instead.
/// Returns a message describing the staleness, or None when the page is current.
pub fn check_committed(command: Command, page_path: &Path) -> Option<String> {
    let fresh = render(command);
    if std::env::var_os("VNET_UPDATE_MAN").is_some() {
        std::fs::write(page_path, &fresh).expect("write the man page");
        return None;
    }
    match std::fs::read(page_path) {
        Ok(committed) if committed == fresh => None,
        Ok(_) => Some(format!(
            "{} is stale: regenerate with VNET_UPDATE_MAN=1 cargo test man_page",
            page_path.display()
        )),
        Err(e) => Some(format!(
            "{}: {e}: generate with VNET_UPDATE_MAN=1 cargo test man_page",
            page_path.display()
        )),
    }
}
