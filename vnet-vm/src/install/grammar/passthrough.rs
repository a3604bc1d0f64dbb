//! The sub-option rows of the pass-through and legacy devices: --hostdev, --parallel, --audio and
//! --smartcard (table.rs names the options; rows.rs holds the others' rows).

use super::rows::{alias, row, when, Default, Row};

/// --hostdev: `name` is resolved through libvirt's node devices (install/hostdev.rs) into the
/// `<source>` virt-install writes; the rest set the element's own properties.
pub(super) const HOSTDEV: &[Row] = &[
    row(
        "name",
        "@name",
        "a node device name (pci_0000_00_19_0), a PCI address ([DOMAIN:]BUS:SLOT.FUNC), a USB \
         BUS.DEVICE (001.003) or VENDOR:PRODUCT (0x1234:0x5678); with type=net|misc|storage a host \
         interface, char device or block device",
    ),
    row(
        "type",
        "@type",
        "pci, usb (from the node device), net, misc or storage",
    ),
    alias(
        "driver.name",
        &["driver_name"],
        "driver/@name",
        "vfio, kvm or xen",
    ),
    alias("rom.bar", &["rom_bar"], "rom/@bar", "on or off"),
    alias(
        "boot.order",
        &["boot_order"],
        "boot/@order",
        "per-device boot order",
    ),
    row(
        "address.type",
        "address/@type",
        "the guest-side address: pci, usb, ...",
    ),
    row("address.domain", "address/@domain", "guest PCI domain"),
    row("address.bus", "address/@bus", "guest PCI or USB bus"),
    row("address.slot", "address/@slot", "guest PCI slot"),
    row("address.function", "address/@function", "guest PCI function"),
    row("address.multifunction", "address/@multifunction", "on or off"),
    row("address.port", "address/@port", "guest USB port"),
];

pub(super) const AUDIO: &[Row] = &[
    row(
        "type",
        "@type",
        "none, spice, pulseaudio, alsa, oss, sdl, jack, pipewire, dbus, file",
    ),
    row("id", "@id", "the audio backend's id (a sound card's audio.id)"),
];

pub(super) const SMARTCARD: &[Row] = &[
    row(
        "mode",
        "@mode",
        "passthrough (default), host or host-certificates",
    ),
    row(
        "type",
        "@type",
        "passthrough's character device: spicevmc (default) or tcp",
    ),
    row("source.path", "source/@path", "character device path"),
    row("source.mode", "source/@mode", "bind or connect"),
    row("source.host", "source/@host", "tcp host"),
    row("source.service", "source/@service", "tcp port"),
    row("protocol.type", "protocol/@type", "raw or telnet"),
    row(
        "database",
        "database",
        "host-certificates: the NSS database directory",
    ),
];

/// virt-install's smartcard defaults: passthrough mode, over spicevmc (other modes: tcp).
pub(super) const SMARTCARD_DEFAULTS: &[Default] = &[
    when("@mode", "passthrough", &[]),
    when("@type", "spicevmc", &[("@mode", "passthrough")]),
    when("@type", "tcp", &[]),
];
