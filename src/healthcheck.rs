//! The `healthcheck` subcommand's probe: a plain HTTP/1.1 GET over a std
//! `TcpStream`, so container images need neither a shell nor curl.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The URL is not `http://host[:port]/path`.
    #[error("not an http:// URL")]
    BadUrl,
    /// No connection, or it broke.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The server answered, but not 200.
    #[error("answered '{0}'")]
    Status(String),
}

/// `/__admin/health` on the address the server listens on; a wildcard host
/// is probed on the loopback address.
pub fn default_url(host: IpAddr, port: u16) -> String {
    let host = if host.is_unspecified() {
        if host.is_ipv4() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
        }
    } else {
        host
    };
    match host {
        IpAddr::V4(v4) => format!("http://{v4}:{port}/__admin/health"),
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}/__admin/health"),
    }
}

/// GETs `url`; succeeds only on a 200, within `timeout` for each step.
pub fn probe(url: &str, timeout: Duration) -> Result<(), ProbeError> {
    let rest = url.strip_prefix("http://").ok_or(ProbeError::BadUrl)?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let address = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let target = address
        .to_socket_addrs()?
        .next()
        .ok_or(ProbeError::BadUrl)?;
    let mut stream = TcpStream::connect_timeout(&target, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nUser-Agent: uipath-license-mock-healthcheck\r\n\r\n"
    )?;
    let mut head = [0u8; 64];
    let read = stream.read(&mut head)?;
    let status_line = String::from_utf8_lossy(&head[..read]);
    let status_line = status_line.lines().next().unwrap_or_default().to_owned();
    let mut parts = status_line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(version), Some("200")) if version.starts_with("HTTP/1.") => Ok(()),
        _ => Err(ProbeError::Status(status_line)),
    }
}
