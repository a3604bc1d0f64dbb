//! The HTTP client of `--location http://...`: a plain HTTP/1.0 GET/HEAD over std's TcpStream,
//! following up to 5 redirects, checking Content-Length. Small on purpose: install fetches two
//! files (kernel and initrd) from an install tree, and a 100-line client over std costs no new
//! dependency tree (ureq brings rustls or native-tls, webpki roots, and more crates to audit and
//! build on two shared cores) while HTTP/1.0 means no chunked encoding or keep-alive to handle.
//! https:// and ftp:// are refused (6) with a hint: download the tree, or pass a local ISO/dir.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;
use vnet_common::error::{one_line, quote};
use vnet_common::{Error, ErrorKind, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_REDIRECTS: usize = 5;

/// True for a --location that names a network install tree.
pub fn is_url(location: &str) -> bool {
    ["http://", "https://", "ftp://"]
        .iter()
        .any(|p| location.len() > p.len() && location[..p.len()].eq_ignore_ascii_case(p))
}

/// A parsed http:// URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    /// The path with its query, starting with '/'.
    pub path: String,
}

/// Parses an http:// URL; other schemes are unavailable (6), malformed ones invalid (7).
pub fn parse_url(url: &str) -> Result<Url> {
    let bad = |why: &str| Error::invalid(format!("--location {}: {why}", quote(url)));
    let rest = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) => {
            return Err(Error::new(
                ErrorKind::Unavailable,
                format!(
                    "--location {}: vnet fetches http:// install trees only, not {scheme}://",
                    quote(url)
                ),
            )
            .with_hint("download the tree (or the ISO) and give its local path, or serve it over http://"))
        }
        None => return Err(bad("not a URL")),
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("a URL has no spaces or control characters"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err(bad("user names in URLs are not supported"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
        (host.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| bad("bad port"))?,
        None => 80,
    };
    let path = path.split('#').next().unwrap_or("/").to_string();
    Ok(Url { host, port, path })
}

/// `base` (a directory URL) joined with a relative member path.
pub fn join(base: &str, member: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        member.trim_start_matches('/')
    )
}

/// An HTTP response: its status and headers read, the body still to read.
struct Response {
    status: u16,
    location: Option<String>,
    length: Option<u64>,
    body: BufReader<TcpStream>,
}

fn request(url: &str, method: &str) -> Result<Response> {
    let parsed = parse_url(url)?;
    let failed = |why: String| Error::failed(format!("--location {}: {why}", quote(url)));
    let addrs: Vec<_> = (parsed.host.as_str(), parsed.port)
        .to_socket_addrs()
        .map_err(|e| failed(format!("resolve {}: {e}", parsed.host)))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| {
        failed(format!(
            "connect to {}:{}: {}",
            parsed.host,
            parsed.port,
            last.map(|e| e.to_string()).unwrap_or_else(|| "no address".into())
        ))
    })?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).ok();
    let host = if parsed.host.contains(':') {
        format!("[{}]", parsed.host)
    } else {
        parsed.host.clone()
    };
    let head = format!(
        "{method} {} HTTP/1.0\r\nHost: {host}:{}\r\nUser-Agent: vnet-vm\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        parsed.path, parsed.port
    );
    stream
        .write_all(head.as_bytes())
        .map_err(|e| failed(format!("send the request: {e}")))?;
    let mut body = BufReader::new(stream);
    let mut line = String::new();
    body.read_line(&mut line)
        .map_err(|e| failed(format!("read the response: {e}")))?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| line.starts_with("HTTP/"))
        .ok_or_else(|| failed(format!("not an HTTP response: {}", quote(line.trim()))))?;
    let (mut location, mut length) = (None, None);
    loop {
        line.clear();
        let n = body
            .read_line(&mut line)
            .map_err(|e| failed(format!("read the response headers: {e}")))?;
        let header = line.trim_end();
        if n == 0 || header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("location") {
                location = Some(value.to_string());
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().ok();
            }
        }
    }
    Ok(Response {
        status,
        location,
        length,
        body,
    })
}

