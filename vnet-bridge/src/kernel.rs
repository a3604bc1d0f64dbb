//! The link changes the verbs make, one RTM_NEWLINK or RTM_DELLINK request each (as
//! `ip link set ... master|type bridge|type bridge_slave` sends them), and their journaled forms:
//! make the change, then record in the journal how to put the old value back.

use netlink_packet_route::link::{InfoBridge, InfoKind, LinkMessage};
use rtnetlink::{Handle, LinkBridge, LinkBridgePort, LinkMessageBuilder, LinkUnspec};
use vnet_common::{Context, Error, Journal, Result};

/// Sets (or with 0 clears) the master of a link: `ip link set IF master BR` / `nomaster`.
pub async fn set_master(handle: &Handle, index: u32, master: u32) -> Result<()> {
    handle
        .link()
        .set(master_message(index, master))
        .execute()
        .await
        .map_err(Error::from)
}

/// RTM_SETLINK's message for [`set_master`].
pub fn master_message(index: u32, master: u32) -> LinkMessage {
    LinkUnspec::new_with_index(index).controller(master).build()
}

/// Makes link `index` a port of `master`, recording how to put it back under `previous` (0: none).
pub async fn enslave(
    handle: &Handle,
    journal: &mut Journal,
    what: String,
    (index, master, previous): (u32, u32, u32),
) -> Result<()> {
    set_master(handle, index, master).await.context(&what)?;
    let handle = handle.clone();
    journal.record(what, async move { set_master(&handle, index, previous).await })
}

pub async fn delete_link(handle: &Handle, index: u32) -> Result<()> {
    handle.link().del(index).execute().await.map_err(Error::from)
}

/// Sets one IFLA_BR_* attribute of a bridge.
pub async fn change_bridge(handle: &Handle, index: u32, attr: InfoBridge) -> Result<()> {
    let message = bridge_message(index, attr);
    handle.link().change(message).execute().await.map_err(Error::from)
}

/// RTM_NEWLINK's message for [`change_bridge`].
pub fn bridge_message(index: u32, attr: InfoBridge) -> LinkMessage {
    LinkMessageBuilder::<LinkBridge>::new_with_info_kind(InfoKind::Bridge)
        .index(index)
        .append_info_data(attr)
        .build()
}

/// Changes a bridge attribute from `old` to `new` and records setting `old` back.
pub async fn set_bridge_attr(
    handle: &Handle,
    journal: &mut Journal,
    what: String,
    index: u32,
    (old, new): (InfoBridge, InfoBridge),
) -> Result<()> {
    change_bridge(handle, index, new).await.context(&what)?;
    let handle = handle.clone();
    journal.record(what, async move { change_bridge(&handle, index, old).await })
}

/// One IFLA_BRPORT_* setting of a bridge port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSetting {
    Cost(u32),
    Priority(u16),
    Hairpin(bool),
}

/// RTM_NEWLINK's message that changes one setting of bridge port `index` (as `bridge link set`).
pub fn port_message(index: u32, setting: PortSetting) -> LinkMessage {
    let builder = LinkBridgePort::new(index);
    let builder = match setting {
        PortSetting::Cost(cost) => builder.cost(cost),
        PortSetting::Priority(priority) => builder.priority(priority),
        PortSetting::Hairpin(on) => builder.hairpin(on),
    };
    builder.build()
}

/// Brings a link up or down, recording the opposite.
pub async fn set_up(
    handle: &Handle,
    journal: &mut Journal,
    what: String,
    index: u32,
    up: bool,
) -> Result<()> {
    vnet_common::links::set_up(handle, index, up)
        .await
        .context(&what)?;
    let handle = handle.clone();
    journal.record(what, async move {
        vnet_common::links::set_up(&handle, index, !up).await
    })
}
