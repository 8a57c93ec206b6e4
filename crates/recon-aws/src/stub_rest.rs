//! A scripted HTTP endpoint for unit tests of calls moto lacks or cannot script (AWS Backup,
//! EFS's PutBackupPolicy, an EFS list that lags its creates), in three protocols: REST-JSON
//! (AWS Backup, EFS), JSON 1.1 (KMS, CloudWatch Logs) and Query (STS, EC2). Each request is summarised as
//! `METHOD PATH target=X-Amz-Target` and its body; it must contain the next scripted step's
//! `expect`, and gets that step's status and body (XML when the body starts with `<`). Calls
//! the code makes at the same time are scripted with [`RestStub::start_any_order`]: each
//! request gets the first step not yet used that it matches.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One scripted exchange.
pub(crate) struct Step {
    /// A substring of the request's summary: `GET /backup-vaults/`, `Action=DeleteSnapshot`.
    pub expect: String,
    pub status: u16,
    pub body: String,
    /// Sent as `x-amzn-errortype` (REST-JSON errors).
    pub error_type: Option<&'static str>,
}

impl Step {
    pub fn ok(expect: &str, body: impl Into<String>) -> Self {
        Step {
            expect: expect.to_owned(),
            status: 200,
            body: body.into(),
            error_type: None,
        }
    }

    pub fn error(expect: &str, status: u16, error_type: &'static str, body: &str) -> Self {
        Step {
            expect: expect.to_owned(),
            status,
            body: body.to_owned(),
            error_type: Some(error_type),
        }
    }
}

#[derive(Clone)]
pub(crate) struct RestStub {
    pub endpoint: String,
    script: Arc<Mutex<VecDeque<Step>>>,
    requests: Arc<Mutex<Vec<String>>>,
    any_order: bool,
}

impl RestStub {
    pub fn start(script: Vec<Step>) -> Self {
        Self::serving(script, false)
    }

    /// A stub whose requests may come in any order (concurrent calls): each gets the first
    /// unused step it matches.
    pub fn start_any_order(script: Vec<Step>) -> Self {
        Self::serving(script, true)
    }

    fn serving(script: Vec<Step>, any_order: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let stub = RestStub {
            endpoint: format!("http://{}", listener.local_addr().unwrap()),
            script: Arc::new(Mutex::new(script.into())),
            requests: Arc::new(Mutex::new(Vec::new())),
            any_order,
        };
        let serving = stub.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let serving = serving.clone();
                std::thread::spawn(move || serving.serve(stream));
            }
        });
        stub
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

    /// Every client recon uses, sending every call here (test credentials, no retries).
    pub fn clients(&self) -> crate::clients::Clients {
        let config = crate::stub_server::config(&self.endpoint)
            .to_builder()
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        crate::clients::Clients::new(&config)
    }

    /// The summaries of every request so far (`METHOD PATH target=…\nBODY`).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

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
            let mut length = 0;
            let mut target = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let header = line.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    } else if name.eq_ignore_ascii_case("x-amz-target") {
                        target = value.trim().to_owned();
                    }
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let mut parts = request_line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let summary = format!(
                "{method} {path} target={target}\n{}",
                String::from_utf8_lossy(&body)
            );
            self.requests.lock().unwrap().push(summary.clone());
            let next = {
                let mut script = self.script.lock().unwrap();
                let at = if self.any_order {
                    script.iter().position(|s| summary.contains(&s.expect))
                } else {
                    None
                };
                script.remove(at.unwrap_or(0))
            };
            let step = match next {
                Some(s) if summary.contains(&s.expect) => s,
                other => Step::error(
                    "",
                    400,
                    "Unscripted",
                    &format!(
                        "{{\"message\":\"expected {}, got {summary}\"}}",
                        other.map_or("nothing".to_owned(), |s| s.expect)
                    ),
                ),
            };
            let content_type = if step.body.starts_with('<') {
                "text/xml"
            } else {
                "application/json"
            };
            let error_type = step
                .error_type
                .map(|t| format!("x-amzn-errortype: {t}\r\n"))
                .unwrap_or_default();
            let reply = format!(
                "HTTP/1.1 {} X\r\ncontent-type: {content_type}\r\n{error_type}content-length: {}\r\n\r\n{}",
                step.status,
                step.body.len(),
                step.body
            );
            if writer.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    }
}
