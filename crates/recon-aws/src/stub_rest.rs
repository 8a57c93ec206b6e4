//! A scripted AWS REST-JSON endpoint (EFS) for unit tests of calls moto does not implement
//! (PutBackupPolicy). The real SDK client talks HTTP to it: each request must be the next
//! scripted one (method and path), and gets that reply's status and JSON body. What was asked
//! (method, path, body) is kept for the test to check.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One scripted exchange.
pub(crate) struct RestReply {
    pub method: &'static str,
    pub path: String,
    pub status: u16,
    pub json: String,
}

/// One request as received.
#[derive(Clone, Debug)]
pub(crate) struct RestRequest {
    pub method: String,
    pub path: String,
    pub body: String,
}

#[derive(Clone)]
pub(crate) struct RestStub {
    pub endpoint: String,
    script: Arc<Mutex<VecDeque<RestReply>>>,
    requests: Arc<Mutex<Vec<RestRequest>>>,
}

impl RestStub {
    pub fn start(script: Vec<RestReply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let server = RestStub {
            endpoint: format!("http://{}", listener.local_addr().unwrap()),
            script: Arc::new(Mutex::new(script.into())),
            requests: Arc::new(Mutex::new(Vec::new())),
        };
        let serving = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let serving = serving.clone();
                std::thread::spawn(move || serving.serve(stream));
            }
        });
        server
    }

    /// An EFS client with test credentials and no retries that sends every call here.
    pub fn efs(&self) -> aws_sdk_efs::Client {
        let config = aws_sdk_efs::Config::builder()
            .behavior_version(aws_sdk_efs::config::BehaviorVersion::latest())
            .region(aws_sdk_efs::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_efs::config::Credentials::for_tests())
            .retry_config(aws_sdk_efs::config::retry::RetryConfig::disabled())
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_efs::Client::from_conf(config)
    }

    pub fn requests(&self) -> Vec<RestRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// Scripted replies not yet asked for.
    pub fn unused(&self) -> usize {
        self.script.lock().unwrap().len()
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
        let mut writer = stream;
        loop {
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                return;
            }
            let mut parts = request_line.split_whitespace();
            let method = parts.next().unwrap_or_default().to_owned();
            let path = parts.next().unwrap_or_default().to_owned();
            let mut length = 0;
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let header = line.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let body = String::from_utf8_lossy(&body).into_owned();
            self.requests.lock().unwrap().push(RestRequest {
                method: method.clone(),
                path: path.clone(),
                body: body.clone(),
            });
            let next = self.script.lock().unwrap().pop_front();
            let (status, json) = match next {
                Some(r) if r.method == method && path.starts_with(&r.path) => (r.status, r.json),
                other => (
                    400,
                    format!(
                        r#"{{"ErrorCode":"Unscripted","Message":"expected {}, got {method} {path}"}}"#,
                        other.map_or("nothing".to_owned(), |r| format!("{} {}", r.method, r.path))
                    ),
                ),
            };
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{json}",
                json.len()
            );
            if writer.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    }
}
