//! Blocking rtnetlink dumps for one-shot listings (`route show`): no async runtime to start, one
//! socket, the replies read as they come; the socket of a named namespace is opened on a thread
//! that entered it (a netlink socket belongs to its creator's namespace for its whole life).

use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::route::RouteMessage;
use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket};
use vnet_common::{netns, Error, Result};

pub struct Dumper {
    socket: Socket,
    sequence: u32,
}

fn open_here() -> Result<Socket> {
    let mut socket =
        Socket::new(NETLINK_ROUTE).map_err(|e| Error::from(e).context("open a netlink socket"))?;
    socket
        .bind_auto()
        .map_err(|e| Error::from(e).context("bind a netlink socket"))?;
    Ok(socket)
}

impl Dumper {
    /// A socket in `ns` (None: this process's namespace).
    pub fn open(ns: Option<&str>) -> Result<Dumper> {
        let socket = match ns {
            None => open_here()?,
            Some(name) => std::thread::scope(|scope| {
                scope
                    .spawn(|| {
                        netns::enter(name)?;
                        open_here()
                    })
                    .join()
                    .unwrap_or_else(|_| Err(Error::failed("netlink thread panicked")))
            })?,
        };
        Ok(Dumper { socket, sequence: 0 })
    }

    /// Sends one dump request and collects every reply until NLMSG_DONE.
    pub fn dump(&mut self, request: RouteNetlinkMessage) -> Result<Vec<RouteNetlinkMessage>> {
        let mut message = NetlinkMessage::from(request);
        self.sequence += 1;
        message.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        message.header.sequence_number = self.sequence;
        message.finalize();
        let mut buffer = vec![0; message.buffer_len()];
        message.serialize(&mut buffer);
        self.socket.send(&buffer, 0)?;
        let mut replies = vec![];
        loop {
            let (data, _) = self.socket.recv_from_full()?;
            let mut at = 0;
            while at < data.len() {
                let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&data[at..])
                    .map_err(|e| Error::failed(format!("decode a netlink reply: {e}")))?;
                let length = reply.header.length as usize;
                if length == 0 {
                    return Ok(replies);
                }
                at += (length + 3) & !3;
                if reply.header.sequence_number != self.sequence {
                    continue; // a late reply to an earlier request
                }
                match reply.payload {
                    NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            Some(code) => Err(Error::from_errno(-code.get())),
                            None => Ok(replies),
                        }
                    }
                    NetlinkPayload::InnerMessage(inner) => replies.push(inner),
                    _ => {}
                }
            }
        }
    }

    pub fn links(&mut self) -> Result<Vec<LinkMessage>> {
        let replies = self.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(link),
                _ => None,
            })
            .collect())
    }

    pub fn routes(&mut self, family: netlink_packet_route::AddressFamily) -> Result<Vec<RouteMessage>> {
        let mut request = RouteMessage::default();
        request.header.address_family = family;
        let replies = self.dump(RouteNetlinkMessage::GetRoute(request))?;
        Ok(replies
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRoute(route) => Some(route),
                _ => None,
            })
            .collect())
    }
}