/// Follows redirects; returns the final response of a 2xx, None for 404/410, an error otherwise.
fn fetch(url: &str, method: &str) -> Result<Option<Response>> {
    let mut url = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        let response = request(&url, method)?;
        match response.status {
            200..=299 => return Ok(Some(response)),
            404 | 410 => return Ok(None),
            301 | 302 | 303 | 307 | 308 => {
                let to = response.location.ok_or_else(|| {
                    Error::failed(format!("--location {}: redirect without Location", quote(&url)))
                })?;
                url = redirect_target(&url, &to);
            }
            status => {
                return Err(Error::failed(format!(
                    "--location {}: the server answered HTTP {status}",
                    quote(&url)
                )))
            }
        }
    }
    Err(Error::failed(format!(
        "--location {}: more than {MAX_REDIRECTS} redirects",
        quote(&url)
    )))
}

/// A Location header resolved against the URL it came from.
fn redirect_target(from: &str, to: &str) -> String {
    if is_url(to) {
        return to.to_string();
    }
    let scheme_end = from.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = from[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(from.len());
    if to.starts_with('/') {
        format!("{}{to}", &from[..host_end])
    } else {
        let dir_end = from.rfind('/').filter(|i| *i >= host_end).unwrap_or(host_end);
        format!("{}/{to}", &from[..dir_end])
    }
}

/// True when `url` exists (HEAD answers 2xx, after redirects); false for 404/410.
pub fn exists(url: &str) -> Result<bool> {
    Ok(fetch(url, "HEAD")?.is_some())
}

/// The body of `url`, checked to be as long as its Content-Length says; missing is not found (3).
pub fn get(url: &str) -> Result<Box<dyn Read>> {
    let response =
        fetch(url, "GET")?.ok_or_else(|| Error::not_found(format!("--location {}: HTTP 404", quote(url))))?;
    Ok(Box::new(Checked {
        inner: response.body,
        expected: response.length,
        read: 0,
        url: one_line(url),
    }))
}

/// A body reader that fails on a short body instead of leaving a truncated kernel behind.
struct Checked<R> {
    inner: R,
    expected: Option<u64>,
    read: u64,
    url: String,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if n == 0 && !buf.is_empty() {
            if let Some(expected) = self.expected.filter(|e| *e != self.read) {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "{}: {} of {expected} bytes before the connection closed",
                        self.url, self.read
                    ),
                ));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn urls_parse_and_join() {
        let u = parse_url("http://127.0.0.1:8000/debian/dists/x/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8000, "/debian/dists/x/")
        );
        let v6 = parse_url("http://[::1]/a").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 80));
        assert_eq!(parse_url("https://h/x").unwrap_err().exit_code(), 6);
        for bad in [
            "http://",
            "http://h:0/",
            "http://h:x/",
            "http://u@h/",
            "http://h/a b",
        ] {
            assert_eq!(parse_url(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
        assert_eq!(join("http://h/a/", "linux"), "http://h/a/linux");
        assert_eq!(redirect_target("http://h:1/a/b", "/c"), "http://h:1/c");
        assert_eq!(redirect_target("http://h/a/b", "c/"), "http://h/a/c/");
        assert!(is_url("HTTP://x") && !is_url("/srv/http://"));
    }

    /// A one-shot server on loopback: a redirect, then the file; a short body is an error.
    #[test]
    fn get_follows_redirects_and_checks_the_length() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let replies = [
                "HTTP/1.0 301 Moved\r\nLocation: /b\r\n\r\n".to_string(),
                "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_string(),
                "HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\nshort".to_string(),
                "HTTP/1.0 404 Not Found\r\n\r\n".to_string(),
            ];
            for reply in replies {
                let (mut s, _) = listener.accept().unwrap();
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                s.write_all(reply.as_bytes()).unwrap();
            }
        });
        let mut body = String::new();
        get(&format!("http://127.0.0.1:{port}/a"))
            .unwrap()
            .read_to_string(&mut body)
            .unwrap();
        assert_eq!(body, "hello");
        let mut short = Vec::new();
        let e = get(&format!("http://127.0.0.1:{port}/s"))
            .unwrap()
            .read_to_end(&mut short);
        assert_eq!(e.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        assert!(!exists(&format!("http://127.0.0.1:{port}/none")).unwrap());
        server.join().unwrap();
    }
}
