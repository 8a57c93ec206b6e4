//! A scripted AWS Query-protocol endpoint for unit tests of call sequences moto cannot produce
//! (a service's network interfaces, say). The real SDK client talks HTTP to it: each request
//! must be the next scripted action, and gets that action's XML reply. What was asked is kept,
//! form-decoded, for the test to check.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted exchange: the `Action` expected, the reply's HTTP status and its XML body.
pub(crate) struct Reply {
    pub action: &'static str,
    pub status: u16,
    pub xml: String,
}

impl Reply {
    /// An EC2 error answer: `status` with the error `code`.
    pub fn error(action: &'static str, status: u16, code: &str) -> Self {
        Reply {
            action,
            status,
            xml: format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>{code}</Message></Error></Errors><RequestID>r</RequestID></Response>"
            ),
        }
    }
}

/// An SDK configuration with test credentials that sends every call to `endpoint` (a scripted
/// endpoint's), with the SDK's default retries.
pub(crate) fn config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::for_tests(),
            ),
        )
        .endpoint_url(endpoint)
        .build()
}

#[derive(Clone)]
pub(crate) struct StubServer {
    pub endpoint: String,
    script: Arc<Mutex<VecDeque<Reply>>>,
    requests: Arc<Mutex<Vec<String>>>,
    /// How long to wait before answering request `index` (a slow endpoint).
    delays: Arc<Mutex<HashMap<usize, Duration>>>,
    /// Requests received and not yet answered: now, and the most at any time.
    in_flight: Arc<Mutex<(usize, usize)>>,
}

impl StubServer {
    pub fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let server = StubServer {
            endpoint: format!("http://{}", listener.local_addr().unwrap()),
            script: Arc::new(Mutex::new(script.into())),
            requests: Arc::new(Mutex::new(Vec::new())),
            delays: Arc::new(Mutex::new(HashMap::new())),
            in_flight: Arc::new(Mutex::new((0, 0))),
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

    /// An EC2 client with test credentials that sends every call here.
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        let config = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::for_tests())
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    /// An Auto Scaling client with test credentials that sends every call here.
    pub fn autoscaling(&self) -> aws_sdk_autoscaling::Client {
        let config = aws_sdk_autoscaling::Config::builder()
            .behavior_version(aws_sdk_autoscaling::config::BehaviorVersion::latest())
            .region(aws_sdk_autoscaling::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_autoscaling::config::Credentials::for_tests())
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_autoscaling::Client::from_conf(config)
    }

    /// Every request body so far, form-decoded (`Action=…&Filter.1.Name=…`).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Whether request `index` (from 0) had the form parameter `part` (`Name=value`).
    pub fn asked(&self, index: usize, part: &str) -> bool {
        self.requests()
            .get(index)
            .is_some_and(|r| r.split('&').any(|p| p == part))
    }

    /// Answers request `index` (from 0) only after `delay`.
    pub fn delay(&self, index: usize, delay: Duration) {
        self.delays.lock().unwrap().insert(index, delay);
    }

    /// The most requests that were ever waiting for their answers at the same time.
    pub fn most_in_flight(&self) -> usize {
        self.in_flight.lock().unwrap().1
    }

    /// Scripted replies not yet asked for.
    pub fn unused(&self) -> usize {
        self.script.lock().unwrap().len()
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
        let mut writer = stream;
        // One request after another on a kept-alive connection.
        loop {
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
            let body = form_decode(&String::from_utf8_lossy(&body));
            let index = {
                let mut requests = self.requests.lock().unwrap();
                requests.push(body.clone());
                requests.len() - 1
            };
            {
                let mut in_flight = self.in_flight.lock().unwrap();
                in_flight.0 += 1;
                in_flight.1 = in_flight.1.max(in_flight.0);
            }
            if let Some(delay) = self.delays.lock().unwrap().get(&index).copied() {
                std::thread::sleep(delay);
            }
            let next = self.script.lock().unwrap().pop_front();
            let (status, xml) = match next {
                Some(r) if body.split('&').any(|p| p == format!("Action={}", r.action)) => {
                    (format!("{} X", r.status), r.xml)
                }
                other => (
                    "400 Bad Request".to_owned(),
                    format!(
                        "<Response><Errors><Error><Code>Unscripted</Code><Message>expected {}, \
                         got {body}</Message></Error></Errors></Response>",
                        other.map_or("nothing", |r| r.action)
                    ),
                ),
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n{xml}",
                xml.len()
            );
            self.in_flight.lock().unwrap().0 -= 1;
            if writer.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    }
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
