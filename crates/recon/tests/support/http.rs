//! The request side of the small HTTP endpoints the tests run (an AWS Backup stand-in, faulty
//! endpoints): one request at a time from a kept-alive connection.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;

/// One HTTP request read from `reader`: its request line (`GET /path HTTP/1.1`) and body, or
/// `None` once the connection closes.
pub fn next_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return None;
    }
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return None;
        }
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((request_line, String::from_utf8_lossy(&body).into_owned()))
}
