//! The one rtnetlink socket: opened (in a named namespace or here), bound, and used for requests,
//! dumps and multicast subscriptions. Every netlink socket of the vnet tools is opened here, the
//! async handles of [`super::Netlink`] included (they wrap one of these).

use crate::{netns, Error, Result};
use rtnetlink::packet_core::{NetlinkMessage, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
use std::os::fd::AsRawFd;

/// Runs `work` where `netns` (None: the namespace this process runs in) is the network namespace.
/// For a named namespace that is a short-lived thread of its own that setns'd into it: a socket
/// opened there stays bound to that namespace for its whole life, while the process's own threads
/// (a tokio worker among them) never change namespace. A missing namespace is exit 3, a bad name
/// exit 7. The one way the vnet tools act inside a namespace.
pub fn in_namespace<T: Send>(netns: Option<&str>, work: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    let Some(name) = netns else {
        return work();
    };
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                netns::enter(name)?;
                work()
            })
            .join()
            .unwrap_or_else(|_| Err(Error::failed("netlink thread panicked")))
    })
}

/// One message as read off the socket, undecoded: its header's fields and its payload (what
/// follows the 16-byte struct nlmsghdr).
pub struct RawMessage<'a> {
    pub kind: u16,
    pub sequence: u32,
    pub port: u32,
    pub payload: &'a [u8],
}

// From linux/netlink.h.
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;

/// A blocking NETLINK_ROUTE socket: no async runtime, no connection task. One-shot queries and
/// dumps (the listings, `vnet-ns list`'s namespace ids) and the monitors' subscriptions use it.
pub struct RouteSocket {
    socket: Socket,
    sequence: u32,
    /// The receive buffer of requests and dumps, kept from one to the next: `vnet-ns list` asks
    /// once per namespace, and a fresh 64 KiB buffer each time cost it 5% of its instructions.
    buffer: Vec<u8>,
}

impl RouteSocket {
    /// A socket in `netns` (None: the namespace this process runs in), for requests and dumps.
    pub fn open(netns: Option<&str>) -> Result<RouteSocket> {
        in_namespace(netns, || RouteSocket::bind(0))
    }

    /// A socket in `netns` that has joined the rtnetlink multicast `groups` (RTMGRP_* bits): the
    /// kernel sends it every change of those kinds. Its receive buffer is large, for bursts, and
    /// a read returns after 200 ms without news, so its reader can notice it should stop.
    pub fn subscribe(netns: Option<&str>, groups: u32) -> Result<RouteSocket> {
        let socket = in_namespace(netns, || RouteSocket::bind(groups))?;
        socket.tune_for_notifications();
        Ok(socket)
    }

    fn bind(groups: u32) -> Result<RouteSocket> {
        let mut socket =
            Socket::new(NETLINK_ROUTE).map_err(|e| Error::from(e).context("open a netlink socket"))?;
        let bound = match groups {
            0 => socket.bind_auto().map(drop),
            groups => socket.bind(&SocketAddr::new(0, groups)),
        };
        bound.map_err(|e| match groups {
            0 => Error::from(e).context("bind a netlink socket"),
            _ => Error::from(e).context("join the rtnetlink groups"),
        })?;
        Ok(RouteSocket {
            socket,
            sequence: 0,
            buffer: Vec::new(),
        })
    }

    /// SO_RCVBUFFORCE to 8 MiB as root (else as much as the limit allows), SO_RCVTIMEO 200 ms.
    fn tune_for_notifications(&self) {
        let fd = self.socket.as_raw_fd();
        let size: libc::c_int = 8 << 20;
        let timeout = libc::timeval {
            tv_sec: 0,
            tv_usec: 200_000,
        };
        // SAFETY: setsockopt on our own socket with correctly sized values.
        unsafe {
            if libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                &size as *const _ as *const libc::c_void,
                std::mem::size_of_val(&size) as libc::socklen_t,
            ) < 0
            {
                let _ = self.socket.set_rx_buf_sz(size as usize);
            }
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &timeout as *const _ as *const libc::c_void,
                std::mem::size_of_val(&timeout) as libc::socklen_t,
            );
        }
    }

    /// A second descriptor of this socket, as a blocking RouteSocket of its own (for ioctls asked
    /// in its namespace and blocking requests) while the first goes to an async connection. Both
    /// read the same socket: the blocking side is used only between the async side's requests
    /// (never while a `Netlink::run` is under way), so neither reads the other's replies, and
    /// its sequence numbers start far from the connection's.
    pub(super) fn sharing(&self) -> Result<RouteSocket> {
        use std::os::fd::{AsFd, FromRawFd, IntoRawFd};
        let fd = self
            .socket
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::from(e).context("duplicate a netlink socket"))?;
        Ok(RouteSocket {
            // SAFETY: `fd` is an open netlink socket whose ownership into_raw_fd just gave up.
            socket: unsafe { Socket::from_raw_fd(fd.into_raw_fd()) },
            sequence: 1 << 31,
            buffer: Vec::new(),
        })
    }

    /// Waits until the socket has something to read (poll(2); a signal's EINTR is retried).
    fn wait_readable(&self) -> std::io::Result<()> {
        let mut wanted = libc::pollfd {
            fd: self.socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd for our own descriptor.
            if unsafe { libc::poll(&mut wanted, 1, -1) } >= 0 {
                return Ok(());
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// This socket's descriptor (for ioctls asked in its namespace).
    pub(super) fn raw_fd(&self) -> std::os::fd::RawFd {
        self.socket.as_raw_fd()
    }

    /// NETLINK_GET_STRICT_CHK: the kernel checks this socket's requests strictly and honours
    /// the filters of a dump request.
    pub(super) fn strict(&self) -> Result<()> {
        self.socket
            .set_netlink_get_strict_chk(true)
            .map_err(|e| Error::from(e).context("ask for filtered dumps"))
    }

    /// The socket itself, for the async connection of [`super::Netlink`].
    pub(super) fn into_socket(self) -> Socket {
        self.socket
    }

    /// This socket's netlink port: replies to its own requests carry it.
    pub fn port(&self) -> u32 {
        let mut own = SocketAddr::new(0, 0);
        let _ = self.socket.get_address(&mut own);
        own.port_number()
    }

    /// Sends one request (`flags` besides NLM_F_REQUEST) under a fresh sequence number, returned.
    pub fn send(&mut self, request: RouteNetlinkMessage, flags: u16) -> Result<u32> {
        let mut request = NetlinkMessage::from(request);
        self.sequence = self.sequence.wrapping_add(1);
        request.header.flags = NLM_F_REQUEST | flags;
        request.header.sequence_number = self.sequence;
        request.finalize();
        let mut buffer = vec![0; request.buffer_len()];
        request.serialize(&mut buffer);
        self.socket
            .send(&buffer, 0)
            .map_err(|e| Error::from(e).context("send a netlink request"))?;
        Ok(self.sequence)
    }

    /// Reads one datagram into `buffer` (its capacity is the most that can be read: see
    /// [`receive_buffer`]) and hands each message in it to `each`, undecoded, in order; `each`
    /// returns false (or an error) to skip the rest. Returns the number of bytes read.
    pub fn receive(
        &self,
        buffer: &mut Vec<u8>,
        mut each: impl FnMut(RawMessage) -> Result<bool>,
    ) -> std::io::Result<usize> {
        buffer.clear();
        let read = loop {
            match self.socket.recv(buffer, 0) {
                // A descriptor shared with an async connection is non-blocking (see
                // [`RouteSocket::sharing`]): wait here for the reply instead.
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => self.wait_readable()?,
                read => break read?,
            }
        };
        if read > buffer.len() {
            return Err(std::io::Error::other("a netlink message larger than the buffer"));
        }
        let data = &buffer[..read];
        let mut offset = 0;
        // struct nlmsghdr: length u32 (header included), type u16, flags u16, sequence u32,
        // port u32; messages follow each other aligned to 4 bytes.
        while offset + 16 <= data.len() {
            let word = |at: usize| u32::from_ne_bytes(data[at..at + 4].try_into().expect("4 bytes"));
            let length = word(offset) as usize;
            if length < 16 || offset + length > data.len() {
                break; // truncated: nothing more to read in this datagram
            }
            let message = RawMessage {
                kind: u16::from_ne_bytes(data[offset + 4..offset + 6].try_into().expect("2 bytes")),
                sequence: word(offset + 8),
                port: word(offset + 12),
                payload: &data[offset + 16..offset + length],
            };
            offset += (length + 3) & !3;
            match each(message) {
                Ok(true) => {}
                Ok(false) | Err(_) => break,
            }
        }
        Ok(read)
    }

    /// Sends one dump request and hands each reply to `each` undecoded, as its netlink message
    /// type and payload, up to NLMSG_DONE (a kernel error is this call's error).
    pub fn dump_raw(&mut self, request: RouteNetlinkMessage, each: impl FnMut(u16, &[u8])) -> Result<()> {
        let sequence = self.send(request, NLM_F_DUMP)?;
        self.read_dump(sequence, each)
    }

    /// Sends a message netlink-packet-route has no type for (the bridge's MDB requests), given
    /// as its type and payload, under a fresh sequence number, returned.
    pub fn send_bytes(&mut self, kind: u16, flags: u16, payload: &[u8]) -> Result<u32> {
        self.sequence = self.sequence.wrapping_add(1);
        let length = 16 + payload.len() as u32;
        let mut buffer = Vec::with_capacity(length as usize);
        buffer.extend_from_slice(&length.to_ne_bytes());
        buffer.extend_from_slice(&kind.to_ne_bytes());
        buffer.extend_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
        buffer.extend_from_slice(&self.sequence.to_ne_bytes());
        buffer.extend_from_slice(&0u32.to_ne_bytes());
        buffer.extend_from_slice(payload);
        self.socket
            .send(&buffer, 0)
            .map_err(|e| Error::from(e).context("send a netlink request"))?;
        Ok(self.sequence)
    }

    /// [`RouteSocket::dump_raw`] of a request given as its type and payload.
    pub fn dump_bytes(&mut self, kind: u16, payload: &[u8], each: impl FnMut(u16, &[u8])) -> Result<()> {
        let sequence = self.send_bytes(kind, NLM_F_DUMP, payload)?;
        self.read_dump(sequence, each)
    }

    /// Sends a change given as its type and payload with NLM_F_ACK and `flags`, and waits for
    /// the kernel's answer (its error is this call's error).
    pub fn change_bytes(&mut self, kind: u16, flags: u16, payload: &[u8]) -> Result<()> {
        let sequence = self.send_bytes(kind, NLM_F_ACK | flags, payload)?;
        self.with_buffer(|socket, buffer| {
            let mut reply = None;
            while reply.is_none() {
                socket
                    .receive(buffer, |message| {
                        if message.sequence != sequence || message.kind != NLMSG_ERROR {
                            return Ok(true);
                        }
                        reply = Some(error_of(message.payload));
                        Ok(false)
                    })
                    .map_err(|e| Error::from(e).context("read a netlink reply"))?;
            }
            reply.expect("set")
        })
    }

    /// The replies of dump `sequence`, each handed to `each`, up to NLMSG_DONE.
    fn read_dump(&mut self, sequence: u32, mut each: impl FnMut(u16, &[u8])) -> Result<()> {
        self.with_buffer(|socket, buffer| {
            let mut done: Option<Result<()>> = None;
            while done.is_none() {
                socket
                    .receive(buffer, |message| {
                        if message.sequence != sequence {
                            return Ok(true); // a late reply to an earlier request
                        }
                        match message.kind {
                            NLMSG_DONE => done = Some(Ok(())),
                            NLMSG_ERROR => done = Some(error_of(message.payload)),
                            kind => each(kind, message.payload),
                        }
                        Ok(done.is_none())
                    })
                    .map_err(|e| Error::from(e).context("read a netlink dump"))?;
            }
            done.expect("set")
        })
    }

    /// Sends one dump request and collects its replies, decoded, up to NLMSG_DONE.
    pub fn dump(&mut self, request: RouteNetlinkMessage) -> Result<Vec<RouteNetlinkMessage>> {
        let mut replies = Vec::new();
        let mut failed = None;
        self.dump_raw(request, |kind, payload| match decode(kind, payload) {
            Ok(Some(message)) => replies.push(message),
            Ok(None) => {}
            Err(e) => failed = failed.take().or(Some(e)),
        })?;
        match failed {
            Some(e) => Err(e),
            None => Ok(replies),
        }
    }

    /// Sends one request and returns its one reply, decoded (None: an ack without a message).
    pub fn request(&mut self, request: RouteNetlinkMessage) -> Result<Option<RouteNetlinkMessage>> {
        self.request_with_flags(request, 0)
    }

    /// [`RouteSocket::request`] with `flags` besides NLM_F_REQUEST (NLM_F_ACK for a change, with
    /// NLM_F_CREATE, NLM_F_EXCL or NLM_F_REPLACE): the reply, or None for the kernel's ack.
    pub fn request_with_flags(
        &mut self,
        request: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Option<RouteNetlinkMessage>> {
        let sequence = self.send(request, flags)?;
        self.with_buffer(|socket, buffer| {
            let mut reply: Option<Result<Option<RouteNetlinkMessage>>> = None;
            while reply.is_none() {
                socket
                    .receive(buffer, |message| {
                        if message.sequence != sequence {
                            return Ok(true); // a late reply to an earlier request
                        }
                        reply = Some(match message.kind {
                            NLMSG_ERROR => error_of(message.payload).map(|()| None),
                            kind => decode(kind, message.payload),
                        });
                        Ok(false)
                    })
                    .map_err(|e| Error::from(e).context("read a netlink reply"))?;
            }
            reply.expect("set")
        })
    }

    /// Sends one request with NLM_F_ACK and `flags` and hands each reply before the kernel's ack
    /// to `each`, undecoded, as its message type and payload: a RTM_GET* request's answer, or
    /// the kernel's echo of what a change with NLM_F_ECHO made. The kernel's refusal is the error.
    pub fn request_raw(
        &mut self,
        request: RouteNetlinkMessage,
        flags: u16,
        mut each: impl FnMut(u16, &[u8]),
    ) -> Result<()> {
        use rtnetlink::packet_core::NLM_F_ACK;
        let sequence = self.send(request, NLM_F_ACK | flags)?;
        self.with_buffer(|socket, buffer| {
            let mut done: Option<Result<()>> = None;
            while done.is_none() {
                socket
                    .receive(buffer, |message| {
                        if message.sequence != sequence {
                            return Ok(true); // a late reply to an earlier request
                        }
                        match message.kind {
                            NLMSG_ERROR => done = Some(error_of(message.payload)),
                            kind => each(kind, message.payload),
                        }
                        Ok(done.is_none())
                    })
                    .map_err(|e| Error::from(e).context("read a netlink reply"))?;
            }
            done.expect("set")
        })
    }

    /// Runs `work` with this socket's receive buffer (made on first use).
    fn with_buffer<T>(&mut self, work: impl FnOnce(&Self, &mut Vec<u8>) -> Result<T>) -> Result<T> {
        let mut buffer = std::mem::take(&mut self.buffer);
        if buffer.capacity() == 0 {
            buffer = receive_buffer();
        }
        let result = work(self, &mut buffer);
        self.buffer = buffer;
        result
    }
}

/// A buffer for [`RouteSocket::receive`]: room for the largest datagram the kernel sends a dump
/// in (32 KiB) and for any one notification. Left uninitialised: zeroing 64 KiB was a third of
/// the instructions of a small listing.
pub fn receive_buffer() -> Vec<u8> {
    Vec::with_capacity(64 * 1024)
}

/// A kernel answer of type NLMSG_ERROR: struct nlmsgerr, the error first (a negative errno, 0
/// for an ack).
fn error_of(payload: &[u8]) -> Result<()> {
    let code = payload
        .get(..4)
        .map_or(0, |b| i32::from_ne_bytes(b.try_into().expect("4 bytes")));
    match code {
        0 => Ok(()),
        code => Err(Error::from_errno(-code)),
    }
}

/// Decodes one message's payload with netlink-packet-route (None: a type it does not know).
pub fn decode(kind: u16, payload: &[u8]) -> Result<Option<RouteNetlinkMessage>> {
    use rtnetlink::packet_core::ParseableParametrized;
    match RouteNetlinkMessage::parse_with_param(payload, kind) {
        Ok(message) => Ok(Some(message)),
        Err(e) if e.to_string().starts_with("Unknown message type") => Ok(None),
        Err(e) => Err(Error::failed(format!("decode a netlink reply: {e}"))),
    }
}
